import nodemailer from 'nodemailer';
import type { Queryable } from '../db/index.js';
import type { AssetStore } from '../storage/index.js';
import { findTask } from '../tasks/index.js';
import { findContact } from '../users/index.js';
import { renderReadyEmail } from './readyEmail.js';
import type { Channel, OutboxEntry } from './types.js';

/** Delivers one outbox entry or throws; the delivery loop owns retries. */
export type Sender = (entry: OutboxEntry) => Promise<void>;
export type Senders = Partial<Record<Channel, Sender>>;

const WEBHOOK_TIMEOUT_MS = 10_000;

export interface EmailSenderOptions {
  smtpUrl: string;
  from: string;
  /** Settle's public URL: its host names the Message-ID when the sender's address has no real domain. */
  publicUrl: string;
  libraryUrl: string;
  db: Queryable;
  store: AssetStore;
}

/** Renders at send time, so the asset link (possibly a presigned URL) is fresh when the mail leaves. */
export function createEmailSender(options: EmailSenderOptions): Sender {
  const transport = nodemailer.createTransport(options.smtpUrl);
  const domain = messageIdDomain(options.from, options.publicUrl);
  return async (entry) => {
    const task = await findTask(options.db, String(entry.payload.taskId));
    if (!task?.asset_keys[0]) throw new Error(`task ${String(entry.payload.taskId)} has no stored asset`);
    const to = await findContact(options.db, task.user_id);
    if (!to) throw new Error(`the user of task ${task.id} is gone`);
    // A user an app created with only its own id has no address: there is nobody to write to, and nothing to retry.
    if (!to.email) return;
    const email = renderReadyEmail({
      recipientName: to.name ?? to.email,
      type: task.type,
      assetUrl: await options.store.url(task.asset_keys[0]),
      libraryUrl: options.libraryUrl,
      prompt: typeof task.input.prompt === 'string' ? task.input.prompt : undefined,
    });
    // The outbox id as Message-ID: if a crash between sending and recording makes us send again, mail systems
    // (and our chaos check) recognise the second copy as the same message.
    await transport.sendMail({ from: options.from, to: to.email, messageId: `<${entry.id}@${domain}>`, ...email });
  };
}

/**
 * The right-hand side of a Message-ID is a domain the sender controls (RFC 5322), and spam filters check it: the
 * domain of EMAIL_FROM, or, when that is not a real domain (`localhost`), the host of PUBLIC_URL.
 */
export function messageIdDomain(from: string, publicUrl: string): string {
  const domain = /@([^\s@<>]+)>?\s*$/.exec(from)?.[1]?.toLowerCase();
  return domain?.includes('.') ? domain : new URL(publicUrl).hostname;
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
