import { prepared, type Queryable } from '../../db/index.js';

// The row lock orders concurrent takers on every instance; clock_timestamp() (not now(), the transaction's start) is
// the moment the lock was had, so a taker that waited for it cannot slip a send into a window that has moved on.
// `sent` keeps the latest `max` send times, oldest first: a slot is free while fewer than `max` are recorded or the
// oldest of the last `max` has left the window.
const TAKE = prepared(
  'takeDispatchSlot',
  `UPDATE provider_dispatch_windows
      SET sent = (sent || clock_timestamp())[greatest(1, cardinality(sent) + 2 - $2::integer):]
    WHERE provider = $1
      AND (cardinality(sent) < $2::integer
           OR sent[cardinality(sent) + 1 - $2::integer] <= clock_timestamp() - make_interval(secs => $3::double precision / 1000))
    RETURNING 0 AS wait_ms`,
);

const WAIT = prepared(
  'dispatchSlotWait',
  `SELECT greatest(1, ceil(extract(epoch FROM sent[cardinality(sent) + 1 - $2::integer]
                     + make_interval(secs => $3::double precision / 1000) - clock_timestamp()) * 1000))::integer AS wait_ms
     FROM provider_dispatch_windows WHERE provider = $1`,
);

const ENSURE = `INSERT INTO provider_dispatch_windows (provider) VALUES ($1) ON CONFLICT (provider) DO NOTHING`;

/** Takes a createTask slot in the provider's window: 0 when taken, else how long until the next one frees. */
export async function takeDispatchSlot(db: Queryable, provider: string, max: number, windowMs: number): Promise<number> {
  if ((await db.query(TAKE, [provider, max, windowMs])).rowCount === 1) return 0;
  const { rows } = await db.query<{ wait_ms: number }>(WAIT, [provider, max, windowMs]);
  if (rows[0]) return rows[0].wait_ms;
  await db.query(ENSURE, [provider]);
  return takeDispatchSlot(db, provider, max, windowMs);
}
