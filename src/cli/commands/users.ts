import type { Command } from 'commander';
import { BalanceLimitError, grantCredits } from '../../ledger/index.js';
import { createUser, findUserByEmail, UserExistsError } from '../../users/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';

const EMAIL = /^[^\s@]+@[^\s@]+$/;

function checkEmail(email: string): string {
  if (!EMAIL.test(email)) throw new CliError(`--email must be an e-mail address, got "${email}"`);
  return email;
}

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('manage users and their API keys');
  users
    .command('create')
    .description('create a user with an API key (printed once; only its hash is stored)')
    .requiredOption('--email <email>', 'the user\'s e-mail address')
    .option('--name <name>', 'display name used in e-mails')
    .option('--credits <n>', 'opening credit grant', '0')
    .option('--admin', 'give the key the admin role')
    .option('--json', 'print one JSON line {userId,email,role,apiKey}')
    .action(action(async (opts: { email: string; name?: string; credits: string; admin?: boolean; json?: boolean }) => {
      const email = checkEmail(opts.email);
      const credits = opts.credits === '0' ? 0 : parsePositiveInt(opts.credits, '--credits');
      const created = await withSystem((s) =>
        createUser(s.db, { email, name: opts.name, credits, role: opts.admin ? 'admin' : 'user' }),
      ).catch((err: unknown) => {
        if (err instanceof UserExistsError) throw new CliError(err.message, 1);
        throw err;
      });
      if (opts.json) return printJson(created);
      console.log(`Created ${created.role} ${created.email} (${created.userId}) with ${credits} credits.`);
      console.log(`API key (shown once): ${created.apiKey}`);
    }));

  program
    .command('credits')
    .description('manage credits')
    .command('grant')
    .description('add credits to a user\'s balance')
    .requiredOption('--email <email>', 'the user')
    .requiredOption('--amount <n>', 'credits to add (whole number)')
    .option('--json', 'machine output')
    .action(action(async (opts: { email: string; amount: string; json?: boolean }) => {
      const amount = parsePositiveInt(opts.amount, '--amount');
      const result = await withSystem(async (s) => {
        const user = await findUserByEmail(s.db, checkEmail(opts.email));
        if (!user) throw new CliError(`No user with email ${opts.email}`, 1);
        const granted = await grantCredits(s.db, { userId: user.id, amount }).catch((err: unknown) => {
          if (err instanceof BalanceLimitError) throw new CliError(err.message, 1);
          throw err;
        });
        return { email: user.email, granted: amount, ...granted };
      });
      if (opts.json) return printJson(result);
      console.log(`Granted ${amount} credits to ${result.email}; balance is now ${result.balance}.`);
    }));
}
