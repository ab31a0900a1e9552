import { resultDownloader, type DownloadPolicy } from '../download.js';
import { fetchFailure, parseRetryAfter, readAnswer } from '../failures.js';
import { callProvider } from '../http.js';
import { isRecord } from '../kie/envelope.js';
import { httpFailure, type ReplicateOperation } from './errors.js';
import { predictionSchema, predictionToStatus } from './prediction.js';
import { REPLICATE_WEBHOOK_HEADERS, verifyReplicateWebhook } from './webhook.js';
import {
  ProviderError,
  type CallbackEvent,
  type ProviderAccount,
  type Provider,
  type ProviderStatus,
  type SubmitRequest,
  type SubmitResult,
} from '../types.js';

export interface ReplicateProviderOptions {
  /** e.g. https://api.replicate.com, or a simulator's URL. */
  baseUrl: string;
  apiToken?: string;
  /** The account's webhook signing secret (`whsec_...`, GET /v1/webhooks/default/secret); see verifyWebhook. */
  webhookSecret?: string;
  /** Per API call (create, get). */
  requestTimeoutMs?: number;
  /** Whole download, headers to last byte. */
  downloadTimeoutMs?: number;
  /** What result URLs may be fetched, and how large a result may be (default: public hosts only, 2 GiB). */
  downloads?: DownloadPolicy;
}

export type WebhookVerdict = 'valid' | 'invalid' | 'not_configured';

