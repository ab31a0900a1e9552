import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/index.js';
import { API_KEY_CACHE_TTL_MS } from '../../src/http/auth/index.js';
import { usingPostgres } from '../helpers/db.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { startInstance } from '../helpers/instances.js';
import { accountCounts, expectAuditClean } from '../helpers/ledger.js';
import { waitFor } from '../helpers/net.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('accounts and keys through the admin API', () => {
  let h: Harness;
  let admin: string;
  beforeAll(async () => {
    h = await startHarness({ env: { SESSION_SECRET: 'accounts-session-secret-0123456789abcdef' } });
    admin = (await h.user(0, 'admin')).apiKey;
  });
  afterAll(() => h.close());

  const as = (method: string, path: string, body?: unknown) => h.api(admin, method, path, body);
  const journalOf = async (userId: string) =>
    (await h.system.db.query<{ type: string; amount: number }>('SELECT type, amount FROM credit_transactions WHERE user_id = $1 ORDER BY id', [userId])).rows;

  it('creates a user by externalId once: the same externalId again is 200 with the same user and no second grant', async () => {
    const first = await as('POST', '/api/admin/users', { externalId: 'app-user-1', email: 'One@Example.com', name: 'One', credits: 100 });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ userId: expect.any(String), externalId: 'app-user-1', email: 'one@example.com', name: 'One', createdAt: expect.any(String) });
    const again = await as('POST', '/api/admin/users', { externalId: 'app-user-1', credits: 500 });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await journalOf(first.body.userId)).toEqual([{ type: 'grant', amount: 100 }]);

    const shown = await as('GET', `/api/admin/users/${first.body.userId}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ ...first.body, credits: { balance: 100, frozen: 0, available: 100 }, keys: [], keysNextCursor: null });
    // The app may name its user by its own id wherever a user id goes.
    expect((await as('GET', '/api/admin/users/ext:app-user-1')).body).toEqual(shown.body);
    expect((await as('POST', '/api/admin/users/ext:app-user-1/credits', { amount: 1, reference: 'by-ext' })).body.balance).toBe(101);
    expect((await as('GET', '/api/admin/users/ext:nobody')).status).toBe(404);
  });

  it('concurrent creations with one externalId make one user and one grant', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => as('POST', '/api/admin/users', { externalId: 'raced', credits: 7 })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.userId)).size).toBe(1);
    expect(await journalOf(answers[0]!.body.userId)).toEqual([{ type: 'grant', amount: 7 }]);
  });

  it('an e-mail address is optional, and one already taken is a 409', async () => {
    const anonymous = await as('POST', '/api/admin/users', { externalId: 'no-email' });
    expect(anonymous.status).toBe(201);
    expect(anonymous.body.email).toBeNull();
    expect((await as('POST', '/api/admin/users', { email: 'taken@example.com' })).status).toBe(201);
    const taken = await as('POST', '/api/admin/users', { externalId: 'other', email: 'TAKEN@example.com' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('user_exists');
  });

  it('lists users newest first, keyset-paginated, with credits; filters by externalId and e-mail', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await as('POST', '/api/admin/users', { externalId: `page-${i}`, credits: i + 1 })).body.userId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await as('GET', `/api/admin/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.users.map((u: { userId: string }) => u.userId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 5)).toEqual([...made].reverse());
    const total = (await h.system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0]!.n;
    expect(seen.length).toBe(total);

    const byExternal = await as('GET', '/api/admin/users?externalId=page-3');
    expect(byExternal.body).toEqual({ users: [expect.objectContaining({ userId: made[3], credits: { balance: 4, frozen: 0, available: 4 } })], nextCursor: null });
    const byEmail = await as('GET', '/api/admin/users?email=Taken@Example.com');
    expect(byEmail.body.users.map((u: { email: string }) => u.email)).toEqual(['taken@example.com']);
  });

  it('a key made for a user works at once, is shown once and listed by prefix; revoking it refuses it here at once', async () => {
    const user = (await as('POST', '/api/admin/users', { externalId: 'keyed', credits: 5 })).body;
    const made = await as('POST', `/api/admin/users/${user.userId}/keys`);
    expect(made.status).toBe(201);
    expect(made.body).toEqual({ keyId: expect.any(String), apiKey: expect.stringMatching(/^sk_settle_/), userId: user.userId });
    expect((await h.api(made.body.apiKey, 'GET', '/api/v1/credits')).body).toEqual({ balance: 5, frozen: 0, available: 5 });
    const shown = (await as('GET', `/api/admin/users/${user.userId}`)).body;
    expect(shown.keys).toEqual([{ keyId: made.body.keyId, prefix: made.body.apiKey.slice(0, 14), role: 'user', createdAt: expect.any(String), revokedAt: null }]);
    expect(JSON.stringify(shown)).not.toContain(made.body.apiKey);

    const revoked = await as('DELETE', `/api/admin/keys/${made.body.keyId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ keyId: made.body.keyId, userId: user.userId, revokedAt: expect.any(String) });
    expect((await h.api(made.body.apiKey, 'GET', '/api/v1/credits')).status).toBe(401);
    const again = await as('DELETE', `/api/admin/keys/${made.body.keyId}`);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
  });

  it("lists a user's keys newest first a page at a time, revoked ones too; the user's answer carries the newest 50", async () => {
    const user = (await as('POST', '/api/admin/users', { externalId: 'many-keys' })).body;
    const made: string[] = [];
    for (let i = 0; i < 52; i++) made.push((await as('POST', `/api/admin/users/${user.userId}/keys`)).body.keyId);
    await as('DELETE', `/api/admin/keys/${made[51]}`);
    const newestFirst = [...made].reverse();

    const shown = (await as('GET', `/api/admin/users/${user.userId}`)).body;
    expect(shown.keys.map((k: { keyId: string }) => k.keyId)).toEqual(newestFirst.slice(0, 50));
    expect(shown.keys[0].revokedAt).toEqual(expect.any(String));
    const rest = await as('GET', `/api/admin/users/${user.userId}/keys?cursor=${shown.keysNextCursor}`);
    expect(rest.body).toEqual({ keys: newestFirst.slice(50).map((keyId) => expect.objectContaining({ keyId, revokedAt: null })), nextCursor: null });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await as('GET', `/api/admin/users/ext:many-keys/keys?limit=20${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.keys.map((k: { keyId: string }) => k.keyId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(newestFirst);

    const refusals: [string, number, RegExp][] = [
      [`/api/admin/users/${user.userId}/keys?cursor=not-a-cursor`, 400, /^query\.cursor: /],
      [`/api/admin/users/${user.userId}/keys?limit=201`, 400, /^query\.limit: /],
      [`/api/admin/users/${MISSING}/keys`, 404, /./],
    ];
    for (const [path, status, message] of refusals) {
      const res = await as('GET', path);
      expect(res.status, path).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await h.api((await h.user(3)).apiKey, 'GET', `/api/admin/users/${user.userId}/keys`)).status).toBe(403);
  });

  it.runIf(usingPostgres())(`a revoked key is refused by every other instance within API_KEY_CACHE_TTL_MS (${API_KEY_CACHE_TTL_MS} ms)`, async () => {
    const user = (await as('POST', '/api/admin/users', { externalId: 'two-instances' })).body;
    const { keyId, apiKey } = (await as('POST', `/api/admin/users/${user.userId}/keys`)).body;
    // Another process: its own connection pool, so its own key cache.
    const otherDb = openPostgres(h.database.url!, { max: 2 });
    const other = await startInstance(h, {}, otherDb);
    try {
      const onOther = () => fetch(`${other.url}/api/v1/credits`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect((await onOther()).status).toBe(200);
      expect((await as('DELETE', `/api/admin/keys/${keyId}`)).status).toBe(200);
      const revokedAt = Date.now();
      await waitFor('the other instance to refuse the key', async () => (await onOther()).status === 401, API_KEY_CACHE_TTL_MS + 2_000, 100);
      expect(Date.now() - revokedAt).toBeLessThan(API_KEY_CACHE_TTL_MS + 2_000);
    } finally {
      await other.close();
      await otherDb.close();
    }
  });

  it('bad input on every account route is a 4xx JSON error that changes no row', async () => {
    const user = (await as('POST', '/api/admin/users', { externalId: 'bad-input' })).body;
    const userKey = (await h.user(10)).apiKey;
    const cases: [string, string, unknown, number, string, string?][] = [
      ['POST', '/api/admin/users', { externalId: '' }, 400, 'invalid_request'],
      ['POST', '/api/admin/users', { externalId: 'x'.repeat(201) }, 400, 'invalid_request'],
      ['POST', '/api/admin/users', { email: 'not-an-address' }, 400, 'invalid_request'],
      ['POST', '/api/admin/users', { credits: -1 }, 400, 'invalid_request'],
      ['POST', '/api/admin/users', { credits: 1.5 }, 400, 'invalid_request'],
      ['POST', '/api/admin/users', { credits: 2 ** 53 }, 400, 'invalid_request'],
      ['POST', '/api/admin/users', { role: 'admin' }, 400, 'invalid_request'],
      ['POST', '/api/admin/users', [], 400, 'invalid_request'],
      ['POST', '/api/admin/users', '{"externalId":', 400, 'invalid_request'],
      ['POST', '/api/admin/users', { externalId: 'by-user-key' }, 403, 'forbidden', userKey],
      ['GET', '/api/admin/users?limit=0', undefined, 400, 'invalid_request'],
      ['GET', '/api/admin/users?cursor=not-a-cursor', undefined, 400, 'invalid_request'],
      ['GET', `/api/admin/users?cursor=${Buffer.from('{"at":"x","id":"y"}').toString('base64url')}`, undefined, 400, 'invalid_request'],
      ['GET', '/api/admin/users?nope=1', undefined, 400, 'invalid_request'],
      ['GET', '/api/admin/users/not-a-uuid', undefined, 404, 'not_found'],
      ['GET', `/api/admin/users/${MISSING}`, undefined, 404, 'not_found'],
      ['POST', `/api/admin/users/${MISSING}/keys`, undefined, 404, 'not_found'],
      ['POST', '/api/admin/users/not-a-uuid/keys', undefined, 404, 'not_found'],
      ['POST', `/api/admin/users/${user.userId}/keys`, undefined, 401, 'unauthorized', ''],
      ['DELETE', `/api/admin/keys/${MISSING}`, undefined, 404, 'not_found'],
      ['DELETE', '/api/admin/keys/nope', undefined, 404, 'not_found'],
      ['DELETE', `/api/admin/keys/${MISSING}`, undefined, 403, 'forbidden', userKey],
    ];
    for (const [method, path, body, status, code, key] of cases) {
      const before = await accountCounts(h.system.db);
      const res = await h.api(key === undefined ? admin : key || undefined, method, path, body);
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      expect(res.status, what).toBe(status);
      expect(res.body.error.code, what).toBe(code);
      expect(typeof res.body.error.message, what).toBe('string');
      expect(await accountCounts(h.system.db), what).toEqual(before);
    }
    await expectAuditClean(h.system.db);
  });
});
