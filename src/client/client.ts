import { errorFromResponse, SettleApiError, TaskFailedError, WaitTimeoutError } from './errors.js';
import { send, sendJson, type Connection, type RequestOptions } from './http.js';
import { readServerSentEvents } from './sse.js';
import { TERMINAL, type Canceled, type Credits, type Model, type SubmitRequest, type Submitted, type Task, type TaskEvent } from './types.js';

export interface SettleClientOptions {
  /** The Settle server, e.g. "https://settle.example.com"; "" (the default) means this page's own origin. */
  baseUrl?: string;
  /** A user or admin API key, sent as "Authorization: Bearer". Leave it out in a browser signed in by cookie. */
  apiKey?: string;
  /** Headers on every request (the playground sends its CSRF token this way). */
  headers?: Record<string, string>;
  /** fetch's credentials mode; "same-origin" (the default) sends a session cookie to the same site only. */
  credentials?: RequestCredentials;
  fetch?: typeof fetch;
  /** waitForCompletion's polling interval when the event stream is unavailable; default 5000 ms. */
  pollIntervalMs?: number;
  /** How often submit retries a network error or a 502/503/504, with the same Idempotency-Key; default 2. */
  submitRetries?: number;
  /** First delay between submit retries, doubling; default 500 ms. */
  retryDelayMs?: number;
}

export interface SubmitOptions {
  /** Defaults to a fresh random UUID per submit call, reused by that call's own retries. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Every state seen, in order: from the event stream, or from polling when the stream is unavailable. */
  onProgress?: (task: Task) => void;
  signal?: AbortSignal;
  /** Give up after this long with a WaitTimeoutError (the task itself goes on). */
  timeoutMs?: number;
}

export interface EventsOptions {
  signal?: AbortSignal;
  /** Resume after this event id: only newer states are sent (the terminal one always). */
  lastEventId?: string;
}

/** The stream could not be used (a proxy answered something else, or the body is not an event stream). */
export class StreamUnavailableError extends Error {
  override name = 'StreamUnavailableError';
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);
/** A stream that drops this many times in a row without delivering anything is given up for polling. */
const MAX_EMPTY_STREAMS = 3;
/** The wait before reconnecting a stream that delivered nothing (the server suggests 2 s with `retry:`). */
const RECONNECT_DELAY_MS = 1000;

/**
 * A typed client for the Settle API with no dependencies beyond the platform (fetch, ReadableStream, crypto): it
 * runs in Node 20+ and in browsers.
 */
export class SettleClient {
  private readonly connection: Connection;
  private readonly pollIntervalMs: number;

  constructor(private readonly options: SettleClientOptions = {}) {
    this.connection = connectionOf(options);
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
  }

