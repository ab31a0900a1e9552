import type { TaskRow } from '../tasks/index.js';

/** Why a task with a live lease is left alone: someone is advancing it right now. */
export function leaseReason(task: Pick<TaskRow, 'lease_owner' | 'lease_expires_at'>): string {
  const until = task.lease_expires_at ? ` until ${task.lease_expires_at.toISOString()}` : '';
  return `lease is live (held by ${task.lease_owner ?? 'another worker'}${until})`;
}

export const CLAIM_LOST = 'claimed by another worker, or changed state, since it was found';
