import type { Queryable } from '../../db/index.js';
import { countConsecutiveFailedRuns } from '../../jobs/index.js';
import { totalFrozenCredits } from '../../ledger/index.js';
import { countStuckTasks } from '../../tasks/index.js';
import { enqueueNotification } from '../outbox/enqueueNotification.js';
import { discordMessage, slackMessage, type AlertEvent } from './alertMessages.js';
import { evaluateAlerts, keysOwnedBy, type AlertThresholds, type HealthReading, type RunSummary } from './evaluateAlerts.js';

export type AlertChannel = 'slack' | 'discord';

export interface AlertSettings {
  channels: AlertChannel[];
  thresholds: AlertThresholds;
  maxAttempts: number;
}

// Serialises alert decisions across instances, so two runs finishing together cannot both announce one condition.
const ALERT_LOCK = 7_412_002;

interface AlertStateRow {
  condition: string;
  active: boolean;
  recently_sent: boolean;
  /** The title the condition's last alert had, which its recovery message repeats. */
  last_value: string | null;
}

/**
 * Decides, inside the transaction that records a finished run, which alerts and recovery messages to send, and
 * queues them in the outbox. Returns what it queued (empty for a healthy run).
 */
export async function raiseRunAlerts(tx: Queryable, run: RunSummary, settings: AlertSettings): Promise<AlertEvent[]> {
  if (settings.channels.length === 0) return [];
  await tx.query('SELECT pg_advisory_xact_lock($1)', [ALERT_LOCK]);
  const fired = evaluateAlerts(run, await readHealth(tx, run.jobName, settings.thresholds), settings.thresholds);
  const state = await readAlertState(tx, settings.thresholds.dedupeMinutes);
  const events: AlertEvent[] = [];
  for (const condition of fired) {
    const row = state.get(condition.key);
    if (!row?.active || !row.recently_sent) events.push({ kind: 'alert', condition });
    await markActive(tx, condition.key, condition.title, !row?.active || !row.recently_sent);
  }
  const firedKeys = new Set(fired.map((c) => c.key));
  const owned = keysOwnedBy(run.jobName);
  for (const row of state.values()) {
    if (!row.active || firedKeys.has(row.condition) || !owned(row.condition)) continue;
    events.push({ kind: 'resolved', key: row.condition, title: row.last_value ?? row.condition });
    await tx.query('UPDATE alert_state SET active = false, updated_at = now() WHERE condition = $1', [row.condition]);
  }
  for (const event of events) await enqueueEvent(tx, event, run, settings);
  return events;
}

async function enqueueEvent(tx: Queryable, event: AlertEvent, run: RunSummary, settings: AlertSettings): Promise<void> {
  const key = event.kind === 'alert' ? event.condition.key : event.key;
  for (const channel of settings.channels) {
    await enqueueNotification(tx, {
      channel,
      kind: event.kind === 'alert' ? 'alert' : 'alert_resolved',
      payload: channel === 'slack' ? slackMessage(event, run) : discordMessage(event, run),
      dedupeKey: `${event.kind}:${key}:${run.executionId}:${channel}`,
      maxAttempts: settings.maxAttempts,
    });
  }
}

async function markActive(tx: Queryable, condition: string, value: string, sent: boolean): Promise<void> {
  await tx.query(
    `INSERT INTO alert_state (condition, active, last_sent_at, last_value) VALUES ($1, true, CASE WHEN $3 THEN now() END, $2)
     ON CONFLICT (condition) DO UPDATE SET active = true, last_value = $2, updated_at = now(),
       last_sent_at = CASE WHEN $3 THEN now() ELSE alert_state.last_sent_at END`,
    [condition, value, sent],
  );
}

async function readAlertState(tx: Queryable, dedupeMinutes: number): Promise<Map<string, AlertStateRow>> {
  const { rows } = await tx.query<AlertStateRow>(
    `SELECT condition, active, last_value, coalesce(last_sent_at > now() - make_interval(mins => $1::int), false) AS recently_sent FROM alert_state`,
    [Math.round(dedupeMinutes)],
  );
  return new Map(rows.map((r) => [r.condition, r]));
}

async function readHealth(tx: Queryable, jobName: string, t: AlertThresholds): Promise<HealthReading> {
  return {
    stuckTasks: await countStuckTasks(tx, t.stuckAgeMinutes * 60_000),
    frozenCredits: await totalFrozenCredits(tx),
    consecutiveFailedRuns: await countConsecutiveFailedRuns(tx, jobName, t.consecutiveFailures),
  };
}
