import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Download, ProviderError } from './types.js';

export interface DownloadOptions {
  /** Whole download, headers to last byte. */
  timeoutMs: number;
  /** A non-2xx answer, as the provider classifies it. */
  httpError(status: number, statusText: string): ProviderError;
  /** A fetch that failed before or during the body (network, timeout), as the provider words it. */
  fetchError(err: unknown): ProviderError;
}

/**
 * Opens a result file as a stream: nothing is buffered beyond the stream's own high-water mark. No Authorization
 * header is sent: result URLs point at the provider's file CDN, and an API key must not travel to other hosts.
 */
export async function streamDownload(url: string, options: DownloadOptions): Promise<Download> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (err) {
    throw options.fetchError(err);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw options.httpError(response.status, response.statusText);
  }
  const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  return {
    body: withProviderErrors(source, options.fetchError),
    contentType: response.headers.get('content-type') ?? undefined,
    contentLength: contentLength(response.headers.get('content-length')),
  };
}

/** A transfer cut off mid-body (timeout, reset) surfaces as a transient ProviderError, like one cut off before. */
function withProviderErrors(source: Readable, fetchError: (err: unknown) => ProviderError): Readable {
  const body = new PassThrough();
  source.on('error', (err) => body.destroy(fetchError(err)));
  body.on('close', () => source.destroy());
  return source.pipe(body);
}

function contentLength(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}
