/**
 * The parameters of a statement that reads rows with `unnest($1::…[], $2::…[], …)`: one array per field, in the
 * order given, each holding that field of every row.
 */
export function unnestParams<T, K extends keyof T>(rows: readonly T[], fields: readonly K[]): T[K][][] {
  return fields.map((field) => rows.map((row) => row[field]));
}
