import type { ParsedMail } from 'mailparser';
import type { Db } from '../src/db/index.js';
import type { ReceivedRequest } from '../test/helpers/receiver.js';

export interface Verdict {
  violations: string[];
  figures: Record<string, number>;
}

interface TaskState {
  id: string;
  status: string;
  provider_task_id: string | null;
  error_code: string | null;
  attempts: number;
  overdue: boolean;
  hold_status: string | null;
  charges: number;
  unfreezes: number;
}

/** Everything the chaos run promises, checked against the database, the provider and the receivers. */
export interface ChaosInput {
  simUrl: string;
  acknowledged: Set<string>;
  mails: ParsedMail[];
  /** When the SMTP server accepted each of `mails`. */
  mailAcceptedAt: number[];
  /** When each SIGKILL was sent. */
  kills: number[];
  alerts: ReceivedRequest[];
}

/**
 * A process killed after the SMTP server accepted a message but before the outbox recorded it sends the message again
 * when its lease lapses (delivery is at-least-once; the Message-ID is the outbox id, so mail systems see one message).
 * Such a resend is expected only when a SIGKILL landed right around the first acceptance.
 */
const SEND_WINDOW_MS = { before: 1_000, after: 5_000 };

export async function checkInvariants(db: Db, input: ChaosInput): Promise<Verdict> {
  const violations: string[] = [];
  const tasks = await loadTasks(db);
  const byId = new Map(tasks.map((t) => [t.id, t]));

  const lost = [...input.acknowledged].filter((id) => !byId.has(id));
  if (lost.length > 0) violations.push(`${lost.length} acknowledged tasks are missing from the database, e.g. ${lost[0]}`);

  for (const t of tasks) {
    const live = t.status === 'pending' || t.status === 'processing';
    if (live && (t.overdue || t.hold_status !== 'open')) violations.push(`task ${t.id} is ${t.status} past its deadline or without an open hold`);
    if (t.status === 'completed' && (t.hold_status !== 'captured' || t.charges !== 1 || t.unfreezes !== 0)) violations.push(`completed task ${t.id} is not charged exactly once`);
    if ((t.status === 'failed' || t.status === 'canceled') && (t.hold_status !== 'released' || t.charges !== 0 || t.unfreezes !== 1)) violations.push(`${t.status} task ${t.id} is not refunded exactly once`);
  }

  let lateResults = 0;
  let refusedResults = 0;
  for (const t of tasks.filter((x) => x.provider_task_id)) {
    const state = await providerState(input.simUrl, t.provider_task_id!);
    if (state === 'success' && t.status === 'failed' && t.error_code === 'timeout') lateResults++;
    // The provider's file was over MAX_RESULT_BYTES or on a host downloads may not reach (the hostile mode's faults).
    else if (state === 'success' && t.status === 'failed' && t.error_code === 'result_refused') refusedResults++;
    else if (state === 'success' && t.status !== 'completed' && t.status !== 'canceled') violations.push(`provider success for task ${t.id} but it is ${t.status}`);
    if (state !== 'success' && t.status === 'completed') violations.push(`task ${t.id} completed though the provider says ${state}`);
  }

  const { resentAfterKill, unexplained } = repeatedMails(input);
  if (unexplained > 0) violations.push(`${unexplained} e-mails were delivered more than once with no SIGKILL in their send window`);
  const alertBodies = input.alerts.map((a) => JSON.stringify(a.body));
  const repeatedAlerts = alertBodies.length - new Set(alertBodies).size;
  if (repeatedAlerts > 0) violations.push(`${repeatedAlerts} alerts were delivered more than once`);

  const overlaps = await overlappingRuns(db);
  if (overlaps > 0) violations.push(`${overlaps} recovery runs overlapped the previous run of the same job`);

  const frozen = await db.query<{ n: number }>('SELECT coalesce(sum(frozen_balance), 0)::bigint AS n FROM user_credits');
  const count = (status: string) => tasks.filter((t) => t.status === status).length;
  return {
    violations,
    figures: {
      'tasks in database': tasks.length,
      settled: tasks.filter((t) => ['completed', 'failed', 'canceled'].includes(t.status)).length,
      completed: count('completed'),
      failed: count('failed'),
      canceled: count('canceled'),
      'late results (success after timeout, not charged)': lateResults,
      'results refused (success, file over the cap or on a foreign host; refunded)': refusedResults,
      'double charges': tasks.filter((t) => t.charges > 1).length,
      'lost tasks': lost.length + tasks.filter((t) => (t.status === 'pending' || t.status === 'processing') && t.overdue).length,
      'frozen credits left': frozen.rows[0]!.n,
      'e-mails delivered': input.mails.length,
      'e-mails re-sent after a SIGKILL mid-send': resentAfterKill,
      'alerts delivered': input.alerts.length,
      'overlapping runs': overlaps,
      ...failureReasons(tasks),
    },
  };
}

