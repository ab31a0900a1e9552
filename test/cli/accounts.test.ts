import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { captureHold } from '../../src/ledger/index.js';
import { createCliDatabase, runCli, type CliDatabase } from '../helpers/cli.js';
import { setTaskStatus, submitTask } from '../ledger/fixtures.js';

/** Each command is a process of its own that opens the database: a minute's work on a busy machine per case. */
const CASE_MS = 240_000;

/** settle users, keys, credits and refund: the admin API's parity on the command line, against its own database. */
describe('settle users list|show|keys, credits grant|debit, refund', () => {
  let database: CliDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await createCliDatabase();
    env = database.env;
  });
  afterAll(() => database.drop());

  const cli = async (...args: string[]) => runCli(args, env);
  const json = async (...args: string[]) => {
    const res = await cli(...args, '--json');
    expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
    return JSON.parse(res.stdout);
  };
  const withDb = <T>(fn: (db: Db) => Promise<T>) => database.withDb(fn);

  it('users: create by external id, list with a cursor, show, keys create and revoke', async () => {
    const created = await json('users', 'create', '--external-id', 'app-1', '--credits', '10');
    expect(Object.keys(created).sort()).toEqual(['apiKey', 'email', 'role', 'userId']);
    const again = await cli('users', 'create', '--external-id', 'app-1');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^settle: A user with external id app-1 already exists/);
    await json('users', 'create', '--email', 'b@example.com', '--external-id', 'app-2');

    const first = await json('users', 'list', '--limit', '1');
    expect(first.users.map((u: { externalId: string }) => u.externalId)).toEqual(['app-2']);
    const second = await json('users', 'list', '--limit', '1', '--cursor', first.nextCursor);
    expect(second.users).toEqual([expect.objectContaining({ externalId: 'app-1', credits: { balance: 10, frozen: 0, available: 10 } })]);
    expect((await json('users', 'list', '--external-id', 'app-2')).users).toHaveLength(1);
    expect((await cli('users', 'list')).stdout).toMatch(/app-1[\s\S]*10/);

    const shown = await json('users', 'show', 'ext:app-1');
    expect(shown).toMatchObject({ userId: created.userId, externalId: 'app-1', credits: { balance: 10 } });
    expect(shown.keys).toHaveLength(1);
    expect(await json('users', 'show', 'b@example.com')).toMatchObject({ externalId: 'app-2' });

    const key = await json('users', 'keys', 'create', created.userId);
    expect(key).toEqual({ userId: created.userId, keyId: expect.any(String), apiKey: expect.stringMatching(/^sk_settle_/) });
    const revoked = await json('users', 'keys', 'revoke', key.keyId);
    expect(revoked).toMatchObject({ keyId: key.keyId, userId: created.userId });
    expect((await json('users', 'show', created.userId)).keys.find((k: { keyId: string }) => k.keyId === key.keyId).revokedAt).toBe(revoked.revokedAt);

    // Newest first, a page at a time; the text names the next page's command.
    const firstKeys = await json('users', 'keys', 'list', 'ext:app-1', '--limit', '1');
    expect(firstKeys.keys.map((k: { keyId: string }) => k.keyId)).toEqual([key.keyId]);
    const olderKeys = await json('users', 'keys', 'list', 'ext:app-1', '--limit', '1', '--cursor', firstKeys.nextCursor);
    expect(olderKeys).toEqual({ keys: [expect.objectContaining({ revokedAt: null })], nextCursor: null });
    const text = await cli('users', 'keys', 'list', created.userId, '--limit', '1');
    expect(text.stdout).toContain(`More: settle users keys list ${created.userId} --cursor ${firstKeys.nextCursor}`);
    const bad = await cli('users', 'keys', 'list', created.userId, '--cursor', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('settle: --cursor must be a cursor printed by "settle users keys list", got "abc"\n');
  }, CASE_MS);

  it('credits: grant and debit once per --reference; conflicts and overdrafts are one line and change nothing', async () => {
    const granted = await json('credits', 'grant', '--user', 'ext:app-1', '--amount', '5', '--reference', 'pi_1', '--reason', 'top-up');
    expect(granted).toMatchObject({ amount: 5, reference: 'pi_1', balance: 15, replayed: false });
    expect(await json('credits', 'grant', '--user', 'ext:app-1', '--amount', '5', '--reference', 'pi_1')).toMatchObject({ balance: 15, replayed: true });
    const conflict = await cli('credits', 'grant', '--user', 'ext:app-1', '--amount', '6', '--reference', 'pi_1');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/already used for an amount of 5/);
    const over = await cli('credits', 'debit', '--user', 'ext:app-1', '--amount', '100', '--reference', 'order-1');
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/Not enough available credits/);
    const noRef = await cli('credits', 'debit', '--user', 'ext:app-1', '--amount', '1');
    expect(noRef.code).toBe(2);
    expect(noRef.stderr).toMatch(/needs --reference/);
    expect(await json('credits', 'debit', '--user', 'ext:app-1', '--amount', '3', '--reference', 'order-2')).toMatchObject({ amount: -3, balance: 12 });
    expect((await cli('credits', 'grant', '--email', 'b@example.com', '--amount', '2')).stdout).toMatch(/^Granted 2 credits to b@example.com; balance is now 2\.$/m);
    for (const bad of [['--user', 'nobody'], ['--user', 'ext:nobody'], ['--user', 'ext:app-1', '--email', 'b@example.com']]) {
      const res = await cli('credits', 'grant', ...bad, '--amount', '1', '--reference', 'x');
      expect(res.code, bad.join(' ')).not.toBe(0);
      expect(res.stderr.trim().split('\n'), bad.join(' ')).toHaveLength(1);
    }
    expect((await json('users', 'show', 'ext:app-1')).credits).toEqual({ balance: 12, frozen: 0, available: 12 });
  }, CASE_MS);

  it("refund: a completed task's charge once; a live or unknown task is refused; settle audit stays clean", async () => {
    const { userId } = await json('users', 'show', 'ext:app-1');
    const [done, live] = await withDb(async (db) => {
      const charged = await submitTask(db, userId, 4);
      await db.transaction(async (tx) => {
        await captureHold(tx, charged);
        await setTaskStatus(tx, charged, 'completed');
      });
      return [charged, await submitTask(db, userId, 2)];
    });
    const refunded = await json('refund', done, '--reason', 'blank video');
    expect(refunded).toMatchObject({ taskId: done, creditsRefunded: 4, reason: 'blank video', balance: 12, frozen: 2, replayed: false });
    expect(await json('refund', done, '--reason', 'again')).toMatchObject({ transactionId: refunded.transactionId, replayed: true });
    const notYet = await cli('refund', live, '--reason', 'early');
    expect(notYet.code).toBe(1);
    expect(notYet.stderr).toMatch(/is pending: only a completed task's charge can be refunded/);
    expect((await cli('refund', '00000000-0000-4000-8000-000000000000', '--reason', 'x')).code).toBe(1);
    expect((await cli('refund', 'not-an-id', '--reason', 'x')).code).toBe(2);
    const audit = await cli('audit');
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
  }, CASE_MS);
});
