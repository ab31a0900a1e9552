import { fetchFailure, parseRetryAfter } from '../failures.js';
import { codeError, type KieOperation } from './errors.js';
import { callProvider } from '../http.js';
import { ProviderError } from '../types.js';

/** KIE's response envelope; the message field is `msg` on most endpoints and `message` on some. */
export interface KieEnvelope {
  code: number;
  message: string;
  data: unknown;
  retryAfterMs?: number;
}

export interface KieRequest {
  op: KieOperation;
  url: string;
  method: 'GET' | 'POST';
  apiKey?: string;
  body?: unknown;
  timeoutMs: number;
}

/**
 * Sends one API call and returns the envelope whatever its body code, so the caller can decide what a non-200 code
 * means for its operation. Throws ProviderError for network failures, timeouts, HTTP errors and unreadable bodies.
 */
export async function requestEnvelope(request: KieRequest): Promise<KieEnvelope> {
  const { op, timeoutMs } = request;
  try {
    const response = await callProvider(request.url, {
      method: request.method,
      headers: headersFor(request),
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      timeoutMs,
    });
    const retryAfterMs = parseRetryAfter(response.header('retry-after'));
    const { text } = response;
    if (!response.ok) {
      throw codeError(op, response.status, messageOf(tryJson(text)) ?? response.statusText, retryAfterMs);
    }
    return toEnvelope(op, tryJson(text), retryAfterMs);
  } catch (err) {
    throw fetchFailure(op, 'KIE', err, timeoutMs);
  }
}

function headersFor(request: KieRequest): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  return headers;
}

function toEnvelope(op: KieOperation, json: unknown, retryAfterMs: number | undefined): KieEnvelope {
  const code = isRecord(json) ? Number(json.code) : NaN;
  if (!isRecord(json) || !Number.isInteger(code)) {
    // A 200 without an envelope is a proxy or gateway hiccup rather than an answer about the task.
    throw new ProviderError('transient', 'invalid_response', `KIE ${op} returned a body that is not a KIE envelope`, { inDoubt: true });
  }
  return { code, message: messageOf(json) ?? '', data: json.data, retryAfterMs };
}

export function messageOf(json: unknown): string | undefined {
  if (!isRecord(json)) return undefined;
  const message = json.msg ?? json.message;
  return typeof message === 'string' ? message : undefined;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
