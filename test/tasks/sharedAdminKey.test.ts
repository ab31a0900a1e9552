import pLimit from 'p-limit';
import { afterAll, describe, expect, it } from 'vitest';
import { submitTask } from '../../src/tasks/index.js';
import { createUser } from '../../src/users/index.js';
import { VIDEO_MODEL } from '../recovery/helpers.js';
import { startRecoverySystem, type RecoverySystem } from '../recovery/system.js';

// The documented integration submits for every end user with one admin key (Settle-User). A submission that locked
// the key's row (a foreign key's FOR KEY SHARE) would have two instances' overlapping groups share that lock: each
// overlap makes a MultiXact, and at a cluster's rate their churn and wraparound vacuums become an outage of their own.
// Before migration 0027 this burst made 6 MultiXacts on an idle server; the row's xmax names its last locker.
describe('one admin key submitting for many users from two instances (one on the embedded database)', () => {
  let r: RecoverySystem | undefined;
  afterAll(() => r?.close());

  it('never locks the key row: its xmax stays empty', async () => {
    r = await startRecoverySystem({ sim: { durationMs: [60_000, 60_000] } });
    const admin = await createUser(r.system.db, { email: `admin-shared-${process.pid}@example.com`, role: 'admin' });
    const users = await Promise.all(Array.from({ length: 40 }, (_, i) => createUser(r!.system.db, { email: `shared-key-${i}-${process.pid}@example.com`, credits: 1_000 })));
    const instances = [r.system.tasks, { ...r.system.tasks, db: r.secondDb() }];
    for (let round = 0; round < 5; round++) {
      await Promise.all(instances.map((deps, n) => {
        const limit = pLimit(20);
        return Promise.all(users.slice(n * 20, n * 20 + 20).map((user, i) => limit(() =>
          submitTask(deps, { userId: user.userId, submittedBy: admin.keyId, type: 'video', model: VIDEO_MODEL, input: { prompt: `round ${round} task ${i}` } }))));
      }));
    }
    const { rows } = await r.system.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM tasks WHERE submitted_by_key = $1', [admin.keyId]);
    expect(rows[0]!.n).toBe(200);
    const key = await r.system.db.query<{ xmax: string }>('SELECT xmax::text AS xmax FROM api_keys WHERE id = $1', [admin.keyId]);
    expect(key.rows[0]!.xmax).toBe('0');
  }, 60_000);
});
