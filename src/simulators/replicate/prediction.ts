import type { TaskType } from '../../providers/types.js';
import { between, type Random } from '../kie/random.js';
import { fileExtension } from '../kie/models.js';
import type { ReplicateFaults } from './faults.js';
import type { ReplicateSimOutcome, ReplicateSimStatus } from './types.js';

// One provider-side failure a retry may cure and one it never will, so both recovery paths get exercised.
const FAILURES: readonly string[] = [
  'E1000 Unknown error: Prediction interrupted; please retry.',
  'NSFW content detected. Try running it again, or try a different prompt.',
];

export interface SimPrediction {
  id: string;
  /** `owner/name`, or null when created by version. */
  model: string | null;
  version: string;
  type: TaskType;
  input: Record<string, unknown>;
  webhook?: string;
  /** Whether the webhook wants the `completed` event (the only one the simulator sends). */
  wantsCompleted: boolean;
  createdAt: number;
  durationMs: number;
  planned: ReplicateSimOutcome | 'hang';
  failure: string;
  lostCallback: boolean;
  forced?: { status: 'succeeded' | 'failed' | 'aborted' | 'canceled'; at: number };
  timer?: NodeJS.Timeout;
  /** The terminal webhook was sent, lost or given up on: it happens once per prediction. */
  settled: boolean;
}

export type PredictionPlan = Pick<SimPrediction, 'durationMs' | 'planned' | 'failure' | 'lostCallback'>;

/** Always four draws, whatever the knobs say, so a seed maps each accepted prediction to the same plan. */
export function planPrediction(random: Random, faults: ReplicateFaults): PredictionPlan {
  const [outcomeDraw, lostDraw, failureDraw] = [random(), random(), random()];
  const durationMs = between(random, faults.durationMs[0], faults.durationMs[1]);
  let planned: PredictionPlan['planned'] = 'succeeded';
  if (outcomeDraw < faults.failRate) planned = 'failed';
  else if (outcomeDraw < faults.failRate + faults.hangRate) planned = 'hang';
  else if (outcomeDraw < faults.failRate + faults.hangRate + faults.abortRate) planned = 'aborted';
  const failure = FAILURES[Math.floor(failureDraw * FAILURES.length)]!;
  return { durationMs, planned, failure, lostCallback: lostDraw < faults.lostCallbackRate };
}

export interface PredictionView {
  status: ReplicateSimStatus;
  progress: number;
  startedAt?: number;
  completedAt?: number;
}

/**
 * The status follows the clock: `starting` for the first 25% of the duration (an aborted prediction never leaves it),
 * then `processing` with a rising percentage in the logs, then the planned terminal status.
 */
export function viewPrediction(prediction: SimPrediction, now: number): PredictionView {
  const startAt = prediction.createdAt + Math.round(prediction.durationMs * 0.25);
  const { forced } = prediction;
  if (forced) {
    const started = forced.status === 'aborted' ? undefined : Math.min(startAt, forced.at);
    return { status: forced.status, progress: 100, startedAt: started, completedAt: forced.at };
  }
  const elapsed = now - prediction.createdAt;
  const { planned } = prediction;
  if (planned !== 'hang' && elapsed >= prediction.durationMs) {
    const completedAt = prediction.createdAt + prediction.durationMs;
    return { status: planned, progress: 100, startedAt: planned === 'aborted' ? undefined : startAt, completedAt };
  }
  if (now < startAt || planned === 'aborted') return { status: 'starting', progress: 0 };
  const share = prediction.durationMs === 0 ? 0 : elapsed / prediction.durationMs;
  return { status: 'processing', progress: Math.min(99, Math.max(1, Math.round(share * 100))), startedAt: startAt };
}

export const isTerminalStatus = (status: ReplicateSimStatus): boolean =>
  status === 'succeeded' || status === 'failed' || status === 'canceled' || status === 'aborted';

/** Output file names as replicate.delivery serves them: `output.mp4` for video models, `out-0.png` for images. */
export const outputFileName = (type: TaskType): string => (type === 'video' ? 'output' : 'out-0') + `.${fileExtension(type)}`;

/** The prediction object, as GET /v1/predictions/{id} returns it and webhooks carry it. */
export function predictionObject(prediction: SimPrediction, now: number, publicUrl: string) {
  const view = viewPrediction(prediction, now);
  const fileUrl = `${publicUrl}/files/${prediction.id}/${outputFileName(prediction.type)}`;
  const succeeded = view.status === 'succeeded';
  const logs = view.status === 'starting' ? '' : `Generating...\n${view.progress}%|${'#'.repeat(Math.floor(view.progress / 10))}`;
  return {
    id: prediction.id,
    model: prediction.model ?? undefined,
    version: prediction.version,
    input: prediction.input,
    logs,
    // Video models answer one URL, image models a list of them, as on Replicate.
    output: succeeded ? (prediction.type === 'video' ? fileUrl : [fileUrl]) : null,
    data_removed: false,
    error: view.status === 'failed' ? prediction.failure : null,
    status: view.status,
    created_at: iso(prediction.createdAt),
    started_at: view.startedAt === undefined ? null : iso(view.startedAt),
    completed_at: view.completedAt === undefined ? null : iso(view.completedAt),
    urls: {
      get: `${publicUrl}/v1/predictions/${prediction.id}`,
      cancel: `${publicUrl}/v1/predictions/${prediction.id}/cancel`,
    },
    metrics:
      view.completedAt !== undefined && view.startedAt !== undefined
        ? { predict_time: (view.completedAt - view.startedAt) / 1000 }
        : {},
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
