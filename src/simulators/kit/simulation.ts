import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { deliverCallback } from './callbacks.js';
import { planJob, readClock, type Clocked, type Ending, type Plan } from './clock.js';
import type { FaultRules, KitFaults } from './faults.js';
import { Ledger, type CreateCall } from './ledger.js';
import type { Profile, SimJob } from './profile.js';
import { seededRandom, type Random } from './random.js';
import { createRateLimiter } from './rate-limit.js';
import type { CommonStats } from './types.js';

export type NewJob<J extends SimJob> = Omit<J, keyof Plan | keyof Clocked | 'ended' | 'timer'>;

// The rest of CommonStats comes from the ledger.
type Counters = Omit<CommonStats, keyof ReturnType<Ledger['summary']>>;

/** When the answer to an accepted submission goes out: at once, after a delay, or never. */
export type Answer = { kind: 'sent' } | { kind: 'delayed'; delayMs: number } | { kind: 'withheld' };

/** The state and rules both simulators share, free of HTTP: a profile's routes translate requests into these calls. */
export class Simulation<F extends KitFaults, J extends SimJob> {
  faults: F;
  readonly jobs = new Map<string, J>();
  readonly ledger = new Ledger();
  private readonly counters: Counters = {
    submissions: 0,
    rejectedRateLimited: 0,
    statusChecks: 0,
    transientErrors: 0,
    callbacksSent: 0,
    callbacksLost: 0,
    callbacksFailed: 0,
    downloads: 0,
    resubmissionsRefused: 0,
  };
  // Separate streams: how many status checks happen depends on timing, and must not shift the outcomes.
  private readonly outcomeRandom: Random;
  private readonly errorRandom: Random;
  private readonly answerRandom: Random;
  private readonly limiter = createRateLimiter();
  private readonly closing = new AbortController();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly withheld = new Set<Socket>();

  constructor(
    seed: number,
    private readonly rules: FaultRules<F>,
    initial: unknown,
    readonly profile: Profile<J, F>,
  ) {
    this.faults = rules.merge(rules.defaults, initial);
    this.outcomeRandom = seededRandom(seed);
    this.errorRandom = seededRandom(seed ^ 0x5bd1e995);
    this.answerRandom = seededRandom(seed ^ 0x27d4eb2f);
    // Every delayed answer and callback retry waits on this signal; hundreds at once are normal here.
    setMaxListeners(0, this.closing.signal);
  }

  /** Aborted when the simulator closes. */
  get closed(): AbortSignal {
    return this.closing.signal;
  }

  setFaults(update: unknown): void {
    this.faults = this.rules.merge(this.faults, update);
  }

  /** One of the two transient errors for `transientErrorRate` of the API calls, else undefined. */
  injectedError<E>(errors: readonly [E, E]): E | undefined {
    if (this.errorRandom() >= this.faults.transientErrorRate) return undefined;
    this.counters.transientErrors++;
    return this.errorRandom() < 0.5 ? errors[0] : errors[1];
  }

  /** How long until a submission would be accepted when over the rate limit, else undefined (and it counts). */
  throttled(): number | undefined {
    const retryAfterMs = this.limiter.take(this.faults.rateLimit, Date.now());
    if (retryAfterMs !== undefined) this.counters.rejectedRateLimited++;
    return retryAfterMs;
  }

  countStatusCheck(): void {
    this.counters.statusChecks++;
  }

  countDownload(providerTaskId: string): void {
    this.counters.downloads++;
    this.ledger.recordDownload(providerTaskId);
  }

  /**
   * With `transientAfterAccept`, a second submission for a Settle task that already has a provider task gets one of
   * the two transient errors, alternately, forever.
   */
  refusedResubmission<E>(settleTaskId: string | null, errors: readonly [E, E]): E | undefined {
    if (!this.faults.transientAfterAccept || this.ledger.acceptedFor(settleTaskId) === 0) return undefined;
    this.counters.resubmissionsRefused++;
    return errors[this.counters.resubmissionsRefused % 2 === 1 ? 0 : 1];
  }

