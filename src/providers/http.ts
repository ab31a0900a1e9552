import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
// undici 6, the major Node 20 bundles: importing undici installs its Agent as the dispatcher Node's own fetch uses
// too, and another major would change fetch for the whole process (undici 7 refuses requests Node 20 accepts).
import { getGlobalDispatcher, request, type Dispatcher } from 'undici';

/** How a call that ran out of time fails; the providers' error mappers recognise it by its name. */
class ProviderTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

export interface ProviderAnswer {
  status: number;
  statusText: string;
  ok: boolean;
  header(name: string): string | null;
}

export interface ProviderCall {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** For the whole call, headers to last byte. */
  timeoutMs: number;
}

/**
 * One provider API call, answered whole, through undici's `dispatch` with a handler that keeps the body's chunks:
 * no Readable body, no Request/Response objects and no AbortSignal per call. Measured against a local server,
 * half the CPU of undici's `request` (65 to 75 against 105 to 145 µs a call), and a settlement makes one or two.
 */
export function callProvider(url: string, call: ProviderCall): Promise<ProviderAnswer & { text: string }> {
  const { origin, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: Headers = {};
    let abort: ((err: Error) => void) | undefined;
    let timedOut: Error | undefined;
    // undici hands out the call's abort once the call has a connection; a deadline that passes before is kept for then.
    const timer = setTimeout(() => {
      timedOut = new ProviderTimeoutError(call.timeoutMs);
      abort?.(timedOut);
    }, call.timeoutMs);
    getGlobalDispatcher().dispatch(
      { origin, path: pathname + search, method: call.method, headers: call.headers, body: call.body },
      {
        onConnect: (abortCall) => {
          if (timedOut) return abortCall(timedOut);
          abort = abortCall;
        },
        onHeaders: (statusCode, rawHeaders) => {
          // A 1xx is informational: the answer's own status and headers follow.
          if (statusCode < 200) return true;
          status = statusCode;
          headers = headersOf(rawHeaders);
          return true;
        },
        onData: (chunk) => chunks.push(chunk) > 0,
        onComplete: () => {
          clearTimeout(timer);
          resolve({ ...answer(status, headers), text: Buffer.concat(chunks).toString('utf8') });
        },
        onError: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      },
    );
  });
}

/** undici's raw headers (name, value, name, value…) as Node's IncomingHttpHeaders has them: lower-case names. */
function headersOf(raw: Buffer[]): Headers {
  const headers: Headers = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const earlier = headers[name];
    headers[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return headers;
}

/**
 * Opens a download; the deadline covers the whole transfer, so a body that stalls fails with ProviderTimeoutError.
 * Aborting `signal` stops it at any point, headers or body.
 */
export async function openProviderStream(
  url: string,
  timeoutMs: number,
  options: { dispatcher?: Dispatcher; signal?: AbortSignal } = {},
): Promise<ProviderStream> {
  const deadline = startDeadline(timeoutMs, options.signal);
  try {
    const response = await request(url, { method: 'GET', signal: deadline.signal, dispatcher: options.dispatcher });
    response.body.once('close', deadline.clear);
    return { ...answer(response.statusCode, response.headers), body: response.body };
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

export interface ProviderStream extends ProviderAnswer {
  /** undici's body: a Readable that can also be drained (`dump`) so the connection is kept. */
  body: Readable & { dump(): Promise<void> };
}

type Headers = Record<string, string | string[] | undefined>;

function answer(status: number, headers: Headers): ProviderAnswer {
  return {
    status,
    statusText: STATUS_CODES[status] ?? '',
    ok: status >= 200 && status < 300,
    header(name) {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
    },
  };
}

/**
 * An EventEmitter signal (undici accepts one) costs a timer, not an AbortController and its DOMException. It also
 * fires when the caller's own `abort` signal does.
 */
function startDeadline(timeoutMs: number, abort?: AbortSignal) {
  const signal = Object.assign(new EventEmitter(), { reason: undefined as Error | undefined });
  const fire = (reason: Error) => {
    signal.reason = reason;
    signal.emit('abort');
  };
  const timer = setTimeout(() => fire(new ProviderTimeoutError(timeoutMs)), timeoutMs);
  const onAbort = () => fire(abort!.reason instanceof Error ? abort!.reason : new Error('download aborted'));
  abort?.addEventListener('abort', onAbort, { once: true });
  if (abort?.aborted) onAbort();
  return {
    signal,
    clear: () => {
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
    },
  };
}
