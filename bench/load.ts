import autocannon from 'autocannon';
import type { Target } from './report.js';

export interface LoadResult {
  /** Answers with a 2xx status per second of the measured run. */
  perSecond: number;
  p50: number;
  p99: number;
  /** Answers with a 2xx status, the warm-up's included: what the server surely did. */
  ok: number;
  /** Requests answered otherwise, or not at all within the timeout (the warm-up's included). */
  failed: number;
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

/** A request unanswered this long counts as failed. */
const TIMEOUT_S = 30;

/**
 * Closed-loop HTTP load (each connection waits for its answer before the next request), after a warm-up of the
 * same shape so that JIT, pools and caches are warm.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const warmUp = await fire(plan, Math.min(plan.amount, Math.max(200, plan.connections * 4)));
  const result = await fire(plan, plan.amount);
  return {
    perSecond: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: warmUp['2xx'] + result['2xx'],
    failed: failures(warmUp) + failures(result),
  };
}

/** The target every load section carries: an error is not a fast answer. */
export function allAnswered(load: LoadResult): Target {
  return { label: 'every answer 2xx', pass: load.failed === 0, ...(load.failed > 0 && { detail: `${load.failed} requests failed or timed out after ${TIMEOUT_S} s` }) };
}

function failures(result: autocannon.Result): number {
  return result.non2xx + result.errors + result.timeouts;
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
    timeout: TIMEOUT_S,
    setupClient: (client) => client.setRequests(plan.requestsOf(next++)),
  });
}
