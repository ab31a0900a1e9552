import autocannon from 'autocannon';

export interface LoadResult {
  /** Answers with a 2xx status per second of the measured run. */
  perSecond: number;
  p50: number;
  p99: number;
  /** Answers with a 2xx status, the warm-up's included: what the server really did. */
  ok: number;
}

export interface LoadPlan {
  url: string;
  connections: number;
  amount: number;
  method?: 'GET' | 'POST';
  body?: string;
  /** Requests of one connection, given its index: it cycles through them (its own user, its own tasks). */
  requestsOf(connection: number): autocannon.Request[];
}

/**
 * Closed-loop HTTP load (each connection waits for its answer before the next request), after a warm-up of the
 * same shape so that JIT, pools and caches are warm. Throws when any answer was not 2xx: a benchmark of errors
 * measures nothing.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const warmUp = expectAllOk(await fire(plan, Math.min(plan.amount, Math.max(200, plan.connections * 4))));
  const result = expectAllOk(await fire(plan, plan.amount));
  return { perSecond: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, ok: warmUp['2xx'] + result['2xx'] };
}

function expectAllOk(result: autocannon.Result): autocannon.Result {
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) throw new Error(`${failed} of ${result.requests.sent} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`);
  return result;
}

function fire(plan: LoadPlan, amount: number): Promise<autocannon.Result> {
  let next = 0;
  return autocannon({
    url: plan.url,
    connections: plan.connections,
    amount,
    method: plan.method ?? 'GET',
    body: plan.body,
    headers: { 'content-type': 'application/json' },
    timeout: 30,
    setupClient: (client) => client.setRequests(plan.requestsOf(next++)),
  });
}
