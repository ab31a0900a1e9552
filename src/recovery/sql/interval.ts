/** `now() - <ms param>` in SQL; the parameter is milliseconds, as everywhere in Settle's configuration. */
export const agoMs = (param: string): string => `now() - make_interval(secs => ${param}::double precision / 1000)`;

/** A lease is live while its expiry is in the future; the claim statements skip such tasks. */
export const LEASE_LIVE = '(lease_expires_at IS NOT NULL AND lease_expires_at >= now())';
export const LEASE_FREE = '(lease_expires_at IS NULL OR lease_expires_at < now())';
