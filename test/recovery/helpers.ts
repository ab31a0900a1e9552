import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Queryable } from '../../src/db/index.js';
import { submitTask, type TaskDeps, type TaskRow } from '../../src/tasks/index.js';

export const VIDEO_MODEL = 'sora-2-text-to-video';
export const VIDEO_PRICE = 30;

/** A MODELS_FILE giving the video model a short timeout, so hung tasks reach their deadline within a test. */
export function shortTimeoutModels(timeoutMs: number, maxAttempts = 2): string {
  const file = join(mkdtempSync(join(tmpdir(), 'settle-models-')), 'models.json');
  writeFileSync(file, JSON.stringify([{ id: VIDEO_MODEL, type: 'video', price: VIDEO_PRICE, timeoutMs, maxAttempts }]));
  return file;
}

/** Submits a video task straight through the task module (no HTTP), as the API would. */
export async function submitVideo(deps: TaskDeps, userId: string, prompt = 'a fox in the snow'): Promise<TaskRow> {
  const { taskId } = await submitTask(deps, { userId, type: 'video', model: VIDEO_MODEL, input: { prompt } });
  return taskRow(deps.db, taskId);
}

export async function taskRow(db: Queryable, taskId: string): Promise<TaskRow> {
  const { rows } = await db.query<TaskRow>('SELECT * FROM tasks WHERE id = $1', [taskId]);
  return rows[0]!;
}

/** The task's state at the KIE simulator, as recordInfo tells it (the system's KIE_API_KEY is 'test-key'). */
export async function providerState(simUrl: string, providerTaskId: string): Promise<string | undefined> {
  const answer = await fetch(`${simUrl}/api/v1/jobs/recordInfo?taskId=${providerTaskId}`, { headers: { authorization: 'Bearer test-key' } });
  const body = (await answer.json()) as { data?: { state?: string } };
  return body.data?.state;
}

/**
 * Moves a task back in time as if it had sat there: processing for `processingMinutes`, created `createdMinutes`
 * ago, never due for the worker (nobody polls). Only the clocks change; the ledger is untouched.
 */
export async function age(db: Queryable, taskId: string, ages: { processingMinutes?: number; createdMinutes?: number; pastDeadline?: boolean }): Promise<void> {
  await db.query(
    `UPDATE tasks SET
        processing_started_at = CASE WHEN $2::double precision IS NULL THEN processing_started_at
                                     ELSE now() - $2::double precision * interval '1 minute' END,
        dispatched_at = CASE WHEN $2::double precision IS NULL THEN dispatched_at
                             ELSE now() - $2::double precision * interval '1 minute' END,
        created_at = CASE WHEN $3::double precision IS NULL THEN created_at
                          ELSE now() - $3::double precision * interval '1 minute' END,
        deadline_at = CASE WHEN $4 THEN now() - interval '1 second' ELSE deadline_at END,
        next_check_at = now() + interval '1 day'
      WHERE id = $1`,
    [taskId, ages.processingMinutes ?? null, ages.createdMinutes ?? null, ages.pastDeadline ?? false],
  );
}

/** A digest of every row of every table recovery could touch: equal digests mean nothing changed. */
export async function databaseDigest(db: Queryable): Promise<Record<string, string>> {
  const tables = ['tasks', 'credit_holds', 'credit_transactions', 'user_credits', 'cron_job_executions', 'cron_schedule_ticks', 'notification_outbox'];
  const digest: Record<string, string> = {};
  for (const table of tables) {
    const { rows } = await db.query<{ digest: string | null; n: number }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest, count(*)::integer AS n FROM ${table} t`,
    );
    digest[table] = `${rows[0]!.n}:${rows[0]!.digest ?? ''}`;
  }
  return digest;
}

/**
 * Every task settled at most once and consistently: one freeze; a completed task one charge, a failed or canceled
 * one one unfreeze and no charge, a live one neither.
 */
export async function expectEachTaskSettledOnce(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ id: string; status: string; freezes: number; charges: number; unfreezes: number }>(
    `SELECT t.id, t.status,
            count(*) FILTER (WHERE j.type = 'freeze')::integer AS freezes,
            count(*) FILTER (WHERE j.type = 'charge')::integer AS charges,
            count(*) FILTER (WHERE j.type = 'unfreeze')::integer AS unfreezes
       FROM tasks t LEFT JOIN credit_transactions j ON j.reference_id = t.id::text
      GROUP BY t.id, t.status`,
  );
  const expected = (status: string) =>
    status === 'completed' ? { freezes: 1, charges: 1, unfreezes: 0 } : status === 'failed' || status === 'canceled' ? { freezes: 1, charges: 0, unfreezes: 1 } : { freezes: 1, charges: 0, unfreezes: 0 };
  const wrong = rows.filter((r) => {
    const e = expected(r.status);
    return r.freezes !== e.freezes || r.charges !== e.charges || r.unfreezes !== e.unfreezes;
  });
  expect(wrong).toEqual([]);
}

export const sortedActions = (tasks: { taskId: string; action?: string }[]) =>
  tasks.map((t) => ({ taskId: t.taskId, action: t.action })).sort((a, b) => a.taskId.localeCompare(b.taskId));
