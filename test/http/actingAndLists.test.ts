import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { accountCounts } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const IMAGE = { type: 'image', model: 'google/nano-banana', input: { prompt: 'a lighthouse' } };

describe('Settle-User and the caller\'s own lists', () => {
  let h: Harness;
  let admin: { apiKey: string; keyId: string; userId: string };
  beforeAll(async () => {
    h = await startHarness();
    admin = await h.user(0, 'admin');
  });
  afterAll(() => h.close());

  const appUser = async (externalId: string, credits = 100) => (await h.api(admin.apiKey, 'POST', '/api/admin/users', { externalId, credits })).body;
  const forUser = (who: string, method: string, path: string, body?: unknown) => h.api(admin.apiKey, method, path, body, { 'settle-user': who });
  const submittedBy = async (taskId: string) =>
    (await h.system.db.query<{ key: string | null; user_id: string }>('SELECT submitted_by_key AS key, user_id FROM tasks WHERE id = $1', [taskId])).rows[0]!;

  it("an admin key with Settle-User acts as that user on /api/v1, by id or by ext:<externalId>; the task records the admin's key", async () => {
    const user = await appUser('acting-1');
    const byExternal = await forUser('ext:acting-1', 'POST', '/api/v1/tasks', IMAGE);
    expect(byExternal.status).toBe(202);
    expect(await submittedBy(byExternal.body.taskId)).toEqual({ key: admin.keyId, user_id: user.userId });
    const seed = await forUser(user.userId, 'POST', '/api/v1/generate-image', { prompt: 'seed route' });
    expect(seed.status).toBe(202);
    expect((await submittedBy(seed.body.taskId)).user_id).toBe(user.userId);

    expect((await forUser(user.userId, 'GET', '/api/v1/credits')).body).toMatchObject({ available: 92 });
    expect((await forUser('ext:acting-1', 'GET', `/api/v1/tasks/${seed.body.taskId}`)).body.taskId).toBe(seed.body.taskId);
    const mine = (await forUser('ext:acting-1', 'GET', '/api/v1/tasks')).body.tasks.map((t: { taskId: string }) => t.taskId);
    expect(mine).toEqual([seed.body.taskId, byExternal.body.taskId]);

    // The user's own key records itself.
    const ownKey = (await h.api(admin.apiKey, 'POST', `/api/admin/users/${user.userId}/keys`)).body;
    const own = await h.api(ownKey.apiKey, 'POST', '/api/v1/tasks', IMAGE);
    expect((await submittedBy(own.body.taskId)).key).toBe(ownKey.keyId);
  });

  it('acting as a user sees only that user: another user\'s task is 404, as for their own key', async () => {
    const a = await appUser('acting-a');
    await appUser('acting-b');
    const task = (await forUser(a.userId, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    for (const path of [`/api/v1/tasks/${task}`, `/api/v1/video-status/${task}`]) expect((await forUser('ext:acting-b', 'GET', path)).status).toBe(404);
    expect((await forUser('ext:acting-b', 'POST', `/api/v1/tasks/${task}/cancel`)).status).toBe(404);
  });

  it('Settle-User from a user key, naming nobody, or malformed is refused and changes nothing', async () => {
    const userKey = (await h.user(100)).apiKey;
    const target = await appUser('acting-refused');
    // Nothing may settle while the rows are counted.
    await waitFor('earlier tasks to settle', async () => (await h.system.db.query(`SELECT 1 FROM tasks WHERE status IN ('pending', 'processing')`)).rows.length === 0);
    const cases: [string, string, number, string][] = [
      [userKey, target.userId, 403, 'forbidden'],
      [admin.apiKey, '00000000-0000-4000-8000-000000000000', 404, 'not_found'],
      [admin.apiKey, 'ext:nobody-has-this', 404, 'not_found'],
      [admin.apiKey, 'not-a-user-id', 400, 'invalid_request'],
      [admin.apiKey, 'ext:', 400, 'invalid_request'],
    ];
    for (const [key, who, status, code] of cases) {
      const before = await accountCounts(h.system.db);
      const res = await h.api(key, 'POST', '/api/v1/tasks', IMAGE, { 'settle-user': who });
      expect(res.status, who).toBe(status);
      expect(res.body.error.code, who).toBe(code);
      expect(await accountCounts(h.system.db), who).toEqual(before);
    }
  });

  it('GET /api/v1/tasks: own tasks newest first, filtered by status, paged by cursor', async () => {
    const user = await appUser('lister', 1000);
    const key = (await h.api(admin.apiKey, 'POST', `/api/admin/users/${user.userId}/keys`)).body.apiKey;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.api(key, 'POST', '/api/v1/tasks', { ...IMAGE, input: { prompt: `n${i}` } })).body.taskId);
    await waitFor('every task to settle', async () => {
      const page = (await h.api(key, 'GET', '/api/v1/tasks?limit=200')).body.tasks as { status: string }[];
      return page.every((t) => t.status === 'completed');
    });
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await h.api(key, 'GET', `/api/v1/tasks?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      pages.push(res.body.tasks.map((t: { taskId: string }) => t.taskId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual([...ids].reverse());
    expect((await h.api(key, 'GET', '/api/v1/tasks?status=failed')).body).toEqual({ tasks: [], nextCursor: null });
    const completed = (await h.api(key, 'GET', '/api/v1/tasks?status=completed&limit=1')).body;
    expect(completed.tasks[0]).toMatchObject({ taskId: ids[4], status: 'completed', creditsCharged: 4 });
  });

  it('GET /api/v1/credits/transactions: the journal newest first with task ids and references, paged by cursor', async () => {
    const user = await appUser('journal', 50);
    await h.api(admin.apiKey, 'POST', `/api/admin/users/${user.userId}/credits`, { amount: 20, reference: 'pi_42', reason: 'top-up' });
    const key = (await h.api(admin.apiKey, 'POST', `/api/admin/users/${user.userId}/keys`)).body.apiKey;
    const taskId = (await h.api(key, 'POST', '/api/v1/tasks', IMAGE)).body.taskId;
    await waitFor('the task to complete', async () => (await h.api(key, 'GET', `/api/v1/tasks/${taskId}`)).body.status === 'completed');
    const all: { type: string; amount: number; taskId?: string; reference?: string; reason?: string }[] = [];
    let cursor: string | null = null;
    do {
      const res = await h.api(key, 'GET', `/api/v1/credits/transactions?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      all.push(...res.body.transactions);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(all.map(({ type, amount, taskId: t, reference, reason }) => ({ type, amount, taskId: t, reference, reason }))).toEqual([
      { type: 'charge', amount: 4, taskId, reference: undefined, reason: undefined },
      { type: 'freeze', amount: 4, taskId, reference: undefined, reason: undefined },
      { type: 'grant', amount: 20, taskId: undefined, reference: 'pi_42', reason: 'top-up' },
      { type: 'grant', amount: 50, taskId: undefined, reference: undefined, reason: undefined },
    ]);
    // Another user's journal is not in it.
    expect((await h.api((await h.user(5)).apiKey, 'GET', '/api/v1/credits/transactions')).body.transactions).toHaveLength(1);
  });

  it('bad list queries are 400 and change nothing', async () => {
    const key = (await h.user(10)).apiKey;
    for (const path of [
      '/api/v1/tasks?limit=0', '/api/v1/tasks?limit=201', '/api/v1/tasks?status=done', '/api/v1/tasks?cursor=%%%', '/api/v1/tasks?page=2',
      `/api/v1/tasks?cursor=${Buffer.from('{"at":-1,"id":"x"}').toString('base64url')}`,
      '/api/v1/credits/transactions?limit=x', '/api/v1/credits/transactions?cursor=abc',
      `/api/v1/credits/transactions?cursor=${Buffer.from('{"id":1e300}').toString('base64url')}`,
    ]) {
      const before = await accountCounts(h.system.db);
      const res = await h.api(key, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe('invalid_request');
      expect(await accountCounts(h.system.db)).toEqual(before);
    }
  });
});
