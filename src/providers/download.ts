import { PassThrough, type Readable } from 'node:stream';
import { openProviderStream, type ProviderStream } from './http.js';
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
  let response: ProviderStream;
  try {
    response = await openProviderStream(url, options.timeoutMs);
  } catch (err) {
    throw options.fetchError(err);
  }
  if (!response.ok) {
    await response.body.dump().catch(() => undefined);
    throw options.httpError(response.status, response.statusText);
  }
  return {
    body: withProviderErrors(response.body, options.fetchError),
    contentType: response.header('content-type') ?? undefined,
    contentLength: contentLength(response.header('content-length')),
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
