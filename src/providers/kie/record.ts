import { z } from 'zod';
import { isTransientCode } from './errors.js';
import type { ProviderStatus } from '../types.js';

const optionalText = z.union([z.string(), z.number()]).nullish().transform((v) => (v == null ? '' : String(v)));

/** The task record KIE returns from recordInfo and POSTs to the callBackUrl (fields we do not read are kept). */
export const kieRecordSchema = z.looseObject({
  taskId: z.string().min(1).optional(),
  task_id: z.string().min(1).optional(),
  state: z.string().min(1),
  resultJson: z.unknown().optional(),
  failCode: optionalText,
  failMsg: optionalText,
  completeTime: z.union([z.number(), z.string()]).nullish(),
  progress: z.union([z.number(), z.string()]).nullish(),
  /** The original createTask request, as a JSON string (or an object): it names our callBackUrl. */
  param: z.unknown().optional(),
});

export type KieRecord = z.infer<typeof kieRecordSchema>;

// Used only when the record carries no progress of its own.
const ESTIMATED_PROGRESS: Record<string, number> = { waiting: 0, queuing: 5, generating: 50 };

export function recordToStatus(record: KieRecord): ProviderStatus {
  const settleTaskId = taskIdOfCallbackUrl(callBackUrlOf(record.param));
  const status = statusOf(record);
  return settleTaskId ? { ...status, settleTaskId } : status;
}

function statusOf(record: KieRecord): ProviderStatus {
  const completedAt = toDate(record.completeTime);
  switch (record.state) {
    case 'success':
      return successStatus(record.resultJson, completedAt);
    case 'fail': {
      const message = record.failMsg || 'KIE reported the task as failed';
      const code = record.failCode || undefined;
      return { state: 'fail', code, message, transient: isTransientFailure(code, message), completedAt };
    }
    default:
      // waiting, queuing, generating, and any state KIE adds later: not finished as far as we can tell, and the
      // task's deadline still bounds how long we wait.
      return { state: 'running', progress: toPercent(record.progress) ?? ESTIMATED_PROGRESS[record.state] };
  }
}

function successStatus(resultJson: unknown, completedAt: Date | undefined): ProviderStatus {
  const resultUrls = parseResultUrls(resultJson);
  if (resultUrls.length > 0) return { state: 'success', resultUrls, completedAt };
  // Nothing to deliver: resubmitting the same input is unlikely to change a provider bug, so do not retry.
  const message = 'KIE reported success without result URLs';
  return { state: 'fail', code: 'no_result', message, transient: false, completedAt };
}

function callBackUrlOf(param: unknown): unknown {
  const parsed = typeof param === 'string' ? tryParse(param) : param;
  return (parsed as { callBackUrl?: unknown } | undefined)?.callBackUrl;
}

/** Our task id travels in the callback URL's query (`?task=<id>`). */
export function taskIdOfCallbackUrl(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    return new URL(url).searchParams.get('task') ?? undefined;
  } catch {
    return undefined;
  }
}

/** `resultJson` is documented as a JSON string (`"{\"resultUrls\":[...]}"`); an object is accepted too. */
export function parseResultUrls(resultJson: unknown): string[] {
  const parsed = typeof resultJson === 'string' ? tryParse(resultJson) : resultJson;
  const urls = (parsed as { resultUrls?: unknown } | undefined)?.resultUrls;
  if (!Array.isArray(urls)) return [];
  return urls.filter((url): url is string => typeof url === 'string' && url.length > 0);
}

const POLICY_FAILURE = /polic|sensitive|nsfw|violat|moderat|prohibit|unsafe|safety|copyright|inappropriate/i;
const PASSING_FAILURE = /timeout|timed out|internal error|server error|try again|unavailable|overload|busy/i;

/**
 * Whether a resubmission of a failed task may succeed. Content-policy failures never will, whatever the code says;
 * provider-side trouble (a transient API code such as 500 or 455, or a message like "internal error, try again")
 * may. Anything else, validation failures included, is permanent: a blind retry costs the user's time and the
 * provider's credits.
 */
export function isTransientFailure(code: string | undefined, message: string): boolean {
  if (POLICY_FAILURE.test(message)) return false;
  if (code && /^\d+$/.test(code) && isTransientCode(Number(code))) return true;
  return PASSING_FAILURE.test(message);
}

/** Progress as a percent, 0..100. KIE sends either a percent or a fraction ("0.45"), depending on the model. */
function toPercent(value: number | string | null | undefined): number | undefined {
  if (value == null || value === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number)) return undefined;
  const percent = number > 0 && number < 1 ? number * 100 : number;
  return Math.min(100, Math.max(0, Math.round(percent)));
}

function toDate(value: number | string | null | undefined): Date | undefined {
  if (value == null || value === '') return undefined;
  const date = new Date(typeof value === 'number' ? value : Number(value) || value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
