import type { Command } from 'commander';
import Table from 'cli-table3';
import { cursorOf } from '../../db/index.js';
import { pageKeyOf } from '../cursor.js';
import { creditsOf } from '../../ledger/index.js';
import { createApiKey, createUser, ensureUser, KEYS_SHOWN_WITH_USER, listApiKeys, listUsers, revokeApiKey, UserExistsError, type ApiKeyRecord } from '../../users/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';
import { checkEmail, checkUuid, resolveUser, USER_REF_HELP } from './userRef.js';

const MAX_PAGE = 1000;

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('manage users and their API keys');
  users
    .command('create')
    .description('create a user with an API key (printed once; only its hash is stored)')
    .option('--email <email>', "the user's e-mail address")
    .option('--external-id <id>', "your app's own id for the user: creating it again finds the same user")
    .option('--name <name>', 'display name used in e-mails')
    .option('--credits <n>', 'opening credit grant', '0')
    .option('--admin', 'give the key the admin role')
    .option('--json', 'print one JSON line {userId,email,role,apiKey}')
    .action(action(async (opts: { email?: string; externalId?: string; name?: string; credits: string; admin?: boolean; json?: boolean }) => {
      if (!opts.email && !opts.externalId) throw new CliError('Give the user an --email or an --external-id (or both)');
      const email = opts.email === undefined ? undefined : checkEmail(opts.email);
      const credits = opts.credits === '0' ? 0 : parsePositiveInt(opts.credits, '--credits');
      const role = opts.admin ? 'admin' : 'user';
      const created = await withSystem(async (s) => {
        if (!opts.externalId) return createUser(s.db, { email: email!, name: opts.name, credits, role });
        const { user, created: isNew } = await ensureUser(s.db, { externalId: opts.externalId, email, name: opts.name, credits });
        if (!isNew) throw new CliError(`A user with external id ${opts.externalId} already exists (${user.userId}); make a key with "settle users keys create ${user.userId}"`, 1);
        return { userId: user.userId, email: user.email, role, ...(await createApiKey(s.db, user.userId, role)) };
      }).catch((err: unknown) => {
        if (err instanceof UserExistsError) throw new CliError(err.message, 1);
        throw err;
      });
      if (opts.json) return printJson({ userId: created.userId, email: created.email, role: created.role, apiKey: created.apiKey });
      console.log(`Created ${created.role} ${created.email ?? opts.externalId} (${created.userId}) with ${credits} credits.`);
      console.log(`API key (shown once): ${created.apiKey}`);
    }));

  users
    .command('list')
    .description('users, newest first, with their credits')
    .option('--external-id <id>', 'only the user with this external id')
    .option('--email <email>', 'only the user with this e-mail address')
    .option('--limit <n>', `how many (at most ${MAX_PAGE})`, '50')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'machine output: {users, nextCursor}')
    .action(action(async (opts: { externalId?: string; email?: string; limit: string; cursor?: string; json?: boolean }) => {
      const limit = parsePositiveInt(opts.limit, '--limit');
      if (limit > MAX_PAGE) throw new CliError(`--limit must be at most ${MAX_PAGE}, got ${limit}`);
      const after = opts.cursor === undefined ? null : pageKeyOf(opts.cursor, 'settle users list');
      const page = await withSystem(async (s) => {
        const { users: rows, next } = await listUsers(s.db, { externalId: opts.externalId, email: opts.email, after, limit });
        const balances = await creditsOf(s.db, rows.map((u) => u.userId));
        return { users: rows.map((u) => ({ ...u, createdAt: u.createdAt.toISOString(), credits: balances.get(u.userId)! })), nextCursor: cursorOf(next) };
      });
      if (opts.json) return printJson(page);
      const table = new Table({ head: ['User', 'External id', 'E-mail', 'Balance', 'Frozen', 'Available', 'Created'] });
      for (const u of page.users) table.push([u.userId, u.externalId ?? '', u.email ?? '', u.credits.balance, u.credits.frozen, u.credits.available, u.createdAt]);
      console.log(page.users.length > 0 ? table.toString() : 'No users match.');
      if (page.nextCursor) console.log(`More: settle users list --cursor ${page.nextCursor}`);
    }));

  users
    .command('show <user>')
    .description(`a user with credits and keys (${USER_REF_HELP})`)
    .option('--json', 'machine output')
    .action(action(async (ref: string, opts: { json?: boolean }) => {
      const shown = await withSystem(async (s) => {
        const user = await resolveUser(s.db, ref);
        const [balances, keys] = await Promise.all([creditsOf(s.db, [user.userId]), listApiKeys(s.db, { userId: user.userId, after: null, limit: KEYS_SHOWN_WITH_USER })]);
        return { ...user, credits: balances.get(user.userId)!, keys: keys.keys, keysNextCursor: cursorOf(keys.next) };
      });
      if (opts.json) return printJson(shown);
      console.log(`User ${shown.userId}${shown.externalId ? ` (external id ${shown.externalId})` : ''}${shown.email ? ` <${shown.email}>` : ''}`);
      console.log(`Credits: ${shown.credits.balance} balance, ${shown.credits.frozen} frozen, ${shown.credits.available} available.`);
      printKeys(shown.keys, shown.keysNextCursor && `settle users keys list ${shown.userId} --cursor ${shown.keysNextCursor}`);
    }));

  const keys = users.command('keys').description("a user's API keys");
  keys
    .command('list <user>')
    .description(`the user's keys, revoked ones too, newest first (${USER_REF_HELP})`)
    .option('--limit <n>', `how many (at most ${MAX_PAGE})`, '50')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'machine output: {keys, nextCursor}')
    .action(action(async (ref: string, opts: { limit: string; cursor?: string; json?: boolean }) => {
      const limit = parsePositiveInt(opts.limit, '--limit');
      if (limit > MAX_PAGE) throw new CliError(`--limit must be at most ${MAX_PAGE}, got ${limit}`);
      const after = opts.cursor === undefined ? null : pageKeyOf(opts.cursor, 'settle users keys list');
      const page = await withSystem(async (s) => {
        const user = await resolveUser(s.db, ref);
        return { userId: user.userId, ...(await listApiKeys(s.db, { userId: user.userId, after, limit })) };
      });
      const nextCursor = cursorOf(page.next);
      if (opts.json) return printJson({ keys: page.keys, nextCursor });
      printKeys(page.keys, nextCursor && `settle users keys list ${page.userId} --cursor ${nextCursor}`);
    }));
  keys
    .command('create <user>')
    .description(`a new user key, printed once (${USER_REF_HELP})`)
    .option('--json', 'print one JSON line {keyId,userId,apiKey}')
    .action(action(async (ref: string, opts: { json?: boolean }) => {
      const made = await withSystem(async (s) => {
        const user = await resolveUser(s.db, ref);
        return { userId: user.userId, ...(await createApiKey(s.db, user.userId, 'user')) };
      });
      if (opts.json) return printJson(made);
      console.log(`Created key ${made.keyId} for ${made.userId}.`);
      console.log(`API key (shown once): ${made.apiKey}`);
    }));
  keys
    .command('revoke <keyId>')
    .description('revoke a key: every instance refuses it within 5 s')
    .option('--json', 'machine output')
    .action(action(async (keyId: string, opts: { json?: boolean }) => {
      checkUuid(keyId, 'The key id');
      const revoked = await withSystem((s) => revokeApiKey(s.db, keyId));
      if (!revoked) throw new CliError(`No key ${keyId}`, 1);
      const answer = { keyId: revoked.keyId, userId: revoked.userId, revokedAt: revoked.revokedAt.toISOString() };
      if (opts.json) return printJson(answer);
      console.log(`Revoked key ${answer.keyId} of ${answer.userId} at ${answer.revokedAt}.`);
    }));
}

function printKeys(keys: ApiKeyRecord[], more: string | null): void {
  const table = new Table({ head: ['Key', 'Prefix', 'Role', 'Created', 'Revoked'] });
  for (const k of keys) table.push([k.keyId, `${k.prefix}…`, k.role, k.createdAt.toISOString(), k.revokedAt?.toISOString() ?? '']);
  console.log(keys.length > 0 ? table.toString() : 'No API keys.');
  if (more) console.log(`More: ${more}`);
}