  /** POST /api/v1/tasks. Retried on network errors with the same Idempotency-Key, so it never creates two tasks. */
  async submit(request: SubmitRequest, options: SubmitOptions = {}): Promise<Submitted> {
    const idempotencyKey = options.idempotencyKey ?? randomId();
    const retries = this.options.submitRetries ?? 2;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.json<Submitted>('POST', '/api/v1/tasks', { body: request, headers: { 'idempotency-key': idempotencyKey }, signal: options.signal });
      } catch (err) {
        if (attempt >= retries || !isTransient(err) || options.signal?.aborted) throw err;
        await sleep((this.options.retryDelayMs ?? 500) * 2 ** attempt, options.signal);
      }
    }
  }

  get(taskId: string, options: { signal?: AbortSignal } = {}): Promise<Task> {
    return this.json<Task>('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}`, options);
  }

  cancel(taskId: string): Promise<Canceled> {
    return this.json<Canceled>('POST', `/api/v1/tasks/${encodeURIComponent(taskId)}/cancel`, {});
  }

  credits(): Promise<Credits> {
    return this.json<Credits>('GET', '/api/v1/credits', {});
  }

  async models(): Promise<Model[]> {
    return (await this.json<{ models: Model[] }>('GET', '/api/v1/models', {})).models;
  }

  /** GET /api/v1/tasks/:taskId/events as typed events; ends after the terminal event or when the server closes. */
  async *events(taskId: string, options: EventsOptions = {}): AsyncGenerator<TaskEvent> {
    const res = await this.send('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}/events`, {
      headers: { accept: 'text/event-stream', ...(options.lastEventId && { 'last-event-id': options.lastEventId }) },
      signal: options.signal,
    });
    if (!res.ok) throw await errorFromResponse(res);
    if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await res.body?.cancel();
      throw new StreamUnavailableError(`The event stream answered ${res.headers.get('content-type') ?? 'no content type'}`);
    }
    for await (const event of readServerSentEvents(res.body)) {
      if (!isEventType(event.event)) continue;
      yield { id: event.id, type: event.event, task: JSON.parse(event.data) as Task };
    }
  }

  /**
   * Resolves with the completed task (its assetUrl is the result); rejects with TaskFailedError when it failed or
   * was canceled. Follows the event stream, resuming it with Last-Event-ID when it drops, and polls GET every
   * pollIntervalMs when the stream cannot be opened (blocked by a proxy, over the per-key stream cap).
   */
  async waitForCompletion(taskId: string, options: WaitOptions = {}): Promise<Task> {
    const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    let last: Task | undefined;
    const seen = (task: Task): Task | undefined => {
      last = task;
      options.onProgress?.(task);
      return TERMINAL.includes(task.status) ? task : undefined;
    };
    try {
      const final = (await this.followStream(taskId, seen, signal)) ?? (await this.poll(taskId, seen, signal));
      if (final.status !== 'completed') throw new TaskFailedError(final);
      return final;
    } catch (err) {
      if (timeout?.aborted && !options.signal?.aborted) throw new WaitTimeoutError(taskId, last);
      throw err;
    }
  }

  /** The terminal task from the event stream, or undefined when the stream is not usable. */
  private async followStream(taskId: string, seen: (task: Task) => Task | undefined, signal?: AbortSignal): Promise<Task | undefined> {
    let lastEventId: string | undefined;
    for (let empty = 0; empty < MAX_EMPTY_STREAMS; ) {
      let delivered = false;
      try {
        for await (const event of this.events(taskId, { signal, lastEventId })) {
          delivered = true;
          lastEventId = event.id || lastEventId;
          const final = seen(event.task);
          if (final) return final;
        }
      } catch (err) {
        if (signal?.aborted) throw err;
        // A stream that never opened is blocked or over the cap: poll. One that worked before is tried again, as a
        // dropped connection is often a blip or a server restart.
        if (!delivered && lastEventId === undefined) return undefined;
      }
      if (delivered) empty = 0;
      else if (++empty < MAX_EMPTY_STREAMS) await sleep(RECONNECT_DELAY_MS, signal);
    }
    return undefined;
  }

  private async poll(taskId: string, seen: (task: Task) => Task | undefined, signal?: AbortSignal): Promise<Task> {
    for (;;) {
      try {
        const final = seen(await this.get(taskId, { signal }));
        if (final) return final;
      } catch (err) {
        if (signal?.aborted || !isTransient(err)) throw err;
      }
      await sleep(this.pollIntervalMs, signal);
    }
  }

  private async json<T>(method: string, path: string, o: RequestOptions): Promise<T> {
    return (await sendJson<T>(this.connection, method, path, o)).body;
  }

  private send(method: string, path: string, o: RequestOptions): Promise<Response> {
    return send(this.connection, method, path, o);
  }
}

/** The connection of a client's options: the base URL without trailing slashes, the platform's fetch by default. */
export function connectionOf(options: Pick<SettleClientOptions, 'baseUrl' | 'apiKey' | 'headers' | 'credentials' | 'fetch'>): Connection {
  return {
    baseUrl: (options.baseUrl ?? '').replace(/\/+$/, ''),
    apiKey: options.apiKey,
    headers: options.headers,
    credentials: options.credentials,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
  };
}

const isEventType = (name: string): name is TaskEvent['type'] => name === 'progress' || TERMINAL.includes(name as Task['status']);

/** A network failure (fetch rejects with a TypeError) or a gateway/overload answer: worth the same request again. */
function isTransient(err: unknown): boolean {
  if (err instanceof SettleApiError) return RETRYABLE_STATUS.has(err.status);
  return err instanceof TypeError;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
    };
    const aborted = () => {
      done();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/** crypto.randomUUID where the platform offers it (Node, secure browser contexts), else the same from getRandomValues. */
function randomId(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
