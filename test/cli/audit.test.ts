import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliDatabase, runCli, type CliDatabase } from '../helpers/cli.js';

/** The CLI runs in its own process, so it needs a database it can open too: a PGlite directory or a server URL. */
describe('settle users, credits and audit', () => {
  let database: CliDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    database = await createCliDatabase();
    env = database.env;
  });
  afterAll(() => database.drop());

  const corrupt = (sql: string) => database.withDb(async (db) => void (await db.query(sql)));

  it('creates a user with --json, grants credits, and audits clean', async () => {
    const created = await runCli(['users', 'create', '--email', 'Cli@Example.com', '--credits', '50', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const user = JSON.parse(created.stdout);
    expect(Object.keys(user).sort()).toEqual(['apiKey', 'email', 'role', 'userId']);
    expect(user).toMatchObject({ email: 'cli@example.com', role: 'user' });
    expect(user.apiKey).toMatch(/^sk_settle_/);

    const granted = await runCli(['credits', 'grant', '--email', 'cli@example.com', '--amount', '25', '--json'], env);
    expect(JSON.parse(granted.stdout)).toMatchObject({ balance: 75, granted: 25 });

    const audit = await runCli(['audit'], env);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/passed/i);
  });

  it('refuses bad flags with one clear line and changes nothing', async () => {
    const dup = await runCli(['users', 'create', '--email', 'cli@example.com'], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const bad = await runCli(['credits', 'grant', '--email', 'cli@example.com', '--amount', '-5'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--amount must be a positive whole number/);
    const audit = await runCli(['audit', '--json'], env);
    expect(JSON.parse(audit.stdout).ok).toBe(true);
  });

  it('exits 1 on a corrupted ledger and names the violated invariant', async () => {
    await corrupt(`UPDATE user_credits SET frozen_balance = 7`);
    const audit = await runCli(['audit'], env);
    expect(audit.code).toBe(1);
    expect(audit.stdout).toContain('frozen_equals_open_holds');
    const json = await runCli(['audit', '--json'], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.violations.map((v: { invariant: string }) => v.invariant)).toContain('frozen_equals_open_holds');
  });
});
