import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';

/**
 * Money moved by many real clients at once (50 HTTP requests in flight). On PostgreSQL they run in parallel
 * transactions; the guarded statements, not the test's timing, decide who wins.
 */
describe('the credits API under concurrency', () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    // Tasks hang at the provider, so every accepted submission keeps its hold for the whole test.
    h = await startHarness({ sim: { hangRate: 1 } });
    admin = (await h.user(0, 'admin')).apiKey;
  });
  afterAll(() => h.close());

  const newUser = async (credits: number) => {
    const userId = (await h.api(admin, 'POST', '/api/admin/users', { credits })).body.userId as string;
    const apiKey = (await h.api(admin, 'POST', `/api/admin/users/${userId}/keys`)).body.apiKey as string;
    return { userId, apiKey };
  };
  const move = (userId: string, amount: number, reference: string) => h.api(admin, 'POST', `/api/admin/users/${userId}/credits`, { amount, reference });
  const entries = async (userId: string, type: string) =>
    (await h.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM credit_transactions WHERE user_id = $1 AND type = $2', [userId, type])).rows[0]!.n;

  it('50 concurrent grants with one reference: one journal row, one 201, and 49 answers identical to it', async () => {
    const { userId } = await newUser(0);
    const answers = await Promise.all(Array.from({ length: 50 }, () => move(userId, 25, 'stripe:pi_same')));
    const created = answers.filter((a) => a.status === 201);
    expect(created).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(49);
    for (const a of answers) expect(a.body).toEqual(created[0]!.body);
    expect(await entries(userId, 'grant')).toBe(1);
    expect((await h.api(admin, 'GET', `/api/admin/users/${userId}`)).body.credits).toEqual({ balance: 25, frozen: 0, available: 25 });
    await expectAuditClean(h.system.db);
  });

  it('50 concurrent debits on a balance enough for 10: exactly 10 succeed, 40 are 402', async () => {
    const { userId } = await newUser(100);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => move(userId, -10, `order-${i}`)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(10);
    const refused = answers.filter((a) => a.status === 402);
    expect(refused).toHaveLength(40);
    for (const a of refused) expect(a.body.error.code).toBe('insufficient_credits');
    expect(await entries(userId, 'debit')).toBe(10);
    expect((await h.api(admin, 'GET', `/api/admin/users/${userId}`)).body.credits).toEqual({ balance: 0, frozen: 0, available: 0 });
    await expectAuditClean(h.system.db);
  });

  it('debits racing submissions never take available below zero: exactly the balance is spent, no more', async () => {
    const { userId, apiKey } = await newUser(300);
    const samples: number[] = [];
    let racing = true;
    const sampler = (async () => {
      while (racing) samples.push((await h.api(apiKey, 'GET', '/api/v1/credits')).body.available);
    })();
    const submissions = Array.from({ length: 8 }, (_, i) =>
      h.api(apiKey, 'POST', '/api/v1/tasks', { type: 'video', model: 'sora-2-text-to-video', input: { prompt: `race ${i}` } }),
    );
    const debits = Array.from({ length: 8 }, (_, i) => move(userId, -30, `race-${i}`));
    const [submitted, debited] = await Promise.all([Promise.all(submissions), Promise.all(debits)]);
    racing = false;
    await sampler;

    const held = submitted.filter((s) => s.status === 202).length;
    const spent = debited.filter((d) => d.status === 201).length;
    expect([...submitted, ...debited].every((a) => [201, 202, 402].includes(a.status))).toBe(true);
    // Each success takes 30 of the 300, and a refusal happens only once nothing is left; 8 of either kind cannot
    // spend it all, so both kinds succeed at least twice.
    expect(held + spent).toBe(10);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    const credits = (await h.api(apiKey, 'GET', '/api/v1/credits')).body;
    expect(credits).toEqual({ balance: 300 - 30 * spent, frozen: 30 * held, available: 0 });
    expect(await entries(userId, 'freeze')).toBe(held);
    expect(await entries(userId, 'debit')).toBe(spent);
    await expectAuditClean(h.system.db);
  });
});
