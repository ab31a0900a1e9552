import nodemailer from 'nodemailer';
import type { Queryable } from '../db/index.js';
import type { AssetStore } from '../storage/index.js';
import { renderReadyEmail } from './readyEmail.js';
import type { Channel, OutboxEntry } from './types.js';

/** Delivers one outbox entry or throws; the delivery loop owns retries. */
export type Sender = (entry: OutboxEntry) => Promise<void>;
export type Senders = Partial<Record<Channel, Sender>>;

const WEBHOOK_TIMEOUT_MS = 10_000;

export interface EmailSenderOptions {
  smtpUrl: string;
  from: string;
  libraryUrl: string;
  db: Queryable;
  store: AssetStore;
}

interface ReadyTask {
  type: 'video' | 'image';
  asset_keys: string[];
  input: { prompt?: string };
  email: string | null;
  name: string | null;
}

/** Renders at send time, so the asset link (possibly a presigned URL) is fresh when the mail leaves. */
export function createEmailSender(options: EmailSenderOptions): Sender {
  const transport = nodemailer.createTransport(options.smtpUrl);
  return async (entry) => {
    const { rows } = await options.db.query<ReadyTask>(
      `SELECT t.type, t.asset_keys, t.input, u.email, u.name FROM tasks t JOIN users u ON u.id = t.user_id WHERE t.id = $1`,
      [entry.payload.taskId],
    );
    const task = rows[0];
    if (!task?.asset_keys[0]) throw new Error(`task ${String(entry.payload.taskId)} has no stored asset`);
    // A user an app created with only its own id has no address: there is nobody to write to, and nothing to retry.
    if (!task.email) return;
    const email = renderReadyEmail({
      recipientName: task.name ?? task.email,
      type: task.type,
      assetUrl: await options.store.url(task.asset_keys[0]),
      libraryUrl: options.libraryUrl,
      prompt: task.input.prompt,
    });
    // The outbox id as Message-ID: if a crash between sending and recording makes us send again, mail systems
    // (and our chaos check) recognise the second copy as the same message.
    await transport.sendMail({ from: options.from, to: task.email, messageId: `<${entry.id}@settle>`, ...email });
  };
}

/** Slack and Discord incoming webhooks take the JSON body stored in the entry as it is. */
export function createWebhookSender(url: string): Sender {
  return async (entry) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(entry.payload),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    // The URL is itself the credential, so only the status goes into the error.
    if (!res.ok) throw new Error(`${entry.channel} webhook answered HTTP ${res.status}`);
  };
}
