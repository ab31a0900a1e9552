import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_CACHE_TTL_MS } from '../../src/http/auth/index.js';
import { hashApiKey } from '../../src/users/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

describe('API keys remembered briefly', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const revoke = (userId: string) => h.system.db.query('UPDATE api_keys SET revoked_at = now() WHERE user_id = $1', [userId]);

  it(`a revoked user key stops working within API_KEY_CACHE_TTL_MS (${API_KEY_CACHE_TTL_MS} ms)`, async () => {
    const { apiKey, userId } = await h.user(100);
    expect((await h.api(apiKey, 'GET', '/api/v1/credits')).status).toBe(200);
    await revoke(userId);
    const revokedAt = Date.now();
    // Remembered: no database read for this key until its entry expires.
    expect((await h.api(apiKey, 'GET', '/api/v1/credits')).status).toBe(200);
    await sleep(API_KEY_CACHE_TTL_MS - (Date.now() - revokedAt) + 100);
    const after = await h.api(apiKey, 'GET', '/api/v1/credits');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('unauthorized');
    expect((await h.api(apiKey, 'POST', '/api/v1/tasks', { type: 'image', model: 'google/nano-banana', input: { prompt: 'x' } })).status).toBe(401);
  });

  it('a revoked admin key is refused on admin routes at once', async () => {
    const { apiKey, userId } = await h.user(0, 'admin');
    expect((await h.api(apiKey, 'GET', '/api/admin/cron-jobs')).status).toBe(200);
    await revoke(userId);
    expect((await h.api(apiKey, 'GET', '/api/admin/cron-jobs')).status).toBe(401);
  });

  it('a refused key is not remembered: it works as soon as it exists', async () => {
    const { userId } = await h.user(100);
    const key = `sk_settle_${randomBytes(24).toString('base64url')}`;
    expect((await h.api(key, 'GET', '/api/v1/credits')).status).toBe(401);
    await h.system.db.query('INSERT INTO api_keys (id, user_id, key_hash, key_prefix, role) VALUES ($1, $2, $3, $4, $5)', [
      randomUUID(), userId, hashApiKey(key), key.slice(0, 14), 'user',
    ]);
    expect((await h.api(key, 'GET', '/api/v1/credits')).status).toBe(200);
  });
});
