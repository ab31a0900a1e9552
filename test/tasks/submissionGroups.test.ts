import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsufficientCreditsError } from '../../src/ledger/index.js';
import { GroupCommit } from '../../src/tasks/groupCommit.js';
import { submitTask, type TaskDeps } from '../../src/tasks/index.js';
import { recordDispatches } from '../../src/tasks/sql/fencedUpdates.js';
import { countingDb } from '../helpers/countingDb.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean, journal } from '../helpers/ledger.js';
import { taskRow, VIDEO_MODEL, VIDEO_PRICE } from '../recovery/helpers.js';

/** The provider's acceptances held back until `n` submissions wait for one, then answered together. */
function answeringTogether(deps: TaskDeps, n: number): TaskDeps['providers'] {
  let waiting = 0;
  let release!: () => void;
  const allWaiting = new Promise<void>((resolve) => (release = resolve));
  return {
    get(name) {
      const real = deps.providers.get(name);
      return {
        ...real,
        async submit(request) {
          const accepted = await real.submit(request);
          if (++waiting === n) release();
          await allWaiting;
          return accepted;
        },
      };
    },
  };
}

describe('the statements of concurrent submissions shared in groups', () => {
  let h: Harness;
  let deps: TaskDeps;
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [60_000, 60_000] } });
    deps = h.system.tasks;
  });
  afterAll(() => h.close());

  it('40 acceptances arriving together are recorded in a few statements, each task processing once', async () => {
    const { userId } = await h.user(40 * VIDEO_PRICE);
    const counting = countingDb(h.system.db);
    const d = { ...deps, db: counting.db, providers: answeringTogether(deps, 40) };
    const submitted = await Promise.all(
      Array.from({ length: 40 }, (_, i) => submitTask(d, { userId, type: 'video', model: VIDEO_MODEL, input: { prompt: `group ${i}` } })),
    );
    expect(submitted.map((s) => s.status)).toEqual(submitted.map(() => 'processing'));
    expect(counting.runs('recordDispatches')).toBeLessThan(20);
    const rows = await Promise.all(submitted.map((s) => taskRow(h.system.db, s.taskId)));
    expect(rows.every((r) => r.provider_task_id && r.attempts === 1 && r.lease_owner === null)).toBe(true);
    expect(new Set(rows.map((r) => r.provider_task_id)).size).toBe(40);
    await expectAuditClean(h.system.db);
  });

  it('a stale lease in a group records nothing for its task; the others are recorded', async () => {
    const { userId } = await h.user(3 * VIDEO_PRICE);
    h.sim.setFaults({ transientErrorRate: 1 });
    const pending = await Promise.all(
      [0, 1, 2].map((i) => submitTask(deps, { userId, type: 'video', model: VIDEO_MODEL, input: { prompt: `stale ${i}` } })),
    );
    h.sim.setFaults({ transientErrorRate: 0 });
    const ids = pending.map((p) => p.taskId);
    await h.system.db.query(`UPDATE tasks SET lease_owner = 'held:' || id WHERE id = ANY($1::uuid[])`, [ids]);
    const recorded = await recordDispatches(h.system.db, [
      { taskId: ids[0]!, lease: `held:${ids[0]}`, providerTaskId: 'p-0', firstCheckMs: 1000 },
      { taskId: ids[1]!, lease: 'someone-else', providerTaskId: 'p-1', firstCheckMs: 1000 },
      { taskId: ids[2]!, lease: `held:${ids[2]}`, providerTaskId: 'p-2', firstCheckMs: 1000 },
    ]);
    expect([...recorded].sort()).toEqual([ids[0], ids[2]].sort());
    expect((await taskRow(h.system.db, ids[1]!)).status).toBe('pending');
    expect((await taskRow(h.system.db, ids[0]!)).provider_task_id).toBe('p-0');
  });

  const submit = (d: TaskDeps, userId: string, prompt: string, idempotencyKey?: string) =>
    submitTask(d, { userId, type: 'video', model: VIDEO_MODEL, input: { prompt }, idempotencyKey });

  it('40 users submitting at once share a few statements; a user short of credits is refused alone and changes nothing', async () => {
    const paying = await Promise.all(Array.from({ length: 30 }, () => h.user(VIDEO_PRICE)));
    const short = await Promise.all(Array.from({ length: 10 }, () => h.user(VIDEO_PRICE - 1)));
    const counting = countingDb(h.system.db);
    const d = { ...deps, db: counting.db };

    const answers = await Promise.allSettled([...paying, ...short].map((u, i) => submit(d, u.userId, `group ${i}`)));

    expect(counting.runs('insertTasks')).toBeLessThan(10);
    expect(answers.slice(0, 30).every((a) => a.status === 'fulfilled')).toBe(true);
    for (const a of answers.slice(30)) {
      expect(a.status).toBe('rejected');
      expect((a as PromiseRejectedResult).reason).toBeInstanceOf(InsufficientCreditsError);
    }
    const shortIds = short.map((u) => u.userId);
    const untouched = await h.system.db.query(
      `SELECT (SELECT count(*) FROM tasks WHERE user_id = ANY($1::uuid[]))::int AS tasks,
              (SELECT count(*) FROM credit_holds WHERE user_id = ANY($1::uuid[]))::int AS holds,
              (SELECT count(*) FROM credit_transactions WHERE user_id = ANY($1::uuid[]) AND type <> 'grant')::int AS journal,
              (SELECT sum(frozen_balance) FROM user_credits WHERE user_id = ANY($1::uuid[]))::int AS frozen`,
      [shortIds],
    );
    expect(untouched.rows[0]).toEqual({ tasks: 0, holds: 0, journal: 0, frozen: 0 });
    for (const a of answers.slice(0, 30)) {
      const { taskId } = (a as PromiseFulfilledResult<{ taskId: string }>).value;
      expect(await journal(h.system.db, taskId)).toEqual([{ type: 'freeze', amount: VIDEO_PRICE }]);
    }
    await expectAuditClean(h.system.db);
  });

  it('one Idempotency-Key sent twice at once among other users: one task and one hold for it, the others unharmed', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => h.user(2 * VIDEO_PRICE)));
    const [twice, ...others] = users;
    const answers = await Promise.all([
      submit(deps, twice!.userId, 'same', 'key-1'),
      ...others.slice(0, 4).map((u, i) => submit(deps, u.userId, `before ${i}`)),
      submit(deps, twice!.userId, 'same', 'key-1'),
      ...others.slice(4).map((u, i) => submit(deps, u.userId, `after ${i}`)),
    ]);
    const mine = [answers[0]!, answers[5]!] as const;
    expect(mine[0].taskId).toBe(mine[1].taskId);
    expect(mine.map((a) => a.replayed).sort()).toEqual([false, true]);
    const holds = await h.system.db.query(`SELECT count(*)::int AS n FROM credit_holds WHERE user_id = $1`, [twice!.userId]);
    expect(holds.rows[0]).toEqual({ n: 1 });
    expect(new Set(answers.map((a) => a.taskId)).size).toBe(8);
    await expectAuditClean(h.system.db);
  });
});

