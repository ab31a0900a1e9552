import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import type { Config } from '../config/index.js';
import { openDatabase, pendingMigrations, type Db } from '../db/index.js';
import { createLocalStore, createS3Store, type AssetStore } from '../storage/index.js';
import { databaseOptions } from '../app/index.js';
import { checkAccount, configuredProviders, reason, type AccountAnswer } from './providerAccounts.js';
import type { Check } from './types.js';

const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
const fail = (name: string, detail: string): Check => ({ name, status: 'fail', detail });
const skip = (name: string, detail: string): Check => ({ name, status: 'skip', detail });
const fromAnswer = (name: string, answer: AccountAnswer): Check => (answer.ok ? ok(name, answer.detail) : fail(name, answer.detail));
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Reachable, and every migration applied. It opens the database but changes nothing (no migration, one try). */
export async function checkDatabase(config: Config): Promise<Check> {
  let db: Db;
  try {
    db = await openDatabase({ ...databaseOptions(config), waitMs: 0 });
  } catch (err) {
    return fail('database', messageOf(err));
  }
  try {
    const { rows } = await db.query<{ version: string }>(`SELECT split_part(version(), ' ', 2) AS version`);
    const where = db.kind === 'pg' ? `PostgreSQL ${rows[0]!.version}, schema ${db.schema}${config.database.pooler === 'transaction' ? ', through a transaction pooler' : ''}` : `embedded database in ${config.dataDir}`;
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      return fail('database', `${where}: ${pending.length} migration(s) not applied (${pending.join(', ')}); run settle migrate (serve and worker also migrate when they start)`);
    }
    return ok('database', `${where}, migrated`);
  } catch (err) {
    return fail('database', messageOf(err));
  } finally {
    await db.close();
  }
}

/** Each configured provider: reachable, key valid, and for KIE the credits left on the account. */
export async function checkProviders(config: Config): Promise<Check[]> {
  const checks = configuredProviders(config).map(({ name, provider }) => checkAccount(provider).then((a) => fromAnswer(`provider:${name}`, a)));
  if (checks.length === 0) return [fail('provider', 'no provider is configured: set KIE_API_KEY or REPLICATE_API_TOKEN')];
  return Promise.all(checks);
}

/** Writes a probe file, reads it back as a user would (S3: through its URL) and deletes it. */
export async function checkStorage(config: Config): Promise<Check> {
  const s3 = config.r2 ? createS3Store(config.r2) : undefined;
  const store: AssetStore = s3 ?? createLocalStore(config.storageDir, config.publicUrl);
  const where = s3 ? `bucket ${s3.bucket}` : `directory ${config.storageDir}`;
  const key = `assets/doctor/${randomUUID()}.txt`;
  const probe = Buffer.from(`settle doctor ${new Date().toISOString()}`);
  try {
    await store.put(key, Readable.from([probe]), 'text/plain', probe.length);
    const read = await readBack(store, key, config);
    if (!read.equals(probe)) return fail('storage', `${where}: the probe file read back differs from what was written`);
    await store.delete(key);
    return ok('storage', `${where}: wrote, read back and deleted a probe file`);
  } catch (err) {
    await store.delete(key).catch(() => {});
    return fail('storage', `${where}: ${messageOf(err)}`);
  } finally {
    s3?.close();
  }
}

async function readBack(store: AssetStore, key: string, config: Config): Promise<Buffer> {
  if (config.r2) {
    const res = await fetch(await store.url(key), { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`the probe file's URL answered HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  const opened = await createLocalStore(config.storageDir, config.publicUrl).open(key);
  if (!opened) throw new Error('the probe file cannot be opened after writing it');
  return Buffer.concat(await opened.body.toArray());
}

/** Connects and signs in (nodemailer's verify); sends nothing. */
export async function checkSmtp(config: Config): Promise<Check> {
  if (!config.smtpUrl) return skip('smtp', 'SMTP_URL is not set: no user e-mails are sent');
  const server = new URL(config.smtpUrl);
  const where = `${server.hostname}:${server.port || (server.protocol === 'smtps:' ? 465 : 587)}`;
  const transport = nodemailer.createTransport(config.smtpUrl);
  try {
    await transport.verify();
    return ok('smtp', `${where}: connected${server.username ? ` and signed in as ${decodeURIComponent(server.username)}` : ''}`);
  } catch (err) {
    return fail('smtp', `${where}: ${messageOf(err)}`);
  } finally {
    transport.close();
  }
}

/**
 * The alert webhooks, without posting anything anyone would see. Slack: an empty message, which a live incoming
 * webhook refuses with 400 `no_text` and a revoked one with 403/404/410. Discord: a GET of the webhook URL, which
 * answers the webhook's name while it exists. The URLs are credentials, so only their hosts are printed.
 */
export async function checkAlerts(config: Config): Promise<Check[]> {
  const checks: Promise<Check>[] = [];
  if (config.slackWebhookUrl) checks.push(probeSlack(config.slackWebhookUrl));
  if (config.discordWebhookUrl) checks.push(probeDiscord(config.discordWebhookUrl));
  if (checks.length === 0) return [skip('alerts', 'neither SLACK_WEBHOOK_URL nor DISCORD_WEBHOOK_URL is set: no alerts are sent')];
  return Promise.all(checks);
}

async function probeSlack(url: string): Promise<Check> {
  const host = new URL(url).host;
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(10_000) });
    const said = (await res.text()).slice(0, 100);
    if (res.ok || (res.status === 400 && /no_text|invalid_payload/.test(said))) return ok('alerts:slack', `${host}: the webhook exists (an empty test message, which Slack does not show)`);
    return fail('alerts:slack', `${host}: the webhook answered HTTP ${res.status} ${said}`.trim());
  } catch (err) {
    return fail('alerts:slack', `cannot reach ${host}: ${reason(err)}`);
  }
}

async function probeDiscord(url: string): Promise<Check> {
  const host = new URL(url).host;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (res.ok) return ok('alerts:discord', `${host}: the webhook exists (read, nothing posted)`);
    return fail('alerts:discord', `${host}: the webhook answered HTTP ${res.status}`);
  } catch (err) {
    return fail('alerts:discord', `cannot reach ${host}: ${reason(err)}`);
  }
}
