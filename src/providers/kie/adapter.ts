import { z } from 'zod';
import { resultDownloader, type DownloadPolicy } from '../download.js';
import { readAnswer } from '../failures.js';
import { codeError, isTransientCode } from './errors.js';
import { isRecord, messageOf, requestEnvelope, type KieEnvelope } from './envelope.js';
import { kieRecordSchema, recordToStatus } from './record.js';
import {
  ProviderError,
  type CallbackEvent,
  type Provider,
  type ProviderAccount,
  type ProviderStatus,
  type SubmitRequest,
  type SubmitResult,
} from '../types.js';

export interface KieProviderOptions {
  /** e.g. https://api.kie.ai, or a simulator's URL. */
  baseUrl: string;
  apiKey?: string;
  /** Per API call (createTask, recordInfo). */
  requestTimeoutMs?: number;
  /** Whole download, headers to last byte. */
  downloadTimeoutMs?: number;
  /** What result URLs may be fetched, and how large a result may be (default: public hosts only, 2 GiB). */
  downloads?: DownloadPolicy;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** KIE answers recordInfo for a task it has not indexed yet with 422 "recordInfo is null". */
const NOT_INDEXED = /recordinfo is null|not found|not exist/i;

const createdSchema = z.object({ taskId: z.string().min(1) });

/** The KIE.ai "market" jobs API: POST /api/v1/jobs/createTask, GET /api/v1/jobs/recordInfo, callbacks. */
export function createKieProvider(options: KieProviderOptions): Provider {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const { apiKey } = options;

  async function submit(request: SubmitRequest): Promise<SubmitResult> {
    const body = { model: request.model, callBackUrl: request.callbackUrl, input: request.input };
    const url = `${baseUrl}/api/v1/jobs/createTask`;
    const envelope = await requestEnvelope({ op: 'createTask', url, method: 'POST', apiKey, body, timeoutMs });
    if (envelope.code !== 200) throw envelopeFailure('createTask', envelope);
    // The task may exist at KIE without us knowing its id: in doubt, until a callback's adoption or the doubt window.
    const created = readAnswer(createdSchema, envelope.data, 'KIE createTask succeeded without a taskId', { inDoubt: true });
    return { providerTaskId: created.taskId };
  }

  async function status(providerTaskId: string): Promise<ProviderStatus> {
    const url = `${baseUrl}/api/v1/jobs/recordInfo?taskId=${encodeURIComponent(providerTaskId)}`;
    const envelope = await requestEnvelope({ op: 'recordInfo', url, method: 'GET', apiKey, timeoutMs });
    if (envelope.code === 422 && NOT_INDEXED.test(envelope.message)) return { state: 'running', notFound: true };
    if (envelope.code !== 200) throw envelopeFailure('recordInfo', envelope);
    if (envelope.data == null) return { state: 'running', notFound: true };
    return recordToStatus(readAnswer(kieRecordSchema, envelope.data, 'KIE recordInfo returned an unreadable record'));
  }

  const download = resultDownloader('KIE', {
    timeoutMs: downloadTimeoutMs,
    policy: options.downloads,
    httpError: (status, statusText) => codeError('download', status, statusText),
  });

  /** GET /api/v1/chat/credit: the account's remaining credits, as `data`. */
  async function account(): Promise<ProviderAccount> {
    const url = `${baseUrl}/api/v1/chat/credit`;
    const envelope = await requestEnvelope({ op: 'credit', url, method: 'GET', apiKey, timeoutMs });
    if (envelope.code !== 200) throw envelopeFailure('credit', envelope);
    const credits = Number(envelope.data);
    if (!Number.isFinite(credits)) throw new ProviderError('transient', 'invalid_response', 'KIE chat/credit returned no credit count');
    return { credits };
  }

  return { name: 'kie', submit, status, parseCallback, download, account };
}

function envelopeFailure(op: 'createTask' | 'recordInfo' | 'credit', envelope: KieEnvelope): ProviderError {
  return codeError(op, envelope.code, envelope.message, envelope.retryAfterMs);
}

/**
 * KIE POSTs the recordInfo envelope (`{code, msg, data: {taskId, state, resultJson, failCode, failMsg, ...}}`) to the
 * callBackUrl. Our own task id travels in the callBackUrl's query (`?task=<taskId>`).
 */
function parseCallback(body: unknown, query: Record<string, string | undefined>): CallbackEvent {
  const data = isRecord(body) ? body.data : undefined;
  const providerTaskId = firstString(data, body, ['taskId', 'task_id']);
  if (!providerTaskId) throw invalidCallback('it carries no taskId');
  const taskId = query.task || query.taskId || undefined;
  const record = kieRecordSchema.safeParse(data);
  if (record.success) return { taskId, providerTaskId, status: recordToStatus(record.data) };
  return { taskId, providerTaskId, status: failureWithoutRecord(body) };
}

/** A callback whose data has no state can only be read from its envelope code: a non-200 code is a failure. */
function failureWithoutRecord(body: unknown): ProviderStatus {
  const code = isRecord(body) ? Number(body.code) : NaN;
  if (!Number.isInteger(code) || code === 200) throw invalidCallback('its data has no state');
  const message = messageOf(body) || `KIE reported code ${code}`;
  return { state: 'fail', code: String(code), message, transient: isTransientCode(code) };
}

function firstString(data: unknown, body: unknown, keys: string[]): string | undefined {
  for (const source of [data, body]) {
    if (!isRecord(source)) continue;
    for (const key of keys) {
      const value = source[key];
      if (typeof value === 'string' && value.length > 0) return value;
    }
  }
  return undefined;
}

const invalidCallback = (why: string) => new ProviderError('permanent', '400', `Not a KIE callback: ${why}`);
