import { describe, expect, it } from 'vitest';
import {
  checkProviderInvariants,
  extraProviderTasks,
  lateSettlements,
  servedUndelivered,
  type ProviderInput,
} from '../../chaos/provider-invariants.js';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const accepted = (...ats: number[]) => ats.map((at, i) => ({ providerTaskId: `p${i}-${at}`, at }));
const bound = { graceMs: 10_000, leaseMs: 30_000, kills: [] as number[], now: 1_000_000 };

/** What a clean hostile run counts: every figure the checks turn into a violation at 0. */
const clean = (): ProviderInput => ({
  log: { settleTasks: { [T1]: accepted(1000), [T2]: accepted(1000, 15_000) } },
  tasks: [
    { id: T1, status: 'completed', attempts: 1, deadlineAt: 50_000, settledAt: 20_000 },
    { id: T2, status: 'failed', attempts: 2, deadlineAt: 50_000, settledAt: 58_000 },
  ],
  probes: [{ key: `assets/ab/${T1}-0-x.mp4`, taskId: T1, status: 200, taskStatus: 'completed', lateResult: false }],
  unansweredProbes: 0,
  bound,
  frozen: 0,
  unlinkedFiles: 0,
});

describe('the hostile chaos run\'s invariants, on counted data', () => {
  it('pass a clean run: one provider task per attempt, nothing served early, settled in time, nothing frozen', () => {
    const verdict = checkProviderInvariants(clean());
    expect(verdict.violations).toEqual([]);
    expect(verdict.figures['invariant: provider tasks beyond one per attempt']).toBe(0);
    expect(verdict.figures['provider tasks created (at the simulator)']).toBe(3);
  });

  it('find a second provider task made for one attempt, and one for a task Settle does not have', () => {
    const found = extraProviderTasks({ [T1]: accepted(1000, 1200), [T2]: accepted(5) }, [{ id: T1, attempts: 1 }]);
    expect(found).toEqual([`task ${T1} has 2 provider tasks for 1 attempt(s)`, `the provider created 1 task(s) for ${T2}, which Settle does not have`]);
  });

  it('find a file served while its task was processing or refunded, and let a late result through', () => {
    const probe = { key: `assets/ab/${T1}-0-x.mp4`, taskId: T1, lateResult: false };
    const found = servedUndelivered([
      { ...probe, status: 200, taskStatus: 'processing' },
      { ...probe, status: 200, taskStatus: 'failed' },
      { ...probe, status: 404, taskStatus: 'canceled' },
      { ...probe, status: 200, taskStatus: 'failed', lateResult: true },
    ]);
    expect(found).toEqual([
      `/assets/ab/${T1}-0-x.mp4 was served while its task ${T1} was processing`,
      `/assets/ab/${T1}-0-x.mp4 was served while its task ${T1} was failed`,
    ]);
  });

  it('find a task settled, or still live, past its deadline plus the grace; a SIGKILL around the deadline adds a lease', () => {
    const late = { id: T1, status: 'failed', deadlineAt: 50_000, settledAt: 75_000 };
    expect(lateSettlements([late], bound).violations).toEqual([`task ${T1} was failed only 25 s after its deadline (allowed 10 s)`]);
    expect(lateSettlements([late], { ...bound, kills: [45_000] }).violations).toEqual([]);
    const live = { id: T2, status: 'pending', deadlineAt: 50_000, settledAt: null };
    expect(lateSettlements([live], bound).violations).toEqual([`task ${T2} was still pending 950 s after its deadline (allowed 10 s)`]);
  });

  it('name each broken invariant in the verdict, and count it', () => {
    const input = clean();
    const verdict = checkProviderInvariants({
      ...input,
      log: { settleTasks: { ...input.log.settleTasks, [T1]: accepted(1000, 2000) } },
      probes: [{ ...input.probes[0]!, taskStatus: 'canceled' }],
      tasks: [input.tasks[0]!, { ...input.tasks[1]!, settledAt: null, status: 'processing' }],
      frozen: 7,
    });
    expect(verdict.violations.map((v) => v.split(':')[0])).toEqual([
      'one provider task per attempt',
      'no file served for a task that is not completed',
      'terminal by the deadline plus one cleanup tick',
      'frozen 0 at the end',
    ]);
    expect(verdict.figures).toMatchObject({
      'invariant: provider tasks beyond one per attempt': 1,
      'invariant: files served for a task not completed': 1,
      'invariant: tasks settled past deadline + cleanup tick': 1,
    });
  });
});
