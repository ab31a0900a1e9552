import { readClock } from '../kit/clock.js';
import type { SimJob } from '../kit/profile.js';

export const KIE_STATES = ['waiting', 'queuing', 'generating', 'success', 'fail'] as const;
export type KieState = (typeof KIE_STATES)[number];

// One provider-side failure a retry may cure and one it never will, so both recovery paths get exercised.
export const KIE_FAILURES = [
  { failCode: '500', failMsg: 'Internal Error, Please try again later.' },
  { failCode: '400', failMsg: 'The content was flagged by the content policy.' },
] as const;

export interface KieTask extends SimJob {
  model: string;
  callBackUrl?: string;
  /** The createTask body as sent, which KIE echoes in `param` (our callBackUrl with our task id included). */
  param: string;
  /** The account credits this task holds; 0 once it failed. */
  consumeCredits: number;
}

export interface KieView {
  state: KieState;
  progress: number;
  completedAt?: number;
}

/** The state follows the clock: 10% of the duration waiting, 15% queuing, then generating with rising progress. */
export function viewTask(task: KieTask, now: number): KieView {
  const clock = readClock(task, now);
  if (clock.ending) return { state: clock.ending === 'success' ? 'success' : 'fail', progress: 100, completedAt: clock.completedAt };
  if (clock.share < 0.1) return { state: 'waiting', progress: 0 };
  if (clock.share < 0.25) return { state: 'queuing', progress: 0 };
  return { state: 'generating', progress: clock.progress };
}

export const kieFileName = (task: KieTask): string => `0.${task.type === 'video' ? 'mp4' : 'png'}`;
