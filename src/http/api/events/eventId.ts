import type { TaskStatus } from '../../../tasks/index.js';

const STAGE: Record<TaskStatus, number> = { pending: 0, processing: 1, completed: 2, failed: 2, canceled: 2 };
/** The id of the terminal event (completed, failed or canceled): the largest a task's events reach. */
const TERMINAL_EVENT_ID = 2100;

/**
 * An event's id encodes the state it reports: stage * 1000 + progress (pending 0-100, processing 1000-1100,
 * terminal 2100). It only grows as a task moves on, so `Last-Event-ID` says exactly what the client has already
 * seen and a resumed stream sends only newer states, with no event history stored anywhere.
 *
 * The one exception is a retry (resubmission to the provider), which takes a task back to pending and then to
 * processing at 0%: the stream stays silent until the new attempt passes the progress already sent, then goes on,
 * and the terminal event is always sent. Telling attempts apart would need the attempt count in the task view.
 */
export function eventIdOf(status: TaskStatus, progress: number): number {
  return STAGE[status] === 2 ? TERMINAL_EVENT_ID : STAGE[status] * 1000 + progress;
}

/**
 * What a client has seen, from its Last-Event-ID header: 'all' when the task has ended and the id is at or past
 * the terminal event's; otherwise the event id, or -1 for nothing (an id that no event carries is ignored).
 */
export function lastSeenEvent(header: unknown, taskEnded: boolean): number | 'all' {
  if (typeof header !== 'string' || !/^\d{1,9}$/.test(header)) return -1;
  const id = Number(header);
  if (id >= TERMINAL_EVENT_ID && taskEnded) return 'all';
  return id <= TERMINAL_EVENT_ID ? id : -1;
}
