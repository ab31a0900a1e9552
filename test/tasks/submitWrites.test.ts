import { afterEach, describe, expect, it } from 'vitest';
import type { Db, Queryable, Statement } from '../../src/db/index.js';
import type { TaskDeps, TaskRow } from '../../src/tasks/index.js';
import { submitVideo, taskRow } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

/** The database, recording the name of each prepared statement run through it (`text` for an ad-hoc one). */
function recordingStatements(db: Db, names: string[]): Db {
  const recorded = (q: Queryable): Queryable => ({
    query: (statement: Statement, params?: unknown[]) => {
      names.push(typeof statement === 'string' ? 'text' : statement.name);
      return q.query(statement, params);
    },
    exec: (script) => q.exec(script),
  });
  return { ...recorded(db), kind: db.kind, schema: db.schema, transaction: (fn) => db.transaction((tx) => fn(recorded(tx))), close: () => db.close() };
}

/** The task's deps with every statement recorded, and the task's row as its createTask leaves. */
function watchedSubmission(r: RecoverySystem) {
  const statements: string[] = [];
  const atCreateTask: TaskRow[] = [];
  const base = r.system.tasks;
  const deps: TaskDeps = {
    ...base,
    db: recordingStatements(base.db, statements),
    providers: {
      get: (name) => {
        const provider = base.providers.get(name);
        return {
          ...provider,
          submit: async (request) => {
            atCreateTask.push(await taskRow(base.db, request.taskId));
            return provider.submit(request);
          },
        };
      },
    },
  };
  return { deps, statements, atCreateTask };
}

describe('the writes of a submission', () => {
  let r: RecoverySystem | undefined;
  afterEach(() => r?.close());

  it('with no provider rate limit and no user cap: the insert records the send, and nothing else is written before the createTask', async () => {
    r = await startRecoverySystem({ env: { PROVIDER_RATE_LIMIT: '0', USER_MAX_ACTIVE_TASKS: '0' } });
    const { deps, statements, atCreateTask } = watchedSubmission(r);
    const task = await submitVideo(deps, r.userId);

    expect(statements.slice(0, 1)).toEqual(['insertTasks']);
    expect(statements).not.toContain('markDispatchStarted');
    expect(atCreateTask).toHaveLength(1);
    expect(atCreateTask[0]).toMatchObject({ status: 'pending', attempts: 1, lease_owner: expect.any(String) });
    expect(atCreateTask[0]!.dispatch_started_at).toBeInstanceOf(Date);
    // The lease covers the call as the dispatch's start would have (TASK_LEASE_MS, not the submitter's short lease).
    expect(atCreateTask[0]!.lease_expires_at!.getTime() - atCreateTask[0]!.dispatch_started_at!.getTime()).toBeGreaterThan(deps.leaseMs - 5_000);
    expect(task).toMatchObject({ status: 'processing', attempts: 1, dispatch_started_at: null });
  });

  it('under a provider rate limit: the task is inserted unsent, and its send is recorded once it has a slot', async () => {
    r = await startRecoverySystem({ env: { PROVIDER_RATE_LIMIT: '5', PROVIDER_RATE_WINDOW_MS: '10000' } });
    const { deps, statements, atCreateTask } = watchedSubmission(r);
    const task = await submitVideo(deps, r.userId);

    expect(statements.slice(0, 2)).toEqual(['insertTasks', 'markDispatchStarted']);
    expect(atCreateTask[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(task).toMatchObject({ status: 'processing', attempts: 1 });
  });
});
