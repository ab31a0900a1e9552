import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openPglite } from '../../src/db/index.js';
import { startSimulator, type RunningSimulator } from '../../src/simulators/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../storage/s3rver.js';

const KIE_KEY = 'kie-doctor-key';
const REPLICATE_TOKEN = 'r8_doctor_token';
const SMTP_PASSWORD = 'smtp-doctor-pw';

/** Replicate's GET /v1/account as the API documents it: the account for a valid token, 401 otherwise. */
async function startReplicateAccount(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const valid = req.url === '/v1/account' && req.headers.authorization === `Bearer ${REPLICATE_TOKEN}`;
    res.writeHead(valid ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(valid ? { type: 'organization', username: 'acme', name: 'Acme' } : { detail: 'Invalid token.' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A real SMTP server that insists on a user name and password. */
async function startSmtp(port: number): Promise<SMTPServer> {
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === SMTP_PASSWORD) return callback(null, { user: 'mailer' });
      callback(new Error('Invalid username or password'));
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('settle doctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'settle-doctor-'));
  let database: TestDatabase | undefined;
  let sim: RunningSimulator;
  let replicate: { url: string; close(): Promise<void> };
  let smtp: SMTPServer;
  let smtpPort: number;
  let alerts: Receiver;
  let env: Record<string, string>;
  let closedPort: number;

  beforeAll(async () => {
    // The doctor is another process: on PostgreSQL it opens the test's database, else a migrated embedded one.
    database = usingPostgres() ? await createTestDatabase() : undefined;
    if (!database) {
      const db = await openPglite(join(dir, 'data', 'pgdata'));
      await migrate(db);
      await db.close();
    }
    sim = await startSimulator({ port: 0, seed: 1, apiKey: KIE_KEY });
    replicate = await startReplicateAccount();
    smtpPort = await freePort();
    smtp = await startSmtp(smtpPort);
    alerts = await startReceiver();
    closedPort = await freePort();
    env = {
      ...(database ? { DATABASE_URL: database.url! } : { SETTLE_DATA_DIR: join(dir, 'data') }),
      KIE_BASE_URL: sim.url,
      KIE_API_KEY: KIE_KEY,
      REPLICATE_BASE_URL: replicate.url,
      REPLICATE_API_TOKEN: REPLICATE_TOKEN,
      STORAGE_DIR: join(dir, 'assets'),
      SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:${smtpPort}`,
      SLACK_WEBHOOK_URL: `${alerts.url}/slack/T000/B000/secret-slack-path`,
      DISCORD_WEBHOOK_URL: `${alerts.url}/discord/123/secret-discord-token`,
    };
  });
  afterAll(async () => {
    await database?.drop();
    await sim?.close();
    await replicate?.close();
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
    await alerts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (stdout: string) => stdout.trim().split('\n');
  const expectNoSecret = (out: string) => {
    for (const secret of [KIE_KEY, REPLICATE_TOKEN, SMTP_PASSWORD, 'secret-slack-path', 'secret-discord-token']) expect(out).not.toContain(secret);
  };

  it('everything right: exit 0, one line per check, and nothing posted where anyone would see it', async () => {
    const res = await runCli(['doctor'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = lines(res.stdout);
    expect(out.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'ok config',
      'ok database',
      'ok provider:kie',
      'ok provider:replicate',
      'ok storage',
      'ok smtp',
      'ok alerts:slack',
      'ok alerts:discord',
      'doctor: all',
    ]);
    expect(res.stdout).toMatch(/provider:kie\s+key accepted, 100000 credits left/);
    expect(res.stdout).toMatch(/provider:replicate\s+token accepted, account acme/);
    expect(res.stdout).toMatch(/smtp\s+127\.0\.0\.1:\d+: connected and signed in as mailer/);
    expect(res.stdout).toMatch(/storage\s+directory .*: wrote, read back and deleted a probe file/);
    expect(readdirSync(join(dir, 'assets', 'doctor'))).toEqual([]);
    expectNoSecret(res.stdout);
    // Slack got an empty message (which Slack refuses and shows no one), Discord only a GET.
    expect(alerts.received.map((r) => [r.path.split('/')[1], r.body])).toEqual(expect.arrayContaining([['slack', {}], ['discord', undefined]]));

    const json = await runCli(['doctor', '--json'], env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: true, failed: [] });
    expect(report.checks).toHaveLength(8);
  });

  const broken: [string, string, () => Record<string, string>, RegExp][] = [
    ['provider (a refused key)', 'provider:kie', () => ({ KIE_API_KEY: 'not-the-key' }), /^FAIL\s+provider:kie\s+the API key was refused \(KIE credit failed: 401/m],
    ['provider (unreachable)', 'provider:kie', () => ({ KIE_BASE_URL: `http://127.0.0.1:${closedPort}` }), /^FAIL\s+provider:kie\s+KIE credit could not reach the provider: ECONNREFUSED$/m],
    ['SMTP (a refused password)', 'smtp', () => ({ SMTP_URL: `smtp://mailer:wrong-password@127.0.0.1:${smtpPort}` }), /^FAIL\s+smtp\s+127\.0\.0\.1:\d+: Invalid login/m],
    ['storage (STORAGE_DIR is a file)', 'storage', () => {
      writeFileSync(join(dir, 'not-a-directory'), 'x');
      return { STORAGE_DIR: join(dir, 'not-a-directory') };
    }, /^FAIL\s+storage\s+directory .*not-a-directory: .*(ENOTDIR|EEXIST)/m],
    ['database (unreachable)', 'database', () => ({ DATABASE_URL: 'postgres://postgres@127.0.0.1:9/settle' }), /^FAIL\s+database\s+nothing accepts connections at 127\.0\.0\.1:9$/m],
  ];
  for (const [part, name, change, line] of broken) {
    it(`${part}: exit 1, naming it`, async () => {
      const changed = change();
      const res = await runCli(['doctor'], { ...env, ...changed });
      expect(res.code).toBe(1);
      expect(res.stdout).toMatch(line);
      expect(lines(res.stdout).at(-1)).toBe(`doctor: 1 of ${lines(res.stdout).length - 1} checks failed: ${name}`);
      expectNoSecret(res.stdout + res.stderr);
    });
  }

  it('storage on S3 (a real S3-compatible server): the probe goes through the bucket and its URL; an unknown key fails it', async () => {
    const s3 = await startS3rver();
    try {
      const bucket = { R2_BUCKET_NAME: s3.bucket, R2_ENDPOINT: s3.endpoint, R2_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey };
      const good = await runCli(['doctor'], { ...env, ...bucket, R2_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId });
      expect(good.code, good.stdout).toBe(0);
      expect(good.stdout).toMatch(/^ok\s+storage\s+bucket settle-assets: wrote, read back and deleted a probe file$/m);
      const bad = await runCli(['doctor'], { ...env, ...bucket, R2_ACCESS_KEY_ID: 'NOT-A-KEY' });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^FAIL\s+storage\s+bucket settle-assets: S3 upload of assets\/doctor\/\S+ to bucket settle-assets failed: InvalidAccessKeyId/m);
    } finally {
      await s3.close();
    }
  });

  it('database (not migrated): exit 1, naming the missing migrations', async () => {
    const fresh = usingPostgres() ? await createTestDatabase() : undefined;
    try {
      if (fresh) await fresh.db.query('DELETE FROM settle_migrations WHERE version = 9');
      const changed = fresh ? { DATABASE_URL: fresh.url! } : { SETTLE_DATA_DIR: join(dir, 'never-migrated') };
      const res = await runCli(['doctor', '--json'], { ...env, ...changed });
      expect(res.code).toBe(1);
      const report = JSON.parse(res.stdout);
      expect(report.failed).toEqual(['database']);
      expect(report.checks.find((c: { name: string }) => c.name === 'database').detail).toMatch(/migration\(s\) not applied \(.*0009_own_schema\.sql.*\); run settle migrate/);
    } finally {
      await fresh?.drop();
    }
  });
});
