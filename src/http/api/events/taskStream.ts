import type { FastifyReply, FastifyRequest } from 'fastify';
import { TERMINAL_STATUSES, type TaskView, type WatchedTask } from '../../../tasks/index.js';
import { eventIdOf } from './eventId.js';
import type { TaskWatcher } from './taskWatcher.js';

/** A task as loadTaskView returns it: the view plus its owner, which the stream leaves out. */
type OwnedView = TaskView & { userId: string };

export interface TaskStreamOptions {
  taskId: string;
  first: OwnedView;
  /** The newest event id the client has seen (Last-Event-ID), -1 for none. */
  lastEventId: number;
  watcher: TaskWatcher;
  load(): Promise<OwnedView | null>;
  heartbeatMs: number;
  /** The reconnection delay suggested to the client (`retry:`). */
  retryMs: number;
  /** Called exactly once, when the stream ends for any reason. */
  onEnd(): void;
}

export interface OpenStream {
  end(): void;
}

const isTerminal = (status: TaskView['status']): boolean => TERMINAL_STATUSES.includes(status);

/**
 * One text/event-stream response: the current state at once (unless the client has already seen it), then every
 * change the watcher reports, a `: ping` comment every heartbeatMs so proxies keep the connection, and the end after
 * the terminal event. The client going away ends it too, releasing the timer and the watch.
 */
export function openTaskStream(request: FastifyRequest, reply: FastifyReply, o: TaskStreamOptions): OpenStream {
  const raw = reply.raw;
  let lastId = o.lastEventId;
  let sent = { status: o.first.status, progress: o.first.progress };
  let loading = false;
  let ended = false;

  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  raw.write(`retry: ${o.retryMs}\n\n`);

  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    unwatch?.();
    if (!raw.writableEnded) raw.end();
    o.onEnd();
  };

  const send = ({ userId: _owner, ...view }: OwnedView) => {
    if (ended) return;
    sent = { status: view.status, progress: view.progress };
    const id = eventIdOf(view.status, view.progress);
    const terminal = isTerminal(view.status);
    if (terminal || id > lastId) {
      lastId = Math.max(lastId, id);
      raw.write(`id: ${id}\nevent: ${terminal ? view.status : 'progress'}\ndata: ${JSON.stringify(view)}\n\n`);
    }
    if (terminal) end();
  };

  const onRow = (row: WatchedTask | null) => {
    if (ended || loading) return;
    if (!row) return end();
    if (row.status === sent.status && row.progress === sent.progress) return;
    loading = true;
    o.load()
      .then((view) => (view ? send(view) : end()))
      .catch((err: unknown) => request.log.warn({ err, taskId: o.taskId }, 'task event stream could not load the task'))
      .finally(() => (loading = false));
  };

  const heartbeat = setInterval(() => raw.write(': ping\n\n'), o.heartbeatMs);
  let unwatch: (() => void) | undefined;
  // The response's 'close' (not the request's, which fires once a body is read) is the connection going away.
  raw.once('close', end);
  raw.on('error', end);
  // A client that hung up while the task was loading has already fired 'close': without this check its stream
  // would hold a slot of the per-key cap, a timer and a watch until the task ends.
  if (raw.destroyed) end();
  send(o.first);
  if (!ended) unwatch = o.watcher.watch(o.taskId, onRow);
  return { end };
}
