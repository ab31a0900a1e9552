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
export type ProviderStatus = (
  | { state: 'running'; progress?: number; notFound?: boolean }
  | { state: 'success'; resultUrls: string[]; completedAt?: Date }
  | { state: 'fail'; code?: string; message: string; transient: boolean; completedAt?: Date }
  | { state: 'aborted'; message: string }
) & {
  /**
   * Our task id as the provider's own record of the task names it (KIE echoes the request's callBackUrl, Replicate
   * the webhook URL, both carrying `?task=<id>`): the proof that a provider task belongs to a Settle task, which a
   * callback alone cannot give. Absent when the record does not say.
   */
  settleTaskId?: string;
};

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

export interface DownloadOptions {
  /** Aborting it stops the transfer (the body errors): a holder that lost its lease must not finish a download. */
  signal?: AbortSignal;
}

/** The operator's account at the provider, as far as the provider tells. */
export interface ProviderAccount {
  /** Credits left (KIE: GET /api/v1/chat/credit); absent where the provider does not count credits. */
  credits?: number;
  /** The account's name (Replicate: GET /v1/account). */
  name?: string;
}

export interface Provider {
  readonly name: string;
  submit(request: SubmitRequest): Promise<SubmitResult>;
  status(providerTaskId: string): Promise<ProviderStatus>;
  /** Parses a callback body; throws ProviderError('permanent') when it is not a callback this provider sends. */
  parseCallback(body: unknown, query: Record<string, string | undefined>): CallbackEvent;
  /** Streams a result file; refuses (ProviderError 'result_refused') a URL that is not allowed or a file too large. */
  download(url: string, options?: DownloadOptions): Promise<Download>;
  /** Asks the provider to stop a task (Replicate can; KIE cannot, and has no cancel). */
  cancel?(providerTaskId: string): Promise<void>;
  /** The operator's account (remaining credits), where the provider says. */
  account?(): Promise<ProviderAccount>;
}

/** What kind of call a provider call is (metrics, rate limits and health watch them). */
export type ProviderOperation = 'submit' | 'status' | 'download' | 'cancel' | 'account';

export type ProviderErrorKind = 'transient' | 'permanent';

export interface ProviderErrorFacts {
  /** How long the provider asks us to wait (Retry-After), bounded by MAX_RETRY_AFTER_MS. */
  retryAfterMs?: number;
  /**
   * The request may have reached the provider and created a task although no answer says so (a timeout, a
   * connection lost after the request was sent, a success without an id): a createTask failing so is in doubt.
   */
  inDoubt?: boolean;
  /** The operator's provider account is the problem (out of credits, key quota, rate limit), not the user's task. */
  account?: boolean;
}

/** The longest wait a provider's Retry-After may impose on us. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Transient: network errors, timeouts, 5xx, rate limits, maintenance and the operator's account (KIE 402, 433, 429,
 * 455); retrying later may succeed. Permanent: invalid input (422 on create), a disabled feature (KIE 505), a failed
 * generation (501), a refused result; retrying the same request will not help.
 */
export class ProviderError extends Error {
  readonly retryAfterMs?: number;
  readonly inDoubt: boolean;
  readonly account: boolean;

  constructor(
    readonly kind: ProviderErrorKind,
    /** The provider's code (HTTP-like number as a string, e.g. "429"), or "network" / "timeout" / "result_refused". */
    readonly code: string,
    message: string,
    facts: ProviderErrorFacts = {},
  ) {
    super(message);
    this.name = 'ProviderError';
    this.retryAfterMs = facts.retryAfterMs === undefined ? undefined : Math.min(facts.retryAfterMs, MAX_RETRY_AFTER_MS);
    this.inDoubt = facts.inDoubt ?? false;
    this.account = facts.account ?? false;
  }
}
