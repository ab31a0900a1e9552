import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/http/index.js';
import { createLogger } from '../../src/log/index.js';
import { createSystem, type System } from '../../src/app/system.js';
import { createUser } from '../../src/users/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** A log destination in memory: every line pino writes, parsed. */
function memoryLog() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const API_KEY = 'sk_settle_abcdefghijklmnopqrstuvwxyz012345';
const SMTP_PASSWORD = 'smtp-pass-7d1e9';
const SESSION = 'v1.eyJzaWQiOiJ4In0.c2lnbmF0dXJl';

describe('log redaction', () => {
  it('an API key, an Authorization header, a cookie and an SMTP URL password never reach the log', () => {
    const log = memoryLog();
    const logger = createLogger('info', log.stream);
    logger.info(
      {
        taskId: 'task-1',
        apiKey: API_KEY,
        req: { method: 'POST', url: '/admin/login', headers: { authorization: `Bearer ${API_KEY}`, cookie: `settle_session=${SESSION}` } },
        headers: { authorization: `Bearer ${API_KEY}`, cookie: `settle_session=${SESSION}` },
        res: { headers: { 'set-cookie': `settle_session=${SESSION}; HttpOnly` } },
        body: { apiKey: API_KEY },
        smtpUrl: `smtp://mailer:${SMTP_PASSWORD}@smtp.example.com:587`,
        options: { smtpUrl: `smtp://mailer:${SMTP_PASSWORD}@smtp.example.com:587`, cookie: SESSION },
      },
      'something happened',
    );
    const text = log.text();
    for (const secret of [API_KEY, SMTP_PASSWORD, SESSION]) expect(text).not.toContain(secret);
    const [line] = log.lines();
    expect(line).toMatchObject({ taskId: 'task-1', msg: 'something happened', apiKey: '[redacted]', smtpUrl: '[redacted]' });
  });

  it('a whole configuration logged by mistake (flat, or as { config }) shows none of its secrets', () => {
    const secrets = {
      DATABASE_URL: 'postgres://settle:db-pass-1@db.example.com/settle',
      CRON_SECRET: 'cron-secret-2',
      SESSION_SECRET: 'session-secret-3-long-enough-to-be-real',
      KIE_API_KEY: 'kie-key-4',
      KIE_WEBHOOK_HMAC_KEY: 'hmac-key-5',
      SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@smtp.example.com:587`,
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/slack-token-6',
      DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/1/discord-token-7',
      R2_BUCKET_NAME: 'bucket',
      R2_ACCESS_KEY_ID: 'access-id',
      R2_SECRET_ACCESS_KEY: 'r2-secret-8',
    };
    const config = loadConfig(secrets);
    const log = memoryLog();
    const logger = createLogger('info', log.stream);
    logger.info({ config }, 'starting');
    logger.info(config, 'starting, flat');
    logger.child({ component: 'startup' }).info({ config }, 'starting, from a child logger');
    const text = log.text();
    for (const [name, value] of Object.entries(secrets)) {
      if (['R2_BUCKET_NAME', 'R2_ACCESS_KEY_ID'].includes(name)) continue;
      const secretPart = name === 'DATABASE_URL' ? 'db-pass-1' : name === 'SMTP_URL' ? SMTP_PASSWORD : value;
      expect(text, name).not.toContain(secretPart);
    }
    expect(text).toContain('bucket');
  });
});

describe('request logs of the running app', () => {
  let database: TestDatabase;
  let system: System;
  const log = memoryLog();

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ KIE_BASE_URL: 'http://127.0.0.1:9', KIE_API_KEY: 'kie-test-key', STORAGE_DIR: '/tmp/settle-log-test' });
    system = await createSystem(config, { db: database.db, logger: createLogger('info', log.stream) });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('carry executionId for a triggered run and never the key, the session or the CSRF token', async () => {
    const app = await buildApp(system);
    try {
      const admin = await createUser(system.db, { email: 'log-admin@example.com', role: 'admin' });
      const login = await app.inject({
        method: 'POST',
        url: '/admin/login',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `apiKey=${admin.apiKey}`,
      });
      expect(login.statusCode).toBe(303);
      const cookie = login.cookies.find((c) => c.name === 'settle_session')!.value;
      const page = await app.inject({ method: 'GET', url: '/admin/cron-jobs', cookies: { settle_session: cookie } });
      const token = /name="csrf-token" content="([^"]+)"/.exec(page.body)![1]!;
      const run = await app.inject({
        method: 'POST',
        url: '/admin/api/trigger-cron',
        cookies: { settle_session: cookie },
        headers: { 'x-csrf-token': token },
        payload: { job: 'cleanup-jobs' },
      });
      expect(run.statusCode).toBe(200);
      const executionId = run.json().executionId as string;
      const viaKey = await app.inject({ method: 'GET', url: '/api/admin/cron-jobs', headers: { authorization: `Bearer ${admin.apiKey}` } });
      expect(viaKey.statusCode).toBe(200);

      const lines = log.lines();
      expect(lines.some((l) => l.executionId === executionId && l.msg === 'recovery run triggered from the dashboard')).toBe(true);
      expect(lines.some((l) => l.msg === 'admin signed in to the dashboard' && l.userId === admin.userId)).toBe(true);
      const text = log.text();
      for (const secret of [admin.apiKey, cookie, token, 'kie-test-key']) expect(text).not.toContain(secret);
    } finally {
      await app.close();
    }
  });
});
