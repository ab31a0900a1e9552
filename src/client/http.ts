import { errorFromResponse } from './errors.js';

/** Where and as whom a client talks to Settle. */
export interface Connection {
  /** No trailing slash; "" is this page's own origin. */
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  credentials?: RequestCredentials;
  fetch: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** One request: the key as a bearer token, a JSON body when there is one. */
export function send(c: Connection, method: string, path: string, o: RequestOptions): Promise<Response> {
  return c.fetch(c.baseUrl + path, {
    method,
    headers: {
      ...(c.apiKey && { authorization: `Bearer ${c.apiKey}` }),
      ...(o.body !== undefined && { 'content-type': 'application/json' }),
      ...c.headers,
      ...o.headers,
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    credentials: c.credentials ?? 'same-origin',
    signal: o.signal,
  });
}

/** The answer's JSON and status; a non-2xx answer throws its typed SettleApiError. */
export async function sendJson<T>(c: Connection, method: string, path: string, o: RequestOptions = {}): Promise<{ status: number; body: T }> {
  const res = await send(c, method, path, o);
  if (!res.ok) throw await errorFromResponse(res);
  return { status: res.status, body: (await res.json()) as T };
}
