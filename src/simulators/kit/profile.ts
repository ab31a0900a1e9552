import type { FastifyReply } from 'fastify';
import type { TaskType } from '../../providers/types.js';
import type { CallbackDelivery } from './callbacks.js';
import type { Clocked, Ending, Plan } from './clock.js';

/** One provider task (KIE task, Replicate prediction) as the kit tracks it. */
export interface SimJob extends Clocked, Plan {
  id: string;
  type: TaskType;
  timer?: NodeJS.Timeout;
  /** The job reached its end, by the clock or forced; it happens once. */
  ended: boolean;
}

/** What makes the kit one provider's fake: its names, its states, its error shape and what its callbacks carry. */
export interface Profile<J extends SimJob, F, O extends string = string, S extends string = string> {
  /** `task` or `prediction`: in error messages, the finish route `/sim/<noun>s/:id/finish` and the stats key `<noun>s`. */
  noun: string;
  /** How many failure kinds a failing job picks from. */
  failureKinds: number;
  /** The outcomes finish() and the finish route take, in the provider's words, and how each ends a job. */
  outcomes: Record<O, Ending>;
  /** Knobs holding credentials: POST /sim/faults shows them as `set`. */
  secretKnobs: readonly string[];
  states: readonly S[];
  stateOf(job: J, now: number): S;
  /** The finish route's answer about the job it finished. */
  finished(job: J): object;
  /** The one file name a succeeded job's result has (`0.mp4`, `output.mp4`, `out-0.png`). */
  fileName(job: J): string;
  /** An error in the provider's shape (KIE's envelope, Replicate's problem details). */
  problem(reply: FastifyReply, status: number, message: string): FastifyReply;
  /** Called once when a job ends, before its callback (e.g. to refund the account for a failed task). */
  onEnd?(job: J, ending: Ending, faults: F): void;
  /** The terminal callback of a job that ended at `at`, or undefined when it has nowhere to go. */
  callbackFor(job: J, at: number, faults: F): Omit<CallbackDelivery, 'signal'> | undefined;
}
