import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openPglite, type Db } from '../../src/db/index.js';
import { enqueueNotification } from '../../src/notify/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/db.js';

describe('settle outbox, piped', () => {
  let server: TestDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'settle-outbox-cli-'));
  let env: Record<string, string>;

  beforeAll(async () => {
    // The CLI is another process: on PostgreSQL it opens the test's database, else an embedded one on disk.
    server = usingPostgres() ? await createTestDatabase() : undefined;
    const db: Db = server?.db ?? (await openPglite(join(dataDir, 'pgdata')));
    await migrate(db);
    await enqueueNotification(db, { channel: 'slack', kind: 'alert', payload: { text: 'hello' }, dedupeKey: 'outbox-cli-1', maxAttempts: 3 });
    if (!server) await db.close();
    env = server ? { DATABASE_URL: server.url! } : { SETTLE_DATA_DIR: dataDir };
  });
  afterAll(async () => {
    await server?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints its table without colour codes or other control characters, even from a colour terminal', async () => {
    // `settle outbox | less` in a terminal: TERM says colours work, but stdout is a pipe.
    const res = await runCli(['outbox'], { ...env, TERM: 'xterm-256color' });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('slack');
    expect(res.stdout).toContain('Outbox: 1 pending, 0 sent, 0 dead.');
    expect(res.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