describe('GroupCommit with distinctBy', () => {
  it('never puts two items with one key in a group, and keeps each key in arrival order', async () => {
    const groups: string[][] = [];
    const commit = new GroupCommit<string, string>(
      async (group) => {
        groups.push(group);
        await new Promise((r) => setTimeout(r, 5));
        return group;
      },
      { maxGroup: 3, distinctBy: (item) => item[0]! },
    );
    const items = ['a1', 'a2', 'b1', 'a3', 'c1', 'd1', 'b2'];
    expect(await Promise.all(items.map((item) => commit.run(item)))).toEqual(items);
    expect(groups).toEqual([['a1'], ['a2', 'b1', 'c1'], ['a3', 'd1', 'b2']]);
  });
});

describe('GroupCommit with maxInFlight', () => {
  it('starts a second group beside the one in flight only once minGroupBeside items wait, and never a third', async () => {
    const groups: string[][] = [];
    const releases: (() => void)[] = [];
    let running = 0;
    let mostRunning = 0;
    const commit = new GroupCommit<string, string>(
      async (group) => {
        groups.push(group);
        mostRunning = Math.max(mostRunning, ++running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return group;
      },
      { maxGroup: 10, maxInFlight: 2, minGroupBeside: 3 },
    );

    const answers = [commit.run('a'), commit.run('b'), commit.run('c')];
    expect(groups).toEqual([['a']]);
    answers.push(commit.run('d'));
    expect(groups).toEqual([['a'], ['b', 'c', 'd']]);
    answers.push(commit.run('e'), commit.run('f'), commit.run('g'));
    expect(groups).toHaveLength(2);
    while (releases.length > 0 || groups.length < 3) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await Promise.all(answers)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(groups).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f', 'g']]);
    expect(mostRunning).toBe(2);
  });
});