  /** Records a submission that was answered with an error (`code`) and created nothing. */
  refuse(settleTaskId: string | null, code: number): void {
    this.record({ settleTaskId, providerTaskId: null, code, answer: 'sent' });
  }

  /** Creates a job with its planned outcome, starts its clock, and says when the answer goes out. */
  accept(settleTaskId: string | null, code: number, fields: NewJob<J>): { job: J; answer: Answer } {
    const plan = planJob(this.outcomeRandom, this.faults, this.profile.failureKinds);
    // Object.assign, not a literal of two spreads and two fields: Node 20's V8 builds that one property at a time on
    // its slow path (9 µs a job against 1; it was a tenth of the simulator's CPU per createTask).
    const job = Object.assign({}, fields, plan, { createdAt: Date.now(), ended: false }) as unknown as J;
    this.jobs.set(job.id, job);
    this.counters.submissions++;
    if (job.planned !== 'hang') job.timer = setTimeout(() => this.end(job), job.durationMs).unref();
    const answer = this.answerFor();
    this.record({ settleTaskId, providerTaskId: job.id, code, answer: answer.kind });
    return { job, answer };
  }

  /** Keeps a connection open, unanswered, until the client gives up or the simulator closes. */
  withhold(socket: Socket): void {
    if (this.closing.signal.aborted) return void socket.destroy();
    this.withheld.add(socket);
    socket.once('close', () => this.withheld.delete(socket));
  }

  cancel(id: string): J {
    const job = this.finish(id, 'cancel');
    this.ledger.recordCancel(id);
    return job;
  }

  /** Forces a job's end now, unless it already ended; fires its callback. */
  finish(id: string, ending: Ending): J {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`Unknown simulator ${this.profile.noun} ${id}`);
    if (readClock(job, Date.now()).ending) return job;
    clearTimeout(job.timer);
    job.forced = { ending, at: Date.now() };
    this.end(job);
    return job;
  }

  /** The counters, and how many jobs are in each state now (under `tasks` or `predictions`). */
  stats(): object {
    const { states, stateOf, noun } = this.profile;
    const tally = Object.fromEntries(states.map((state) => [state, 0]));
    const now = Date.now();
    for (const job of this.jobs.values()) tally[stateOf(job, now)]!++;
    return { ...this.counters, ...this.ledger.summary(), [`${noun}s`]: tally };
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    for (const socket of this.withheld) socket.destroy();
    await Promise.all(this.deliveries);
  }

  /** One draw per accepted submission, whatever the knobs say, so a seed maps each one to the same answer. */
  private answerFor(): Answer {
    const withheld = this.answerRandom() < this.faults.createHangRate;
    if (withheld) return { kind: 'withheld' };
    const { createDelayMs } = this.faults;
    return createDelayMs > 0 ? { kind: 'delayed', delayMs: createDelayMs } : { kind: 'sent' };
  }

  private record(call: Omit<CreateCall, 'at'>): void {
    this.ledger.recordCall({ at: Date.now(), ...call });
  }

  /** Sends the terminal callback once: delivered, lost on purpose, or given up on after retries. */
  private end(job: J): void {
    if (job.ended) return;
    job.ended = true;
    // Only a forced end ends a hanging job.
    this.profile.onEnd?.(job, job.forced?.ending ?? (job.planned as Ending), this.faults);
    // A timer may fire a hair before Date.now() reaches the planned end; the callback must show the terminal state.
    const delivery = this.profile.callbackFor(job, Math.max(Date.now(), job.createdAt + job.durationMs), this.faults);
    if (!delivery) return;
    if (job.lostCallback) return void this.counters.callbacksLost++;
    const sending = deliverCallback({ ...delivery, signal: this.closing.signal }).then(
      (sent) => void (sent ? this.counters.callbacksSent++ : this.counters.callbacksFailed++),
      () => void this.counters.callbacksFailed++,
    );
    this.deliveries.add(sending);
    void sending.finally(() => this.deliveries.delete(sending));
  }
}
