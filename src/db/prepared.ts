/**
 * A hot statement that PostgreSQL parses and plans once per connection and then runs by name: planning the
 * submission's insert-and-hold statement cost more server CPU than running it. On PGlite it runs as plain text.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/** A result of `*` would be fixed in the prepared plan; a migration adding a column would then break it. */
const STAR_RESULT = /\b(RETURNING|SELECT)\s+(\w+\.)?\*/i;

/**
 * Its text must be constant and name every result column: a prepared statement returning `*` fails with "cached
 * plan must not change result type" on connections opened before a migration added a column (a rolling deploy).
 */
export function prepared(name: string, text: string): PreparedStatement {
  if (STAR_RESULT.test(text)) throw new Error(`Prepared statement ${name} must name its result columns, not *`);
  return { name, text };
}

export type Statement = string | PreparedStatement;

export const statementText = (statement: Statement): string => (typeof statement === 'string' ? statement : statement.text);
