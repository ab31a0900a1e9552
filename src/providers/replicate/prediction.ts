import { z } from 'zod';
import { isTransientFailure, taskIdOfCallbackUrl } from '../kie/record.js';
import type { ProviderStatus } from '../types.js';

/** A prediction as GET /v1/predictions/{id} returns it and as webhooks POST it (fields we do not read are kept). */
export const predictionSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  logs: z.string().nullish(),
  completed_at: z.string().nullish(),
  /** The webhook URL the prediction was created with; it names our task (`?task=<id>`). */
  webhook: z.string().nullish(),
});

export type Prediction = z.infer<typeof predictionSchema>;

export function predictionToStatus(prediction: Prediction): ProviderStatus {
  const settleTaskId = taskIdOfCallbackUrl(prediction.webhook);
  const status = statusOf(prediction);
  return settleTaskId ? { ...status, settleTaskId } : status;
}

function statusOf(prediction: Prediction): ProviderStatus {
  const completedAt = toDate(prediction.completed_at);
  switch (prediction.status) {
    case 'succeeded': {
      const resultUrls = outputUrls(prediction.output);
      if (resultUrls.length > 0) return { state: 'success', resultUrls, completedAt };
      // Nothing to deliver: resubmitting the same input is unlikely to change that, so do not retry.
      const message = 'Replicate reported success without an output URL';
      return { state: 'fail', code: 'no_result', message, transient: false, completedAt };
    }
    case 'failed': {
      const message = errorText(prediction.error) || 'Replicate reported the prediction as failed';
      const code = /\bE\d{4}\b/.exec(message)?.[0];
      return { state: 'fail', code, message, transient: isTransientPredictionFailure(code, message), completedAt };
    }
    // canceled: by its creator, or past its deadline after starting; aborted: past its deadline before starting.
    // Both are terminal and never charged.
    case 'canceled':
      return { state: 'aborted', message: errorText(prediction.error) || 'Replicate canceled the prediction' };
    case 'aborted':
      return { state: 'aborted', message: errorText(prediction.error) || 'Replicate aborted the prediction before it started' };
    case 'starting':
      return { state: 'running', progress: 0 };
    default:
      // processing, and any status Replicate adds later: not finished as far as we can tell; the task's deadline
      // still bounds how long we wait.
      return { state: 'running', progress: progressFromLogs(prediction.logs) ?? 50 };
  }
}

/**
 * Output is model-specific: a URL string (most video models), an array of URL strings (most image models), or an
 * object holding them. Every http(s) URL found, in order, at most two levels deep.
 */
export function outputUrls(output: unknown, depth = 0): string[] {
  if (typeof output === 'string') return /^https?:\/\//i.test(output) ? [output] : [];
  if (depth >= 2 || output === null || typeof output !== 'object') return [];
  const values = Array.isArray(output) ? output : Object.values(output);
  return values.flatMap((value) => outputUrls(value, depth + 1));
}

// E1000 (unknown error: "try retrying") and E6716 (timeout starting the prediction) are provider-side trouble.
const PASSING_REPLICATE_FAILURE = /\bE1000\b|\bE6716\b|interrupted|please retry|unknown error|capacity|cold boot/i;

/**
 * Whether a resubmission may succeed: provider-side trouble yes; a content-policy refusal or a failure the input
 * caused (E1001 out of memory, validation errors) no. The policy and generic rules are KIE's (kie-record.ts): a
 * Replicate-specific sign of passing trouble counts like a transient provider code there, which a policy message
 * still overrides.
 */
export function isTransientPredictionFailure(code: string | undefined, message: string): boolean {
  if (code === 'E1001') return false;
  return isTransientFailure(PASSING_REPLICATE_FAILURE.test(message) ? '500' : undefined, message);
}

function errorText(error: unknown): string {
  if (error == null) return '';
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && 'message' in error && typeof error.message === 'string') return error.message;
  return JSON.stringify(error);
}

/** Many models log tqdm bars (" 45%|████▌     |"); the last percentage is the best progress there is. */
function progressFromLogs(logs: string | null | undefined): number | undefined {
  if (!logs) return undefined;
  const matches = logs.slice(-2000).match(/(\d{1,3})%/g);
  const last = matches?.at(-1);
  if (!last) return undefined;
  return Math.min(99, Math.max(1, Number(last.slice(0, -1))));
}

function toDate(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
