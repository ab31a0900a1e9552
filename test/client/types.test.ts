import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Task, TaskStatus, TaskType } from '../../src/client/index.js';
import { TERMINAL } from '../../src/client/types.js';
import { TERMINAL_STATUSES, type TaskStatus as ServerTaskStatus, type TaskView } from '../../src/tasks/index.js';

/**
 * settle/client keeps its own copy of the task's shape, because a client must not import server code. This file
 * keeps the copy true: `npx tsc -p tsconfig.json --noEmit` fails on it as soon as a field is added, dropped,
 * renamed, retyped or made optional on one side only.
 */
describe('settle/client types mirror the server', () => {
  it('the task view, its status and its type are the same types on both sides', () => {
    expectTypeOf<Task>().toEqualTypeOf<TaskView>();
    expectTypeOf<TaskStatus>().toEqualTypeOf<ServerTaskStatus>();
    expectTypeOf<TaskType>().toEqualTypeOf<TaskView['type']>();
  });

  it('the terminal statuses are the same list', () => {
    expect([...TERMINAL].sort()).toEqual([...TERMINAL_STATUSES].sort());
  });
});
