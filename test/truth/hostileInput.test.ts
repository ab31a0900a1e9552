import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type Queryable } from '../../src/db/index.js';
import { grantCredits } from '../../src/ledger/index.js';
import { runCli } from '../helpers/cli.js';
import { usingPostgres } from '../helpers/db.js';
import type { Harness } from '../helpers/harness.js';
import { tableCounts } from '../helpers/ledger.js';
import { startWorld } from './world.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

describe('hostile input changes nothing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startWorld();
  });
  afterAll(() => h.close());

  /** Posts a raw JSON text and checks it is a 400 JSON error that wrote nothing and called no provider. */
  async function expectRefusedUnchanged(apiKey: string, path: string, rawJson: string) {
    const before = await tableCounts(h.system.db);
    const callsBefore = h.sim.log().calls.length;
    const answer = await h.api(apiKey, 'POST', path, rawJson);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect(await tableCounts(h.system.db)).toEqual(before);
    expect(h.sim.log().calls.length).toBe(callsBefore);
  }

  it('input nested 5000 deep answers 400', async () => {
    const { apiKey } = await h.user(100);
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    await expectRefusedUnchanged(apiKey, '/api/v1/tasks', `{"type":"image","model":"google/nano-banana","input":{"prompt":"deep","extra":${deep}}}`);
    await expectRefusedUnchanged(apiKey, '/api/v1/generate-image', `{"prompt":"deep","extra":${deep}}`);
  });

  it('a lone surrogate \\ud800 in the input answers 400', async () => {
    const { apiKey } = await h.user(100);
    // The escape is JSON text: the parsed string holds a lone high surrogate, which PostgreSQL's jsonb refuses.
    await expectRefusedUnchanged(apiKey, '/api/v1/tasks', '{"type":"image","model":"google/nano-banana","input":{"prompt":"a \\ud800 b"}}');
    await expectRefusedUnchanged(apiKey, '/api/v1/tasks', '{"type":"image","model":"google/nano-banana","input":{"prompt":"ok","\\ud800":1}}');
    await expectRefusedUnchanged(apiKey, '/api/v1/generate-image', '{"prompt":"fine","style":"\\ud800"}');
  });

  it('a grant that would take a balance past 2^53 - 1 is refused and nothing changes', async () => {
    const { apiKey, userId } = await h.user(MAX_SAFE - 10);
    const before = await tableCounts(h.system.db);
    await expect(grantCredits(h.system.db, { userId, amount: 100 })).rejects.toThrow();
    expect(await tableCounts(h.system.db)).toEqual(before);
    const { rows } = await h.system.db.query<{ balance: string }>('SELECT balance::text AS balance FROM user_credits WHERE user_id = $1', [userId]);
    expect(rows[0]!.balance).toBe(String(MAX_SAFE - 10));
    expect((await h.api(apiKey, 'GET', '/api/v1/credits')).body).toEqual({ balance: MAX_SAFE - 10, frozen: 0, available: MAX_SAFE - 10 });
    // Up to the limit exactly is fine.
    expect(await grantCredits(h.system.db, { userId, amount: 10 })).toEqual({ balance: MAX_SAFE });
  });

  it('`settle credits grant` past 2^53 - 1 fails with one clear line and changes nothing', async () => {
    // The CLI is another process: it shares the suite's PostgreSQL database, or an embedded one in a directory that
    // this test opens only while no command runs.
    const dataDir = mkdtempSync(join(tmpdir(), 'settle-truth-cli-'));
    const env = usingPostgres() ? { DATABASE_URL: h.database.url } : { SETTLE_DATA_DIR: dataDir };
    const read = async <T>(work: (db: Queryable) => Promise<T>): Promise<T> => {
      if (usingPostgres()) return work(h.system.db);
      const db = await openPglite(join(dataDir, 'pgdata'));
      try {
        return await work(db);
      } finally {
        await db.close();
      }
    };
    try {
      const email = `rich-${randomUUID()}@example.com`;
      const created = await runCli(['users', 'create', '--email', email, '--credits', String(MAX_SAFE - 10), '--json'], env);
      expect(created.code, created.stderr).toBe(0);
      const { userId } = JSON.parse(created.stdout);
      const before = await read((db) => tableCounts(db));

      const granted = await runCli(['credits', 'grant', '--email', email, '--amount', '100'], env);
      expect(granted.code).not.toBe(0);
      const message = granted.stderr.trim();
      expect(message.split('\n'), `stderr ends: ${message.slice(-500)}`).toHaveLength(1);
      expect(message).toMatch(/2\^53|9007199254740991|balance/i);

      expect(await read((db) => tableCounts(db))).toEqual(before);
      const balance = await read((db) => db.query<{ balance: string }>('SELECT balance::text AS balance FROM user_credits WHERE user_id = $1', [userId]));
      expect(balance.rows[0]!.balance).toBe(String(MAX_SAFE - 10));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a recurring job\'s run record', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startWorld();
  });
  afterAll(() => h.close());

  it('of a run that lasted more than 24.8 days can be finished, and the job runs again', async () => {
    const { apiKey: adminKey } = await h.user(0, 'admin');
    // A run whose process died 30 days ago: 2,592,000,000 ms, past the 2^31 - 1 an integer column holds.
    const abandoned = randomUUID();
    await h.system.db.query(
      `INSERT INTO cron_job_executions (id, job_name, status, started_at) VALUES ($1, 'cleanup-jobs', 'running', now() - interval '30 days')`,
      [abandoned],
    );

    const run = await h.api(adminKey, 'POST', '/api/admin/trigger-cron', { job: 'cleanup-jobs' });
    expect(run.status).toBe(200);

    const { rows } = await h.system.db.query<{ status: string; duration: string }>(
      'SELECT status, duration::text AS duration FROM cron_job_executions WHERE id = $1',
      [abandoned],
    );
    expect(rows[0]!.status).not.toBe('running');
    expect(Number(rows[0]!.duration)).toBeGreaterThan(2 ** 31);
    const runs = await h.system.db.query<{ n: string }>("SELECT count(*)::text AS n FROM cron_job_executions WHERE job_name = 'cleanup-jobs' AND status = 'completed'");
    expect(runs.rows[0]!.n).toBe('1');
  });
});
