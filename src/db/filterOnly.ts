/**
 * SQL: a condition no index can serve, only checked on the rows found otherwise. A grouped write names its rows by
 * id, but its state test (status = 'pending') also matches an index on state, and statistics taken before a burst
 * make that index look small: the planner then reads every entry of the state, dead ones of tasks that have moved on
 * included, for each group of a dozen rows (thousands of entries during a burst, growing until vacuum). Wrapped, the
 * test leaves the ids to the primary key or unique index.
 */
export const filterOnly = (condition: string): string => `(${condition}) IS TRUE`;
