import { readCursor, type NewestFirstKey } from '../db/index.js';
import { CliError } from './context.js';

/** The page key a list command printed as its cursor; anything else is a clear error naming the command. */
export function pageKeyOf(cursor: string, command: string): NewestFirstKey {
  const key = readCursor(cursor) as Partial<NewestFirstKey> | undefined;
  const valid = key && Number.isSafeInteger(key.at) && typeof key.id === 'string' && /^[0-9a-f-]{36}$/i.test(key.id);
  if (!valid) throw new CliError(`--cursor must be a cursor printed by "${command}", got "${cursor}"`);
  return { at: key.at!, id: key.id! };
}
