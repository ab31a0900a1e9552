import type { Command } from 'commander';
import { adjustCredits, BalanceLimitError, grantCredits, InsufficientCreditsError, ReferenceConflictError } from '../../ledger/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';
import { checkEmail, resolveUser, USER_REF_HELP } from './userRef.js';

interface MoveOptions {
  user?: string;
  email?: string;
  amount: string;
  reference?: string;
  reason?: string;
  json?: boolean;
}

const MAX_REFERENCE = 200;

/** `settle credits grant|debit`: the credits API's money moves, once per --reference. */
export function registerCreditCommands(program: Command): void {
  const credits = program.command('credits').description('manage credits');
  const move = (name: string, description: string, referenceRequired: boolean) =>
    credits
      .command(name)
      .description(description)
      .option('--user <user>', `the user: ${USER_REF_HELP}`)
      .option('--email <email>', 'the user, by e-mail address')
      .requiredOption('--amount <n>', 'credits (whole number)')
      .option(
        '--reference <reference>',
        referenceRequired ? 'your id for this move (required): the same reference again changes nothing' : 'your id for this move (a payment id): the same reference again changes nothing',
      )
      .option('--reason <text>', 'why, kept with the journal entry')
      .option('--json', 'machine output');

  move('grant', "add credits to a user's balance", false).action(action((opts: MoveOptions) => moveCredits(opts, 1)));
  move('debit', "take available credits from a user's balance (never frozen ones)", true).action(action((opts: MoveOptions) => moveCredits(opts, -1)));
}

async function moveCredits(opts: MoveOptions, sign: 1 | -1): Promise<void> {
  const amount = parsePositiveInt(opts.amount, '--amount');
  const ref = userRef(opts);
  if (sign < 0 && opts.reference === undefined) throw new CliError('settle credits debit needs --reference (your id for this debit, so a retry cannot take twice)');
  if (opts.reference !== undefined && (opts.reference.trim() === '' || opts.reference.length > MAX_REFERENCE)) {
    throw new CliError(`--reference must be 1 to ${MAX_REFERENCE} characters`);
  }
  const result = await withSystem(async (s) => {
    const user = await resolveUser(s.db, ref);
    const who = { userId: user.userId, email: user.email, externalId: user.externalId };
    if (opts.reference === undefined) return { ...who, granted: amount, ...(await grantCredits(s.db, { userId: user.userId, amount })) };
    const moved = await adjustCredits(s.db, { userId: user.userId, amount: sign * amount, reference: opts.reference.trim(), reason: opts.reason });
    return { ...who, amount: sign * amount, reference: opts.reference.trim(), ...moved };
  }).catch(toCliError);
  if (opts.json) return printJson(result);
  const name = result.email ?? result.externalId ?? result.userId;
  const replayed = 'replayed' in result && result.replayed ? ' (this reference was already used for this amount: nothing changed)' : '';
  console.log(`${sign > 0 ? 'Granted' : 'Debited'} ${amount} credits ${sign > 0 ? 'to' : 'from'} ${name}${replayed}; balance is now ${result.balance}.`);
}

function userRef(opts: MoveOptions): string {
  if (opts.user && opts.email) throw new CliError('Name the user once: --user or --email');
  if (opts.email) return checkEmail(opts.email);
  if (opts.user) return opts.user;
  throw new CliError(`Name the user with --user (${USER_REF_HELP}) or --email`);
}

function toCliError(err: unknown): never {
  if (err instanceof InsufficientCreditsError) throw new CliError('Not enough available credits: a debit never takes frozen credits', 1);
  if (err instanceof ReferenceConflictError || err instanceof BalanceLimitError) throw new CliError(err.message, 1);
  throw err;
}
