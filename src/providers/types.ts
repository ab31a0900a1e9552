import type { Readable } from 'node:stream';

export type TaskType = 'video' | 'image';

export interface SubmitRequest {
  /** Our task id; providers that support it echo it in callbacks. */
  taskId: string;
  model: string;
  input: Record<string, unknown>;
  /** Where the provider should POST its completion callback, if webhooks are on. */
  callbackUrl?: string;
}

export interface SubmitResult {
  providerTaskId: string;
}

/**
 * What the provider says about one task, normalised:
 * - `running`: accepted and not finished (waiting, queuing, generating); `progress` is a percent (0..100);
 *   `notFound` when the provider has not indexed the task yet (KIE's "recordInfo is null"), which is not a failure;
 * - `success`: finished with at least one result URL;
 * - `fail`: finished without a result; `transient` says whether a resubmission may succeed;
 * - `aborted`: terminal, never charged (Replicate's aborted / canceled).
 */
export type ProviderStatus =
  | { state: 'running'; progress?: number; notFound?: boolean }
  | { state: 'success'; resultUrls: string[]; completedAt?: Date }
  | { state: 'fail'; code?: string; message: string; transient: boolean; completedAt?: Date }
  | { state: 'aborted'; message: string };

export interface CallbackEvent {
  /** Our task id, when the callback carried it (query string or body). */
  taskId?: string;
  providerTaskId: string;
  status: ProviderStatus;
}

export interface Download {
  body: Readable;
  contentType?: string;
  contentLength?: number;
}

export interface Provider {
  readonly name: string;
  submit(request: SubmitRequest): Promise<SubmitResult>;
  status(providerTaskId: string): Promise<ProviderStatus>;
  /** Parses a callback body; throws ProviderError('permanent') when it is not a callback this provider sends. */
  parseCallback(body: unknown, query: Record<string, string | undefined>): CallbackEvent;
  download(url: string): Promise<Download>;
}

export type ProviderErrorKind = 'transient' | 'permanent';

/**
 * Transient: network errors, timeouts, 5xx, 429 and KIE 455 (service unavailable); retrying later may succeed.
 * Permanent: 401, 402, 422 on create, 501 and other 4xx; retrying the same request will not help.
 */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    /** The provider's code (HTTP-like number as a string, e.g. "429"), or "network" / "timeout". */
    readonly code: string,
    message: string,
    /** For 429: how long the provider asks us to wait, when it says. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
