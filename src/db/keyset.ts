/**
 * Where the next page of a recovery find starts: after this (time, id). The time travels as the database's own
 * text, because a JavaScript Date drops the microseconds and would find the page's last row again.
 */
export interface PageKey {
  at: string;
  id: string;
}

/** Rows of a keyset-paged find carry their key's time under this name. */
export interface Paged {
  id: string;
  page_at: string;
}

/** The select-list item that gives a row its page key. */
export const pageAt = (column: string): string => `${column}::text AS page_at`;

/** SQL: the row comes after the key in (column, id) order, or no key was given (the first page). */
export const afterPageKey = (column: string, atParam: string, idParam: string): string =>
  `(${atParam}::timestamptz IS NULL OR (${column}, id) > (${atParam}::timestamptz, ${idParam}::uuid))`;

export const pageKeyOf = (row: Paged): PageKey => ({ at: row.page_at, id: row.id });

/**
 * Newest-first lists that clients page through (their tasks, users): the key is the row's time in whole
 * microseconds since the epoch, exact in a JavaScript number, and its id.
 */
export interface NewestFirstKey {
  at: number;
  id: string;
}

/** The select-list item that gives a row its newest-first key time. */
export const pageMicros = (column: string): string => `(extract(epoch FROM ${column}) * 1000000)::bigint AS page_us`;

/**
 * A page from a keyset find that asked for one row more than `limit` (the extra row says a next page exists):
 * the page's rows without their `page_us`, and the key of the page after it, or null.
 */
export function keysetPage<Row extends object>(
  rows: readonly (Row & { page_us: number })[],
  limit: number,
  idOf: (row: Row) => string,
): { items: Row[]; next: NewestFirstKey | null } {
  const items = rows.slice(0, limit).map(({ page_us: _key, ...row }) => row as unknown as Row);
  const last = rows[limit - 1];
  return { items, next: rows.length > limit && last ? { at: last.page_us, id: idOf(last) } : null };
}

/** SQL: the row comes before the key in (column, id) order, or no key was given (the first page). */
export const beforeMicrosKey = (column: string, atParam: string, idParam: string): string =>
  `(${atParam}::bigint IS NULL OR (${column}, id) < (timestamptz 'epoch' + ${atParam}::bigint * interval '1 microsecond', ${idParam}::uuid))`;

/** A page key as an opaque cursor for clients (base64url JSON); null at the last page. */
export function cursorOf(key: object | null): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;
}

/** What a cursor carries, unchecked (callers validate its shape); undefined when it is not a cursor at all. */
export function readCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
