import { readClock, type Ending } from '../kit/clock.js';
import type { SimJob } from '../kit/profile.js';
import type { ReplicateSimStatus } from './types.js';

export const REPLICATE_STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'] as const;

// One provider-side failure a retry may cure and one it never will, so both recovery paths get exercised.
export const REPLICATE_FAILURES = [
  'E1000 Unknown error: Prediction interrupted; please retry.',
  'NSFW content detected. Try running it again, or try a different prompt.',
] as const;

const STATUS_OF: Record<Ending, ReplicateSimStatus> = { success: 'succeeded', fail: 'failed', abort: 'aborted', cancel: 'canceled' };

export interface SimPrediction extends SimJob {
  /** `owner/name`. */
  model: string;
  version: string;
  input: Record<string, unknown>;
  webhook?: string;
  /** Only `completed` is ever sent; a filter without it gets no webhook. */
  webhookEventsFilter?: string[];
}

export const wantsCompletedWebhook = (prediction: SimPrediction): boolean =>
  prediction.webhook !== undefined && (prediction.webhookEventsFilter?.includes('completed') ?? true);

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
  const clock = readClock(prediction, now);
  const startAt = prediction.createdAt + Math.round(prediction.durationMs * 0.25);
  if (clock.ending) {
    const startedAt = clock.ending === 'abort' ? undefined : Math.min(startAt, clock.completedAt!);
    return { status: STATUS_OF[clock.ending], progress: 100, startedAt, completedAt: clock.completedAt };
  }
  if (now < startAt || prediction.planned === 'abort') return { status: 'starting', progress: 0 };
  return { status: 'processing', progress: clock.progress, startedAt: startAt };
}

/** Output file names as replicate.delivery serves them: `output.mp4` for video models, `out-0.png` for images. */
export const outputFileName = (prediction: SimPrediction): string => (prediction.type === 'video' ? 'output.mp4' : 'out-0.png');

export const resultPath = (prediction: SimPrediction): string => `/files/${prediction.id}/${outputFileName(prediction)}`;

/** The prediction object, as GET /v1/predictions/{id} returns it and webhooks carry it. */
export function predictionObject(prediction: SimPrediction, now: number, publicUrl: string, fileUrl: string) {
  const view = viewPrediction(prediction, now);
  const succeeded = view.status === 'succeeded';
  const logs = view.status === 'starting' ? '' : `Generating...\n${view.progress}%|${'#'.repeat(Math.floor(view.progress / 10))}`;
  return {
    id: prediction.id,
    model: prediction.model,
    version: prediction.version,
    input: prediction.input,
    webhook: prediction.webhook,
    webhook_events_filter: prediction.webhookEventsFilter,
    logs,
    // Video models answer one URL, image models a list of them, as on Replicate.
    output: succeeded ? (prediction.type === 'video' ? fileUrl : [fileUrl]) : null,
    data_removed: false,
    error: view.status === 'failed' ? REPLICATE_FAILURES[prediction.failureIndex] : null,
    status: view.status,
    created_at: iso(prediction.createdAt),
    started_at: view.startedAt === undefined ? null : iso(view.startedAt),
    completed_at: view.completedAt === undefined ? null : iso(view.completedAt),
    urls: {
      get: `${publicUrl}/v1/predictions/${prediction.id}`,
      cancel: `${publicUrl}/v1/predictions/${prediction.id}/cancel`,
    },
    metrics: metricsOf(prediction, view),
  };
}

/** Seconds: `predict_time` once it ran, `total_time` (queueing included) once it ended. */
function metricsOf(prediction: SimPrediction, { startedAt, completedAt }: PredictionView) {
  if (completedAt === undefined) return {};
  const total_time = (completedAt - prediction.createdAt) / 1000;
  return startedAt === undefined ? { total_time } : { predict_time: (completedAt - startedAt) / 1000, total_time };
}

const iso = (ms: number): string => new Date(ms).toISOString();
