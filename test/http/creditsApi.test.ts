import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { accountCounts, expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const MAX = Number.MAX_SAFE_INTEGER;
const MISSING = '00000000-0000-4000-8000-000000000000';

describe('the credits API: grants and debits by reference, refunds of completed tasks', () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness();
    admin = (await h.user(0, 'admin')).apiKey;
  });
  afterAll(() => h.close());

  const newUser = async (credits = 0) => (await h.api(admin, 'POST', '/api/admin/users', { credits })).body.userId as string;
  const move = (userId: string, body: unknown) => h.api(admin, 'POST', `/api/admin/users/${userId}/credits`, body);
  const journal = async (userId: string) =>
    (
      await h.system.db.query<{ type: string; amount: number; reference: string | null }>(
        'SELECT type, amount, reference FROM credit_transactions WHERE user_id = $1 ORDER BY id',
        [userId],
      )
    ).rows;

  it('grants and debits; the same reference and amount again answers the first move; another amount is 409', async () => {
    const userId = await newUser();
    const granted = await move(userId, { amount: 100, reference: 'pi_1', reason: 'top-up' });
    expect(granted.status).toBe(201);
    expect(granted.body).toEqual({ transactionId: expect.any(Number), balance: 100, frozen: 0, available: 100 });
    const debited = await move(userId, { amount: -30, reference: 'order-1' });
    expect(debited.status).toBe(201);
    expect(debited.body).toMatchObject({ balance: 70, available: 70 });

    const replay = await move(userId, { amount: 100, reference: 'pi_1', reason: 'top-up' });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(granted.body);
    const conflict = await move(userId, { amount: 99, reference: 'pi_1' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('idempotency_conflict');
    // A reference names one move, whichever way it went.
    expect((await move(userId, { amount: -100, reference: 'pi_1' })).status).toBe(409);
    expect(await journal(userId)).toEqual([
      { type: 'grant', amount: 100, reference: 'pi_1' },
      { type: 'debit', amount: 30, reference: 'order-1' },
    ]);
    await expectAuditClean(h.system.db);
  });

  it('a debit never reaches frozen credits: 402 and nothing changes', async () => {
    const userId = await newUser(40);
    const key = (await h.api(admin, 'POST', `/api/admin/users/${userId}/keys`)).body.apiKey;
    // A task that never finishes holds 30 of the 40.
    h.sim.setFaults({ hangRate: 1 });
    try {
      expect((await h.api(key, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'held' } })).status).toBe(202);
    } finally {
      h.sim.setFaults({ hangRate: 0 });
    }
    const before = await accountCounts(h.system.db);
    const refused = await move(userId, { amount: -11, reference: 'too-much' });
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('insufficient_credits');
    expect(await accountCounts(h.system.db)).toEqual(before);
    expect((await move(userId, { amount: -10, reference: 'just-enough' })).body).toMatchObject({ balance: 30, frozen: 30, available: 0 });
    await expectAuditClean(h.system.db);
  });

  it('a grant past 2^53 - 1 is refused by the database: 400 and nothing changes', async () => {
    const userId = await newUser();
    expect((await move(userId, { amount: MAX, reference: 'max' })).status).toBe(201);
    const before = await accountCounts(h.system.db);
    const over = await move(userId, { amount: 1, reference: 'one-more' });
    expect(over.status).toBe(400);
    expect(over.body.error.message).toMatch(/2\^53/);
    expect(await accountCounts(h.system.db)).toEqual(before);
  });

  it('bad input on the credits and refund routes is a 4xx JSON error that changes no row', async () => {
    const userId = await newUser(10);
    const userKey = (await h.user(10)).apiKey;
    const cases: [string, unknown, number, string, string?][] = [
      [`/api/admin/users/${userId}/credits`, { amount: 0, reference: 'r' }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: 1.5, reference: 'r' }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: MAX + 1, reference: 'r' }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: -MAX - 1, reference: 'r' }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: '5', reference: 'r' }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: 5 }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: 5, reference: '' }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: 5, reference: 'r'.repeat(201) }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: 5, reference: 'r', extra: true }, 400, 'invalid_request'],
      [`/api/admin/users/${userId}/credits`, { amount: -11, reference: 'r' }, 402, 'insufficient_credits'],
      [`/api/admin/users/${userId}/credits`, { amount: 5, reference: 'r' }, 403, 'forbidden', userKey],
      [`/api/admin/users/${MISSING}/credits`, { amount: 5, reference: 'r' }, 404, 'not_found'],
      ['/api/admin/users/nope/credits', { amount: 5, reference: 'r' }, 404, 'not_found'],
      [`/api/admin/tasks/${MISSING}/refund`, { reason: 'why' }, 404, 'not_found'],
      ['/api/admin/tasks/nope/refund', { reason: 'why' }, 404, 'not_found'],
      [`/api/admin/tasks/${MISSING}/refund`, {}, 400, 'invalid_request'],
      [`/api/admin/tasks/${MISSING}/refund`, { reason: '   ' }, 400, 'invalid_request'],
      [`/api/admin/tasks/${MISSING}/refund`, { reason: 'why' }, 403, 'forbidden', userKey],
      [`/api/admin/tasks/${MISSING}/refund`, { reason: 'why' }, 401, 'unauthorized', ''],
    ];
    for (const [path, body, status, code, key] of cases) {
      const before = await accountCounts(h.system.db);
      const res = await h.api(key === undefined ? admin : key || undefined, 'POST', path, body);
      const what = `${path} ${JSON.stringify(body)}`;
      expect(res.status, what).toBe(status);
      expect(res.body.error.code, what).toBe(code);
      expect(await accountCounts(h.system.db), what).toEqual(before);
    }
  });

  it("an admin refund gives a completed task's charge back once; the task shows it; settle audit stays clean", async () => {
    const userId = await newUser(100);
    const key = (await h.api(admin, 'POST', `/api/admin/users/${userId}/keys`)).body.apiKey;
    const { taskId } = (await h.api(key, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a refund' } })).body;
    await waitFor('the task to complete', async () => (await h.api(key, 'GET', `/api/v1/tasks/${taskId}`)).body.status === 'completed');
    expect((await h.api(key, 'GET', '/api/v1/credits')).body).toEqual({ balance: 70, frozen: 0, available: 70 });

    const refunded = await h.api(admin, 'POST', `/api/admin/tasks/${taskId}/refund`, { reason: 'the video was blank' });
    expect(refunded.status).toBe(201);
    expect(refunded.body).toEqual({
      taskId, userId, transactionId: expect.any(Number), creditsRefunded: 30, reason: 'the video was blank', refundedAt: expect.any(String),
      balance: 100, frozen: 0, available: 100,
    });
    const again = await h.api(admin, 'POST', `/api/admin/tasks/${taskId}/refund`, { reason: 'twice' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(refunded.body);
    expect((await h.api(key, 'GET', '/api/v1/credits')).body).toEqual({ balance: 100, frozen: 0, available: 100 });
    const view = (await h.api(key, 'GET', `/api/v1/tasks/${taskId}`)).body;
    expect(view).toMatchObject({ status: 'completed', creditsCharged: 30, creditsRefunded: 30, refundedAt: refunded.body.refundedAt });
    expect((await journal(userId)).map((e) => e.type)).toEqual(['grant', 'freeze', 'charge', 'refund']);
    await expectAuditClean(h.system.db);
  });

  it('concurrent refunds of one task refund it once', async () => {
    const userId = await newUser(30);
    const key = (await h.api(admin, 'POST', `/api/admin/users/${userId}/keys`)).body.apiKey;
    const { taskId } = (await h.api(key, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'raced refund' } })).body;
    await waitFor('the task to complete', async () => (await h.api(key, 'GET', `/api/v1/tasks/${taskId}`)).body.status === 'completed');
    const answers = await Promise.all(Array.from({ length: 20 }, () => h.api(admin, 'POST', `/api/admin/tasks/${taskId}/refund`, { reason: 'raced' })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
    expect(new Set(answers.map((a) => a.body.transactionId)).size).toBe(1);
    expect((await journal(userId)).filter((e) => e.type === 'refund')).toHaveLength(1);
    await expectAuditClean(h.system.db);
  });

  it('a task that was never charged cannot be refunded: 409 and nothing changes', async () => {
    const userId = await newUser(100);
    const key = (await h.api(admin, 'POST', `/api/admin/users/${userId}/keys`)).body.apiKey;
    h.sim.setFaults({ hangRate: 1 });
    let live: string;
    try {
      live = (await h.api(key, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'live' } })).body.taskId;
    } finally {
      h.sim.setFaults({ hangRate: 0 });
    }
    const canceled = (await h.api(key, 'POST', '/api/v1/tasks', { type: 'image', model: 'google/nano-banana', input: { prompt: 'gone' } })).body.taskId;
    await h.api(key, 'POST', `/api/v1/tasks/${canceled}/cancel`);
    for (const taskId of [live, canceled]) {
      const before = await accountCounts(h.system.db);
      const res = await h.api(admin, 'POST', `/api/admin/tasks/${taskId}/refund`, { reason: 'no' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('not_refundable');
      expect(await accountCounts(h.system.db)).toEqual(before);
    }
  });
});
