import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, InsufficientCreditsError, NotFoundError, SettleAdmin, UnauthorizedError } from '../../src/client/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { expectAuditClean } from '../helpers/ledger.js';

describe('SettleAdmin (settle/client) against a running server', () => {
  let h: Harness;
  let admin: SettleAdmin;
  const calls: string[] = [];
  beforeAll(async () => {
    h = await startHarness({ sim: { durationMs: [300, 600] } });
    const recording: typeof fetch = (input, init) => {
      calls.push(`${init?.method ?? 'GET'} ${String(input).slice(h.url.length)}${init?.body ? ` ${String(init.body)}` : ''}`);
      return fetch(input, init);
    };
    admin = new SettleAdmin({ baseUrl: `${h.url}/`, apiKey: (await h.user(0, 'admin')).apiKey, fetch: recording });
  });
  afterAll(() => h.close());

  it('users by externalId, keys, credits by reference, a task for the user, its refund', async () => {
    const user = await admin.users.create({ externalId: 'app-42', email: 'ada@example.com', credits: 50 });
    expect(user).toMatchObject({ externalId: 'app-42', email: 'ada@example.com', created: true });
    expect(await admin.users.create({ externalId: 'app-42', credits: 999 })).toMatchObject({ userId: user.userId, created: false });
    expect((await admin.users.findByExternalId('app-42'))?.credits).toEqual({ balance: 50, frozen: 0, available: 50 });
    expect(await admin.users.findByExternalId('nobody')).toBeNull();

    const granted = await admin.credits.grant(user.userId, 100, 'pi_3Nabc', 'top-up');
    expect(granted).toMatchObject({ balance: 150, available: 150, replayed: false });
    expect(await admin.credits.grant(user.userId, 100, 'pi_3Nabc', 'top-up')).toEqual({ ...granted, replayed: true });
    await expect(admin.credits.grant(user.userId, 5, 'pi_3Nabc')).rejects.toBeInstanceOf(ConflictError);
    await expect(admin.credits.debit(user.userId, 1000, 'too-much')).rejects.toBeInstanceOf(InsufficientCreditsError);
    expect(await admin.credits.debit(user.userId, 20, 'order-7')).toMatchObject({ balance: 130, replayed: false });

    const forAda = admin.forUser('ext:app-42');
    const { taskId, creditsHeld } = await forAda.submit({ type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'a kite', n_frames: '15' } });
    expect(creditsHeld).toBe(45);
    await forAda.waitForCompletion(taskId, { timeoutMs: 20_000 });
    expect(await forAda.credits()).toEqual({ balance: 85, frozen: 0, available: 85 });
    const refund = await admin.tasks.refund(taskId, 'blurry');
    expect(refund).toMatchObject({ taskId, userId: user.userId, creditsRefunded: 45, balance: 130, replayed: false });
    expect(await admin.tasks.refund(taskId, 'again')).toEqual({ ...refund, replayed: true });

    const key = await admin.keys.create(user.userId);
    expect(key.apiKey).toMatch(/^sk_settle_/);
    const detail = await admin.users.get(user.userId);
    expect(detail.keys.map((k) => k.keyId)).toEqual([key.keyId]);
    expect(detail.keysNextCursor).toBeNull();
    expect((await admin.keys.revoke(key.keyId)).keyId).toBe(key.keyId);
    await expect(admin.users.get('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expectAuditClean(h.system.db);
  });

  it('pages through users with the cursor it is given', async () => {
    for (let i = 0; i < 3; i++) await admin.users.create({ externalId: `paged-${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.users.list({ limit: 2, cursor });
      seen.push(...page.users.map((u) => u.userId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it("pages through a user's keys and the webhook endpoints; webhookEndpoints.list walks every page", async () => {
    const { userId } = await admin.users.create({ externalId: 'key-pages' });
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push((await admin.keys.create(userId)).keyId);
    const first = await admin.keys.list('ext:key-pages', { limit: 2 });
    expect(first.keys.map((k) => k.keyId)).toEqual([keys[2], keys[1]]);
    expect(await admin.keys.list(userId, { limit: 2, cursor: first.nextCursor! })).toEqual({ keys: [expect.objectContaining({ keyId: keys[0] })], nextCursor: null });

    const made = [];
    for (let i = 0; i < 3; i++) made.push((await admin.webhookEndpoints.create({ url: `https://paged.example.com/${i}` })).id);
    const page = await admin.webhookEndpoints.page({ limit: 2 });
    expect(page.endpoints.map((e) => e.id)).toEqual([made[2], made[1]]);
    expect((await admin.webhookEndpoints.page({ limit: 2, cursor: page.nextCursor! })).endpoints[0]!.id).toBe(made[0]);
    // More endpoints than the server's largest page: list() follows nextCursor to the end.
    await h.system.db.query(
      `INSERT INTO webhook_endpoints (id, url, events, secret, created_at)
       SELECT gen_random_uuid(), 'https://bulk.example.com/' || i, '{task.completed}', 'whsec_x', now() - i * interval '1 second' FROM generate_series(1, 250) i`,
    );
    const all = (await admin.webhookEndpoints.list()).map((e) => e.id);
    expect(all.slice(0, 3)).toEqual([...made].reverse());
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe((await h.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_endpoints')).rows[0]!.n);
    await h.system.db.query(`DELETE FROM webhook_endpoints WHERE url LIKE 'https://bulk.example.com/%' OR url LIKE 'https://paged.example.com/%'`);
  });

  it('webhook endpoints are called at /api/admin/webhook-endpoints; a user key or a wrong key is refused with typed errors', async () => {
    calls.length = 0;
    await admin.webhookEndpoints.create({ url: 'https://app.example.com/hooks/settle', events: ['task.completed'] }).catch(() => undefined);
    await admin.webhookEndpoints.list().catch(() => undefined);
    await admin.webhookEndpoints.delete('00000000-0000-4000-8000-000000000000').catch(() => undefined);
    expect(calls).toEqual([
      'POST /api/admin/webhook-endpoints {"url":"https://app.example.com/hooks/settle","events":["task.completed"]}',
      'GET /api/admin/webhook-endpoints?limit=200',
      'DELETE /api/admin/webhook-endpoints/00000000-0000-4000-8000-000000000000',
    ]);
    const asUser = new SettleAdmin({ baseUrl: h.url, apiKey: (await h.user(0)).apiKey });
    await expect(asUser.users.list()).rejects.toBeInstanceOf(ForbiddenError);
    await expect(new SettleAdmin({ baseUrl: h.url, apiKey: 'sk_settle_wrong' }).users.list()).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