export interface ReplicateProvider extends Provider {
  readonly name: 'replicate';
  /**
   * Checks a webhook's Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature) against the raw
   * body: 'not_configured' when no webhookSecret was given (the route decides whether unsigned webhooks are taken).
   */
  verifyWebhook(headers: Record<string, string | string[] | undefined>, rawBody: string, nowMs?: number): WebhookVerdict;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** `owner/name` (an official model, run at its latest version) or `owner/name:<version id>`, or a bare version id. */
const MODEL_REF = /^([a-z0-9][\w.-]*)\/([a-z0-9][\w.-]*)(?::([0-9a-f]{64}))?$/i;
const VERSION_ID = /^[0-9a-f]{64}$/i;

/**
 * The Replicate predictions API: POST /v1/models/{owner}/{name}/predictions (or /v1/predictions with a version),
 * GET /v1/predictions/{id}, and webhooks carrying the prediction object. Our task id travels in the webhook URL's
 * query (`?task=<taskId>`), which Replicate keeps as given.
 */
export function createReplicateProvider(options: ReplicateProviderOptions): ReplicateProvider {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const { apiToken } = options;
  /** An error body could in theory echo what we sent; the token never leaves in a message. */
  const redact = (text: string): string => (apiToken ? text.split(apiToken).join('[redacted]') : text);

  async function call(op: ReplicateOperation, path: string, body?: unknown, method: 'GET' | 'POST' = body === undefined ? 'GET' : 'POST'): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (apiToken) headers.authorization = `Bearer ${apiToken}`;
    try {
      const response = await callProvider(`${baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        timeoutMs,
      });
      const json = tryJson(response.text);
      if (!response.ok) {
        const retryAfterMs = parseRetryAfter(response.header('retry-after'));
        throw httpFailure(op, response.status, redact(problemText(json) ?? response.statusText), retryAfterMs);
      }
      if (!isRecord(json)) {
        // A 2xx without a JSON object is a proxy or gateway hiccup rather than an answer about the prediction.
        throw new ProviderError('transient', 'invalid_response', `Replicate ${op} returned a body that is not a prediction`, { inDoubt: true });
      }
      return json;
    } catch (err) {
      throw fetchFailure(op, 'Replicate', err, timeoutMs);
    }
  }

  async function submit(request: SubmitRequest): Promise<SubmitResult> {
    const target = predictionTarget(request.model);
    const body: Record<string, unknown> = { ...target.body, input: request.input };
    if (request.callbackUrl) {
      body.webhook = request.callbackUrl;
      // Only the terminal event: Settle has no use for start / output / logs deliveries.
      body.webhook_events_filter = ['completed'];
    }
    const created = await call('create', target.path, body);
    if (typeof created.id !== 'string' || created.id.length === 0) {
      // The prediction may exist without us knowing its id: in doubt, until a webhook's adoption or the doubt window.
      throw new ProviderError('transient', 'invalid_response', 'Replicate created a prediction without an id', { inDoubt: true });
    }
    return { providerTaskId: created.id };
  }

  async function status(providerTaskId: string): Promise<ProviderStatus> {
    const json = await call('get', `/v1/predictions/${encodeURIComponent(providerTaskId)}`);
    return predictionToStatus(readAnswer(predictionSchema, json, 'Replicate returned an unreadable prediction'));
  }

  const download = resultDownloader('Replicate', {
    timeoutMs: downloadTimeoutMs,
    policy: options.downloads,
    httpError: (status, statusText) => httpFailure('download', status, statusText),
  });

  /** GET /v1/account: the token's account; a refused token is a ProviderError like any call's. */
  async function account(): Promise<ProviderAccount> {
    const json = await call('account', '/v1/account');
    return typeof json.username === 'string' ? { name: json.username } : {};
  }

  /** POST /v1/predictions/{id}/cancel: Replicate stops the prediction, so the operator stops paying for it. */
  async function cancel(providerTaskId: string): Promise<void> {
    await call('cancel', `/v1/predictions/${encodeURIComponent(providerTaskId)}/cancel`, undefined, 'POST');
  }

  function verifyWebhook(headers: Record<string, string | string[] | undefined>, rawBody: string, nowMs?: number): WebhookVerdict {
    const secret = options.webhookSecret;
    if (!secret) return 'not_configured';
    const header = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(' ') : value;
    };
    const valid = verifyReplicateWebhook({
      id: header(REPLICATE_WEBHOOK_HEADERS.id),
      timestamp: header(REPLICATE_WEBHOOK_HEADERS.timestamp),
      signatureHeader: header(REPLICATE_WEBHOOK_HEADERS.signature),
      body: rawBody,
      secret,
      nowMs,
    });
    return valid ? 'valid' : 'invalid';
  }

  return { name: 'replicate', submit, status, parseCallback: parseReplicateCallback, download, cancel, account, verifyWebhook };
}

/** Where a model id is submitted: official models by name, anything pinned to a version through /v1/predictions. */
function predictionTarget(model: string): { path: string; body: Record<string, unknown> } {
  if (VERSION_ID.test(model)) return { path: '/v1/predictions', body: { version: model } };
  const ref = MODEL_REF.exec(model);
  if (!ref) {
    throw new ProviderError('permanent', '400', `Not a Replicate model: ${model} (expected owner/name or owner/name:version)`);
  }
  const [, owner, name, version] = ref;
  if (version) return { path: '/v1/predictions', body: { version } };
  return { path: `/v1/models/${encodeURIComponent(owner!)}/${encodeURIComponent(name!)}/predictions`, body: {} };
}

/**
 * A Replicate webhook body is the prediction object (the same shape GET returns); our task id is in the query. A raw
 * string body (the route kept it for signature checks) is accepted too.
 */
export function parseReplicateCallback(body: unknown, query: Record<string, string | undefined>): CallbackEvent {
  const json = typeof body === 'string' ? tryJson(body) : body;
  const prediction = predictionSchema.safeParse(json);
  if (!prediction.success) {
    throw new ProviderError('permanent', '400', 'Not a Replicate webhook: the body is not a prediction with an id and a status');
  }
  const taskId = query.task || query.taskId || undefined;
  return { taskId, providerTaskId: prediction.data.id, status: predictionToStatus(prediction.data) };
}

/** Problem details (`detail`, else `title`), or the older `{detail}` / `{error}` bodies. */
function problemText(json: unknown): string | undefined {
  if (!isRecord(json)) return undefined;
  for (const key of ['detail', 'title', 'error', 'message']) {
    const value = json[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
