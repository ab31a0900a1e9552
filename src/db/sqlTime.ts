// Settle's durations are milliseconds everywhere (configuration, options, columns); these turn a millisecond
// parameter into a timestamp in SQL.

/** `now() - <ms param>`. */
export const agoMs = (param: string): string => `now() - make_interval(secs => ${param}::double precision / 1000)`;

/** `now() + <ms param>`. */
export const afterMs = (param: string): string => `now() + make_interval(secs => ${param}::double precision / 1000)`;
