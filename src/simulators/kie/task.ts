import type { TaskType } from '../../providers/types.js';
import type { Faults } from './faults.js';
import { between, type Random } from './random.js';

export type SimState = 'waiting' | 'queuing' | 'generating' | 'success' | 'fail';
type Outcome = 'success' | 'fail';

interface Failure {
  failCode: string;
  failMsg: string;
}

// One provider-side failure a retry may cure and one it never will, so both recovery paths get exercised.
const FAILURES: readonly Failure[] = [
  { failCode: '500', failMsg: 'Internal Error, Please try again later.' },
  { failCode: '400', failMsg: 'The content was flagged by the content policy.' },
];

export interface SimTask {
  id: string;
  model: string;
  type: TaskType;
  callBackUrl?: string;
  /** The createTask body, as KIE echoes it in `param`. */
  param: string;
  createdAt: number;
  durationMs: number;
  planned: Outcome | 'hang';
  failure: Failure;
  lostCallback: boolean;
  forced?: { outcome: Outcome; at: number };
  timer?: NodeJS.Timeout;
  /** The callback was sent, lost or given up on: it happens once per task. */
  settled: boolean;
}

export type TaskPlan = Pick<SimTask, 'durationMs' | 'planned' | 'failure' | 'lostCallback'>;

/** Always four draws, whatever the knobs say, so a seed maps each submission to the same plan. */
export function planTask(random: Random, faults: Faults): TaskPlan {
  const [outcomeDraw, lostDraw, failureDraw] = [random(), random(), random()];
  const durationMs = between(random, faults.durationMs[0], faults.durationMs[1]);
  let planned: TaskPlan['planned'] = 'success';
  if (outcomeDraw < faults.failRate) planned = 'fail';
  else if (outcomeDraw < faults.failRate + faults.hangRate) planned = 'hang';
  const failure = FAILURES[Math.floor(failureDraw * FAILURES.length)]!;
  return { durationMs, planned, failure, lostCallback: lostDraw < faults.lostCallbackRate };
}

export interface TaskView {
  state: SimState;
  progress: number;
  /** When the task reached its terminal state. */
  completedAt?: number;
}

/** The state follows the clock: 10% of the duration waiting, 15% queuing, then generating with rising progress. */
export function viewTask(task: SimTask, now: number): TaskView {
  if (task.forced) return { state: task.forced.outcome, progress: 100, completedAt: task.forced.at };
  const elapsed = now - task.createdAt;
  if (task.planned !== 'hang' && elapsed >= task.durationMs) {
    return { state: task.planned, progress: 100, completedAt: task.createdAt + task.durationMs };
  }
  const share = task.durationMs === 0 ? 0 : elapsed / task.durationMs;
  if (share < 0.1) return { state: 'waiting', progress: 0 };
  if (share < 0.25) return { state: 'queuing', progress: 0 };
  return { state: 'generating', progress: Math.min(99, Math.max(1, Math.round(share * 100))) };
}

export function isTerminal(state: SimState): state is Outcome {
  return state === 'success' || state === 'fail';
}
