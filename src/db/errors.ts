/**
 * A database that cannot be used, said in one line an operator can act on: the CLI prints it as it is and exits 1.
 * The message never carries the password.
 */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
}

/** Where a connection goes, as an operator recognises it in DATABASE_URL (no password). */
export interface DatabaseTarget {
  host: string;
  port: string;
  database: string;
  user: string;
}

export function targetOf(connectionString: string): DatabaseTarget {
  const url = new URL(connectionString);
  return {
    host: url.searchParams.get('host') ?? (url.hostname || 'localhost'),
    port: url.port || '5432',
    database: decodeURIComponent(url.pathname.slice(1)) || decodeURIComponent(url.username) || 'postgres',
    user: decodeURIComponent(url.username) || 'postgres',
  };
}

const describeTarget = (t: DatabaseTarget): string => `${t.host}:${t.port}`;

interface ConnectFailure {
  code?: string;
  message?: string;
}

/** Reasons a connection can fail that go away by themselves: the server is starting, restarting or busy. */
const PASSING_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE', '57P03', '53300']);
const PASSING_MESSAGES = /timeout|terminated unexpectedly|connection terminated|the database system is (starting up|shutting down|in recovery)/i;

/** Whether waiting may help; a refused password, an unknown host or a missing database will not come right. */
export function isPassing(err: unknown): boolean {
  const e = err as ConnectFailure;
  if (e.code && PASSING_CODES.has(e.code)) return true;
  return !e.code && PASSING_MESSAGES.test(e.message ?? '');
}

/** Why a connection to target failed, in words; what the server said is kept, it never contains the password. */
export function connectFailure(err: unknown, target: DatabaseTarget): string {
  const e = err as ConnectFailure;
  const at = describeTarget(target);
  const said = (e.message ?? String(err)).split('\n')[0] ?? '';
  if (e.code === '28P01' || /password authentication failed/i.test(said)) {
    return `the database at ${at} refused the password of user "${target.user}" (check DATABASE_URL)`;
  }
  if (e.code === '3D000' || /no such database|database .* does not exist/i.test(said)) {
    return `the database "${target.database}" does not exist at ${at} (create it, or fix DATABASE_URL)`;
  }
  if (/unsupported startup parameter/i.test(said)) {
    return `the server at ${at} refuses the startup options that select the schema, as a pooler does (${said}); set DATABASE_POOLER=transaction`;
  }
  if (e.code === 'ENOTFOUND') return `the database host "${target.host}" cannot be found (check DATABASE_URL)`;
  if (e.code === '28000') return `the database at ${at} refused user "${target.user}": ${said}`;
  if (e.code === 'ECONNREFUSED') return `nothing accepts connections at ${at}`;
  return `the database at ${at} cannot be used: ${said}`;
}
