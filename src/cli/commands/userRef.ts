import type { Db } from '../../db/index.js';
import { findNamedUser, findUser, findUserByEmail, type UserRecord } from '../../users/index.js';
import { CliError } from '../context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export const USER_REF_HELP = 'a user id, ext:<your app\'s user id>, or an e-mail address';

/** The user a command names: by id, by `ext:` and the app's own id, or by e-mail address; a one-line error otherwise. */
export async function resolveUser(db: Db, ref: string): Promise<UserRecord> {
  const user = await lookUp(db, ref.trim());
  if (!user) throw new CliError(`No user ${ref}`, 1);
  return user;
}

async function lookUp(db: Db, ref: string): Promise<UserRecord | null> {
  if (EMAIL.test(ref)) {
    const byEmail = await findUserByEmail(db, ref);
    return byEmail && findUser(db, byEmail.id);
  }
  if (UUID.test(ref) || (ref.startsWith('ext:') && ref.length > 4)) return findNamedUser(db, ref);
  throw new CliError(`Name the user as ${USER_REF_HELP}; got "${ref}"`);
}

export function checkEmail(email: string): string {
  if (!EMAIL.test(email)) throw new CliError(`--email must be an e-mail address, got "${email}"`);
  return email;
}

export function checkUuid(value: string, what: string): string {
  if (!UUID.test(value)) throw new CliError(`${what} must be an id like 3f2b…-…, got "${value}"`);
  return value;
}
