import { describe, expect, expectTypeOf, it } from 'vitest';
import { priceFor, type PriceRule, type Task, type TaskStatus, type TaskType } from '../../src/client/index.js';
import { BUILT_IN_MODELS, priceOf, type PriceRule as ServerPriceRule } from '../../src/providers/index.js';
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

describe('settle/client prices as the server holds them', () => {
  it('the price rule is the same type on both sides', () => {
    expectTypeOf<PriceRule>().toEqualTypeOf<ServerPriceRule>();
  });

  it('priceFor agrees with the server for every built-in model and every combination of its enumerated inputs', () => {
    let checked = 0;
    for (const model of BUILT_IN_MODELS) {
      const properties = ((model.input?.properties ?? {}) as Record<string, { enum?: unknown[] }>);
      const choices = Object.entries(properties).filter(([, p]) => p.enum).map(([field, p]) => [field, [undefined, ...p.enum!]] as const);
      const inputs = choices.reduce<Record<string, unknown>[]>(
        (all, [field, values]) => all.flatMap((input) => values.map((v) => (v === undefined ? input : { ...input, [field]: v }))),
        [{ prompt: 'x' }],
      );
      for (const input of inputs) {
        expect(priceFor(model, input), `${model.id} ${JSON.stringify(input)}`).toBe(priceOf(model, input));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});
