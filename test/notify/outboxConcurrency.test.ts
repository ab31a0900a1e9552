import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../../src/db/index.js';
import { createLogger } from '../../src/log/index.js';
import { createWebhookSender, enqueueNotification, startDelivery, type DeliveryDeps } from '../../src/notify/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

const ENTRIES = 120;

describe('two instances delivering from one outbox', () => {
  let t: TestDatabase;
  let second: Db;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await createTestDatabase();
    // On PostgreSQL the second instance has its own pool, as a second process would; PGlite has one connection.
    second = t.url ? openPostgres(t.url) : t.db;
    receiver = await startReceiver({ delayMs: 5 });
  });
  afterAll(async () => {
    await receiver.close();
    if (second !== t.db) await second.close();
    await t.drop();
  });

  const instance = (db: Db, name: string): DeliveryDeps => ({
    db,
    logger: createLogger('silent'),
    senders: { slack: createWebhookSender(`${receiver.url}/slack`) },
    instanceId: name,
    retryBaseMs: 20,
    retryMaxMs: 20,
  });

  it('delivers every entry exactly once, even with a receiver failing some attempts', async () => {
    for (let i = 0; i < ENTRIES; i++) {
      await enqueueNotification(t.db, { channel: 'slack', kind: 'test', payload: { text: `entry ${i}` }, dedupeKey: `test:${i}`, maxAttempts: 5 });
    }
    receiver.answerNext(7, 500);
    const a = startDelivery(instance(t.db, 'a'), 10);
    const b = startDelivery(instance(second, 'b'), 10);
    try {
      await waitFor('every entry to be sent', async () => {
        const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE status = 'sent'`);
        return rows[0]!.n === ENTRIES;
      }, 30_000);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const texts = receiver.received.map((r) => r.body.text as string);
    expect(texts).toHaveLength(ENTRIES);
    expect(new Set(texts).size).toBe(ENTRIES);
    const retried = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE attempts > 1`);
    expect(retried.rows[0]!.n).toBe(7);
  });
});
