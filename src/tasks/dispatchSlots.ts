import type { Db } from '../db/index.js';
import type { DispatchSlots, RateLimit } from '../providers/index.js';
import { takeDispatchSlot } from './sql/takeDispatchSlot.js';

/**
 * The provider rate limit for the whole cluster (PROVIDER_RATE_LIMIT per PROVIDER_RATE_WINDOW_MS), kept in
 * PostgreSQL so that any number of instances together stay within it. The window is counted a little longer than
 * configured (a tenth, at most a second): a slot is taken a moment before its createTask leaves, and calls sent in
 * one window must not arrive at the provider in a shorter one.
 */
export function clusterDispatchSlots(db: Db, limit: RateLimit | null): DispatchSlots {
  if (!limit) return { limited: false, take: async () => 0 };
  const windowMs = limit.windowMs + Math.min(1000, Math.ceil(limit.windowMs / 10));
  return { limited: true, take: (provider) => takeDispatchSlot(db, provider, limit.max, windowMs) };
}
