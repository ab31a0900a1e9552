export type TaskType = 'video' | 'image';
export type TaskStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'canceled';
export const TERMINAL: readonly TaskStatus[] = ['completed', 'failed', 'canceled'];

/** A task as GET /api/v1/tasks/:taskId and the event stream report it. */
export interface Task {
  taskId: string;
  type: TaskType;
  model: string;
  status: TaskStatus;
  /** 0..100 */
  progress: number;
  assetUrl?: string;
  assetUrls?: string[];
  error?: { code: string; message: string };
  creditsHeld: number;
  creditsCharged: number;
  creditsRefunded: number;
  /** When an admin refunded the charge of this completed task (creditsRefunded then equals creditsCharged). */
  refundedAt?: string;
  lateResult?: boolean;
  /** When `settle prune` removed this old task's input and files: a completed task then has no assetUrl. */
  prunedAt?: string;
  createdAt: string;
  completedAt?: string;
}

export interface SubmitRequest {
  type: TaskType;
  model: string;
  input: { prompt: string; [key: string]: unknown };
}

export interface Submitted {
  taskId: string;
  status: TaskStatus;
  creditsHeld: number;
}

export interface Canceled {
  taskId: string;
  status: TaskStatus;
  creditsRefunded: number;
}

export interface Credits {
  balance: number;
  frozen: number;
  available: number;
}

/** A price that depends on the input: it applies when every `when` field of the input has the value given. */
export interface PriceRule {
  when?: Record<string, string | number | boolean>;
  credits: number;
}

export interface Model {
  id: string;
  type: TaskType;
  /** Credits held at submit, charged on completion: flat, or rules where the first match wins (see priceFor). */
  price: number | PriceRule[];
  /** A JSON Schema for the task's input (its prompt and the model's own fields); a failing input is a 400. */
  input?: Record<string, unknown>;
  timeoutMs: number;
}

/** One event of GET /api/v1/tasks/:taskId/events. */
export interface TaskEvent {
  /** The event id (Last-Event-ID); it grows as the task moves on. */
  id: string;
  type: 'progress' | 'completed' | 'failed' | 'canceled';
  task: Task;
}
