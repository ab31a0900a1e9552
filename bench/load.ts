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
  /** Requests in flight when the warm-up's time ran out: unanswered, yet the server may have done them. */
  cutOff: number;
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
 * The warm-up's length. Measured on `settle serve` (submit, 2,000 requests a round): after 256 requests the next
 * round's p99 was 65 ms, after 2 s of load 29 to 46 ms, as the JIT, the pools and the prepared statements settle.
 */
const WARM_UP_S = 2;

/**
 * Closed-loop HTTP load (each connection waits for its answer before the next request), after a warm-up of the
 * same shape, so that a steady state is measured rather than a process's first seconds.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const { result: warmUp } = await fire(plan, { duration: WARM_UP_S });
  const { result, seconds } = await fire(plan, { amount: plan.amount });
  return {
    perSecond: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: warmUp['2xx'] + result['2xx'],
    failed: failures(warmUp) + failures(result),
    cutOff: Math.max(0, warmUp.requests.sent - warmUp['2xx'] - failures(warmUp)),
  };
}

/** The target every load section carries: an error is not a fast answer. */
export function allAnswered(load: LoadResult): Target {
  return { label: 'every answer 2xx', pass: load.failed === 0, ...(load.failed > 0 && { detail: `${load.failed} requests failed or timed out after ${TIMEOUT_S} s` }) };
}

function failures(result: autocannon.Result): number {
  return result.non2xx + result.errors + result.timeouts;
}

/**
 * One autocannon run, timed from its start to its last answer. autocannon's own `duration` is taken at its next
 * 1-second sampling tick after the last answer, which understated a 3-second run's rate by up to a quarter.
 */
async function fire(plan: LoadPlan, length: { amount: number } | { duration: number }): Promise<{ result: autocannon.Result; seconds: number }> {
  let next = 0;
  const started = performance.now();
  let lastAnswer = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: plan.url,
        connections: plan.connections,
        ...length,
        method: plan.method ?? 'GET',
        body: plan.body,
        headers: { 'content-type': 'application/json' },
        timeout: TIMEOUT_S,
        setupClient: (client) => client.setRequests(plan.requestsOf(next++)),
      },
      (err, done) => (err ? reject(err) : resolve(done)),
    );
    run.on('response', () => (lastAnswer = performance.now()));
  });
  return { result, seconds: (lastAnswer - started) / 1000 };
}
