import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';
import { fetchFailure } from './failures.js';
import { openProviderStream, type ProviderStream } from './http.js';
import { ProviderError, type Download, type DownloadOptions } from './types.js';

/** What result downloads may fetch: DOWNLOAD_ALLOWED_HOSTS and MAX_RESULT_BYTES. */
export interface DownloadPolicy {
  /** `host` or `host:port` allowed although it resolves to a loopback, private or link-local address. */
  allowedHosts: readonly string[];
  maxBytes: number;
}

export interface StreamDownloadOptions extends DownloadOptions {
  /** Whole download, headers to last byte. */
  timeoutMs: number;
  policy: DownloadPolicy;
  /** A non-2xx answer, as the provider classifies it. */
  httpError(status: number, statusText: string): ProviderError;
  /** A fetch that failed before or during the body (network, timeout), as the provider words it. */
  fetchError(err: unknown): ProviderError;
}

const MAX_REDIRECTS = 3;

/**
 * A provider's `download`: result files fetched without the API key (they live on the provider's file CDN, and a key
 * must not travel to other hosts), under the download policy, errors worded as the provider's.
 */
export function resultDownloader(
  provider: string,
  options: { timeoutMs: number; policy?: DownloadPolicy; httpError(status: number, statusText: string): ProviderError },
): (url: string, downloadOptions?: DownloadOptions) => Promise<Download> {
  return (url, downloadOptions = {}) =>
    streamDownload(url, {
      ...downloadOptions,
      timeoutMs: options.timeoutMs,
      policy: options.policy ?? PUBLIC_DOWNLOADS,
      httpError: options.httpError,
      fetchError: (err) => fetchFailure('download', provider, err, options.timeoutMs),
    });
}

/** Public hosts only, at most 2 GiB: what MAX_RESULT_BYTES and an empty DOWNLOAD_ALLOWED_HOSTS give. */
export const PUBLIC_DOWNLOADS: DownloadPolicy = { allowedHosts: [], maxBytes: 2 * 1024 ** 3 };

const refused = (why: string) => new ProviderError('permanent', 'result_refused', `Result refused: ${why}`);

/**
 * Opens a result file as a stream: nothing is buffered beyond the stream's own high-water mark. No Authorization
 * header is sent: result URLs point at the provider's file CDN, and an API key must not travel to other hosts.
 *
 * A result URL is data from outside, so it is checked before anything is fetched: http(s) only; a host that
 * resolves to a loopback, private, link-local or otherwise non-public address is refused unless allowed by name,
 * and the check is made on the very address the connection uses (so a DNS answer cannot change between check and
 * connect); each redirect is checked the same way; a file larger than the policy's maxBytes is refused, whether it
 * says so in Content-Length or turns out so while streaming.
 */
export async function streamDownload(url: string, options: StreamDownloadOptions): Promise<Download> {
  let target = url;
  for (let hop = 0; ; hop++) {
    const allowed = checkTarget(target, options.policy);
    const response = await open(target, options, allowed);
    const location = response.header('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body.dump().catch(() => undefined);
      if (hop === MAX_REDIRECTS) throw refused(`more than ${MAX_REDIRECTS} redirects`);
      target = new URL(location, target).toString();
      continue;
    }
    return answer(response, options);
  }
}

async function open(url: string, options: StreamDownloadOptions, allowedByName: boolean): Promise<ProviderStream> {
  try {
    return await openProviderStream(url, options.timeoutMs, {
      dispatcher: allowedByName ? undefined : publicOnly,
      signal: options.signal,
      maxBytes: options.policy.maxBytes,
      tooLarge: () => refused(`more than MAX_RESULT_BYTES (${options.policy.maxBytes}) bytes`),
      // A transfer cut off mid-body (timeout, reset) is a transient ProviderError; one past maxBytes is refused.
      bodyError: (err) => (err instanceof ProviderError ? err : options.fetchError(err)),
    });
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    if ((err as { code?: string }).code === 'ERR_RESULT_REFUSED') throw refused((err as Error).message);
    throw options.fetchError(err);
  }
}

async function answer(response: ProviderStream, options: StreamDownloadOptions): Promise<Download> {
  if (!response.ok) {
    await response.body.dump().catch(() => undefined);
    throw options.httpError(response.status, response.statusText);
  }
  const declared = contentLength(response.header('content-length'));
  if (declared !== undefined && declared > options.policy.maxBytes) {
    // undici's body errors when destroyed unread (RequestAbortedError); nobody else listens to it now.
    response.body.on('error', () => undefined).destroy();
    throw refused(`${declared} bytes is more than MAX_RESULT_BYTES (${options.policy.maxBytes})`);
  }
  return {
    body: response.body,
    contentType: response.header('content-type') ?? undefined,
    contentLength: declared,
  };
}

/** Whether the URL may be fetched at all, and whether its host is allowed by name (then any address will do). */
function checkTarget(url: string, policy: DownloadPolicy): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refused('not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw refused(`${parsed.protocol} URLs are not downloaded`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  if (policy.allowedHosts.some((allowed) => [host, `${host}:${port}`].includes(allowed.toLowerCase()))) return true;
  if (isIP(host) && !isPublic(host)) throw refused(`${host} is not a public address`);
  return false;
}

function isPublic(address: string): boolean {
  return ipaddr.process(address).range() === 'unicast';
}

/** Resolves as usual, then refuses the connection when any address it would use is not public. */
function publicLookup(
  hostname: string,
  options: { all?: boolean; family?: number },
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const blocked = addresses.find((a) => !isPublic(a.address));
    if (blocked) {
      const error: NodeJS.ErrnoException = new Error(`${hostname} resolves to ${blocked.address}, which is not a public address`);
      error.code = 'ERR_RESULT_REFUSED';
      return callback(error, []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

const publicOnly = new Agent({ connect: { lookup: publicLookup as never } });

function contentLength(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}
