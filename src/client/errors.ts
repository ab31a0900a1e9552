import type { Task } from './types.js';

/** An error answer of the Settle API: `{"error":{"code","message"}}` with its HTTP status. */
export class SettleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole answer body, for fields beyond code and message (a 422 carries the failed taskId). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends SettleApiError {}
export class UnauthorizedError extends SettleApiError {}
export class InsufficientCreditsError extends SettleApiError {}
export class ForbiddenError extends SettleApiError {}
export class NotFoundError extends SettleApiError {}
/** 409: an Idempotency-Key reused with another body, or a task that can no longer be canceled. */
export class ConflictError extends SettleApiError {}

export class ProviderRejectedError extends SettleApiError {
  /** The task that was created and then failed (and refunded). */
  get taskId(): string | undefined {
    const body = this.body as { taskId?: unknown } | undefined;
    return typeof body?.taskId === 'string' ? body.taskId : undefined;
  }
}

export class RateLimitedError extends SettleApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    body: unknown,
    /** Seconds to wait before trying again (the Retry-After header), when the server said. */
    readonly retryAfter: number | undefined,
  ) {
    super(status, code, message, body);
  }
}

export class ServiceUnavailableError extends SettleApiError {}

/** The task ended without a result: failed (credits refunded) or canceled. */
export class TaskFailedError extends Error {
  constructor(readonly task: Task) {
    super(task.error?.message ?? `The task was ${task.status}`);
    this.name = 'TaskFailedError';
  }
}

/** waitForCompletion's timeoutMs passed before the task ended. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly taskId: string,
    readonly lastSeen: Task | undefined,
  ) {
    super(`Task ${taskId} did not finish in time`);
    this.name = 'WaitTimeoutError';
  }
}

const BY_STATUS: Record<number, typeof SettleApiError> = {
  400: InvalidRequestError,
  401: UnauthorizedError,
  402: InsufficientCreditsError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  413: InvalidRequestError,
  415: InvalidRequestError,
  422: ProviderRejectedError,
  503: ServiceUnavailableError,
};

/** The typed error for a non-2xx answer. */
export async function errorFromResponse(res: Response): Promise<SettleApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status} ${res.statusText}`.trim();
  if (res.status === 429) return new RateLimitedError(429, code, message, body, retryAfterSeconds(res.headers.get('retry-after')));
  const ErrorClass = BY_STATUS[res.status] ?? SettleApiError;
  return new ErrorClass(res.status, code, message, body);
}

function retryAfterSeconds(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
