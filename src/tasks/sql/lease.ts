import { afterMs } from '../../db/index.js';

// The lease rule, in one place: whoever advances a task first takes a lease on its row; a lease whose expiry has
// passed is free for anyone, a live one belongs to its owner until it expires or is released.

/** SQL: the row's lease is live (someone is advancing the task right now). */
export const LEASE_LIVE = '(lease_expires_at IS NOT NULL AND lease_expires_at >= now())';
/** SQL: the row's lease is free to take. */
export const LEASE_FREE = '(lease_expires_at IS NULL OR lease_expires_at < now())';
/** SQL SET list taking the lease: owner from `ownerParam`, expiring `msParam` milliseconds from now. */
export const takeLease = (ownerParam: string, msParam: string): string => `lease_owner = ${ownerParam}, lease_expires_at = ${afterMs(msParam)}`;
/** SQL SET list giving the lease back. */
export const RELEASE_LEASE = 'lease_owner = NULL, lease_expires_at = NULL, updated_at = now()';
