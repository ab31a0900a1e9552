import type { Db, Queryable } from '../db/index.js';
import type { Logger } from '../log/index.js';
import type { Catalog, DispatchSlots, Provider, ProviderHealth } from '../providers/index.js';
import type { AssetStore } from '../storage/index.js';

export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'canceled';
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'canceled'];

/** Who moved a task: metrics, run history and the "recovered" e-mail rule key off this. */
export type SettlementPath = 'submit' | 'poll' | 'webhook' | 'worker' | 'reconciler' | 'cleanup' | 'admin' | 'owner';

/** A tasks row as the database returns it. */
export interface TaskRow {
  id: string;
  user_id: string;
  type: 'video' | 'image';
  model: string;
  provider: string;
  input: Record<string, unknown>;
  status: TaskStatus;
  progress: number;
  price: number;
  provider_task_id: string | null;
  attempts: number;
  max_attempts: number;
  timeout_ms: number;
  idempotency_key: string | null;
  request_hash: string | null;
  error_code: string | null;
  error_message: string | null;
  asset_keys: string[];
  /** Keys an ingest has begun storing files under; those its completion did not link are left over (migration 0021). */
  ingest_keys: string[];
  late_result: boolean;
  settled_by: SettlementPath | null;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  next_check_at: Date | null;
  check_count: number;
  last_checked_at: Date | null;
  provider_errors: number;
  dispatched_at: Date | null;
  processing_started_at: Date | null;
  deadline_at: Date | null;
  provider_completed_at: Date | null;
  completed_at: Date | null;
  /** When the last createTask left, while no answer has confirmed it (cleared on acceptance or a clean refusal). */
  dispatch_started_at: Date | null;
  /** The API key that submitted the task: the user's own, or an admin key acting for the user (Settle-User). */
  submitted_by_key: string | null;
  /** Set when an admin gave a completed task's charge back (the ledger holds the refund entry). */
  refunded_at: Date | null;
  refund_reason: string | null;
  /** Set when `settle prune` emptied the input and removed the files of this old finished task. */
  pruned_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A claimed task: the row plus the lease token that fences every write made on its behalf. */
export interface ClaimedTask {
  task: TaskRow;
  lease: string;
}

export interface SettledTask {
  task: TaskRow;
  path: SettlementPath;
}

/**
 * Runs inside the transaction that settles tasks (completed, failed or canceled; one, or a batch of completions),
 * so whatever it writes (outbox entries) commits or rolls back with the settlement.
 */
export type SettlementHook = (tx: Queryable, settled: readonly SettledTask[]) => Promise<void>;

export interface TaskDeps {
  db: Db;
  catalog: Catalog;
  providers: { get(name: string): Provider };
  /** The operator's provider accounts as this process last found them. */
  providerHealth: ProviderHealth;
  store: AssetStore;
  logger: Logger;
  /** Base of callback URLs; undefined sends no callback URL (webhooks off). */
  callbackBaseUrl?: string;
  pollMinMs: number;
  pollMaxMs: number;
  leaseMs: number;
  /** New provider tasks allowed now (PROVIDER_RATE_LIMIT); a dispatch without a slot stays pending until one frees. */
  dispatchSlots: DispatchSlots;
  /** USER_MAX_ACTIVE_TASKS: a user's tasks at the provider at most (0: no cap). */
  userMaxActiveTasks: number;
  /** DISPATCH_DOUBT_MS: how long a createTask whose answer was lost keeps its task from being sent again. */
  dispatchDoubtMs: number;
  /** SUBMIT_WAIT_MS: how long a submission waits for the createTask answer before answering pending. */
  submitWaitMs: number;
  /** PENDING_DEADLINE_MS: a task not accepted this long after submission is failed and refunded. */
  pendingDeadlineMs: number;
  /** Identifies this process in lease tokens, for operators reading the tasks table. */
  instanceId: string;
  onSettled?: SettlementHook;
  /** Runs inside the transaction that refunds a completed task's charge (task.refunded notifications). */
  onRefunded?: RefundHook;
}

/** Runs inside the transaction that refunds a completed task, so what it writes commits with the refund. */
export type RefundHook = (tx: Queryable, task: TaskRow) => Promise<void>;

export class TaskInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskInputError';
  }
}

export class IdempotencyConflictError extends Error {
  constructor(readonly taskId: string) {
    super('This Idempotency-Key was already used with a different request body');
    this.name = 'IdempotencyConflictError';
  }
}

/** Only a completed task (charged, not yet refunded) has a charge to give back. */
export class NotRefundableError extends Error {
  constructor(readonly taskId: string, readonly status: TaskStatus) {
    super(`The task is ${status}: only a completed task's charge can be refunded`);
    this.name = 'NotRefundableError';
  }
}

export class ProviderRejectedError extends Error {
  constructor(readonly taskId: string, message: string) {
    super(message);
    this.name = 'ProviderRejectedError';
  }
}
