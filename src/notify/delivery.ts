import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { claimDueNotifications } from './outbox/claimDueNotifications.js';
import { markAttemptFailed, markSent } from './outbox/recordDelivery.js';
import type { Senders } from './senders.js';
import type { OutboxEntry } from './types.js';

export interface DeliveryDeps {
  db: Db;
  logger: Logger;
  senders: Senders;
  instanceId: string;
  /** First retry delay; each further attempt doubles it, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface DeliveryReport {
  sent: number;
  retrying: number;
  dead: number;
}

const LEASE_MS = 60_000;
const BATCH = 20;

/** A sender's answer for an entry that no retry can deliver (its webhook endpoint was removed): it goes dead now. */
export class UndeliverableError extends Error {
  override name = 'UndeliverableError';
}

export function retryDelay(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 20));
}

/** One pass: claim due entries and send each; one failing entry never holds up the others. */
export async function deliverDueNotifications(deps: DeliveryDeps): Promise<DeliveryReport> {
  const lease = `${deps.instanceId}:${randomUUID()}`;
  const entries = await claimDueNotifications(deps.db, lease, LEASE_MS, BATCH);
  const report: DeliveryReport = { sent: 0, retrying: 0, dead: 0 };
  await Promise.all(entries.map(async (entry) => {
    const outcome = await deliverOne(deps, entry, lease);
    if (outcome !== 'fenced') report[outcome]++;
  }));
  return report;
}

async function deliverOne(deps: DeliveryDeps, entry: OutboxEntry, lease: string): Promise<keyof DeliveryReport | 'fenced'> {
  const send = deps.senders[entry.channel];
  try {
    if (!send) throw new Error(`${entry.channel} is not configured`);
    await send(entry);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const outcome = await markAttemptFailed(deps.db, entry.id, lease, {
      error: message,
      delayMs: retryDelay(entry.attempts, deps.retryBaseMs, deps.retryMaxMs),
      giveUp: err instanceof UndeliverableError,
    });
    const log = outcome === 'dead' ? deps.logger.error.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
    log({ notificationId: entry.id, channel: entry.channel, attempt: entry.attempts + 1, outcome, error: message }, 'notification delivery failed');
    return outcome === 'fenced' ? 'fenced' : outcome;
  }
  return (await recordSent(deps, entry, lease)) ? 'sent' : 'fenced';
}

const RECORD_ATTEMPTS = 12;

/**
 * The message is out; if the database is briefly away, keep trying to record that, rather than let the lease lapse
 * and the entry be sent a second time.
 */
async function recordSent(deps: DeliveryDeps, entry: OutboxEntry, lease: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await markSent(deps.db, entry.id, lease);
    } catch (err) {
      if (attempt >= RECORD_ATTEMPTS) throw err;
      deps.logger.warn({ err, notificationId: entry.id, attempt }, 'sent, but could not record it yet; retrying');
      await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
    }
  }
}

export interface DeliveryLoop {
  stop(): Promise<void>;
  /** Resolves after one more pass; tests and shutdown use it to drain. */
  runOnce(): Promise<DeliveryReport>;
}

/** Delivers continuously; a database outage only delays delivery, it never stops the loop. */
export function startDelivery(deps: DeliveryDeps, intervalMs: number): DeliveryLoop {
  let stopped = false;
  let current: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const pass = () =>
    deliverDueNotifications(deps).catch((err: unknown) => {
      deps.logger.warn({ err }, 'outbox delivery pass failed');
      return { sent: 0, retrying: 0, dead: 0 };
    });
  const tick = () => {
    if (stopped) return;
    current = pass().finally(() => {
      if (!stopped) timer = setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
    runOnce: pass,
  };
}