function repeatedMails(input: ChaosInput): { resentAfterKill: number; unexplained: number } {
  const firstAcceptedAt = new Map<string, number>();
  let resentAfterKill = 0;
  let unexplained = 0;
  input.mails.forEach((mail, i) => {
    const id = mail.messageId ?? '';
    const first = firstAcceptedAt.get(id);
    if (first === undefined) return void firstAcceptedAt.set(id, input.mailAcceptedAt[i]!);
    const killedWhileSending = input.kills.some((k) => k >= first - SEND_WINDOW_MS.before && k <= first + SEND_WINDOW_MS.after);
    if (killedWhileSending) resentAfterKill++;
    else unexplained++;
  });
  return { resentAfterKill, unexplained };
}

/** Tasks failed, by failure code; dispatch_timeout always shown, as the figure a backlog of pending tasks shows in. */
function failureReasons(tasks: TaskState[]): Record<string, number> {
  const reasons: Record<string, number> = { 'failed: dispatch_timeout': 0, 'failed: dispatch_timeout, never sent': 0 };
  for (const t of tasks) if (t.status === 'failed') reasons[`failed: ${t.error_code}`] = (reasons[`failed: ${t.error_code}`] ?? 0) + 1;
  reasons['failed: dispatch_timeout, never sent'] = tasks.filter((t) => t.error_code === 'dispatch_timeout' && t.attempts === 0).length;
  return reasons;
}

async function loadTasks(db: Db): Promise<TaskState[]> {
  const { rows } = await db.query<TaskState>(
    `SELECT t.id, t.status, t.provider_task_id, t.error_code, t.attempts,
            coalesce(t.deadline_at, t.created_at + make_interval(secs => t.timeout_ms::double precision / 1000)) < now() AS overdue,
            h.status AS hold_status,
            (SELECT count(*)::int FROM credit_transactions j WHERE j.reference_id = t.id::text AND j.type = 'charge') AS charges,
            (SELECT count(*)::int FROM credit_transactions j WHERE j.reference_id = t.id::text AND j.type = 'unfreeze') AS unfreezes
       FROM tasks t LEFT JOIN credit_holds h ON h.task_id = t.id`,
  );
  return rows;
}

/** The provider's final word on a task; the simulator injects transient errors, so ask until it answers. */
async function providerState(simUrl: string, providerTaskId: string): Promise<string> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const state = await recordState(simUrl, providerTaskId).catch(() => undefined);
    if (state) return state;
  }
  return 'unknown';
}

async function recordState(simUrl: string, providerTaskId: string): Promise<string | undefined> {
  const res = await fetch(`${simUrl}/api/v1/jobs/recordInfo?taskId=${encodeURIComponent(providerTaskId)}`, {
    headers: { authorization: 'Bearer chaos' },
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await res.json()) as { code?: number; data?: { state?: string } };
  return body.code === 200 ? body.data?.state : undefined;
}

/** A run that started before the previous run of its job had finished. */
async function overlappingRuns(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (
       SELECT started_at, lag(coalesce(completed_at, 'infinity')) OVER (PARTITION BY job_name ORDER BY started_at) AS previous_end
         FROM cron_job_executions) runs
      WHERE previous_end > started_at`,
  );
  return rows[0]!.n;
}

/** Tasks settled (completed, failed or canceled) in each minute of the load, from its start; the last may be partial. */
export async function settledPerMinute(db: Db, from: number, to: number): Promise<number[]> {
  const { rows } = await db.query<{ minute: number; n: number }>(
    `SELECT floor(extract(epoch FROM completed_at - to_timestamp($1::double precision / 1000)) / 60)::int AS minute, count(*)::int AS n
       FROM tasks WHERE completed_at >= to_timestamp($1::double precision / 1000) AND completed_at < to_timestamp($2::double precision / 1000)
      GROUP BY 1`,
    [from, to],
  );
  const minutes: number[] = Array.from({ length: Math.max(1, Math.ceil((to - from) / 60_000)) }, () => 0);
  for (const r of rows) if (r.minute < minutes.length) minutes[r.minute] = r.n;
  return minutes;
}
