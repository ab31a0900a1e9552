import { describe, expect, it } from 'vitest';
import type { ProviderStatus } from '../../src/providers/index.js';
import { decideCheck, decideDispatch, type TaskRow } from '../../src/tasks/index.js';

const NOW = new Date('2026-12-02T12:00:00Z');
const at = (offsetMs: number): Date => new Date(NOW.getTime() + offsetMs);

function task(fields: Partial<TaskRow>): TaskRow {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    user_id: '00000000-0000-4000-8000-000000000002',
    type: 'video',
    model: 'sora-2-text-to-video',
    provider: 'kie',
    input: { prompt: 'a fox' },
    status: 'processing',
    progress: 0,
    price: 30,
    provider_task_id: 'kie-1',
    attempts: 1,
    max_attempts: 2,
    timeout_ms: 600_000,
    idempotency_key: null,
    request_hash: null,
    error_code: null,
    error_message: null,
    asset_keys: [],
    ingest_keys: [],
    late_result: false,
    settled_by: null,
    lease_owner: null,
    lease_expires_at: null,
    next_check_at: null,
    check_count: 0,
    last_checked_at: null,
    provider_errors: 0,
    dispatched_at: at(-60_000),
    processing_started_at: at(-60_000),
    deadline_at: null,
    provider_completed_at: null,
    completed_at: null,
    dispatch_started_at: null,
    submitted_by_key: null,
    refunded_at: null,
    refund_reason: null,
    pruned_at: null,
    created_at: at(-60_000),
    updated_at: at(-60_000),
    ...fields,
  };
}

const STATES: Record<string, ProviderStatus> = {
  success: { state: 'success', resultUrls: ['https://cdn.example/v.mp4'] },
  'fail transient': { state: 'fail', message: 'busy', transient: true },
  'fail permanent': { state: 'fail', message: 'content policy', transient: false },
  aborted: { state: 'aborted', message: 'cancelled' },
  running: { state: 'running', progress: 40 },
  'running, not found': { state: 'running', notFound: true },
};
const ATTEMPTS = { 'attempts left': { attempts: 1, max_attempts: 2 }, 'last attempt': { attempts: 2, max_attempts: 2 } };
const DEADLINES = { 'no deadline': null, 'before deadline': at(60_000), 'past deadline': at(-1) };

type State = keyof typeof STATES;
type Attempts = keyof typeof ATTEMPTS;
type Deadline = keyof typeof DEADLINES;

/** Every provider state × attempts × deadline, with the action and error code it must lead to. */
const CHECK_TABLE: [State, Attempts, Deadline, string][] = [
  ['success', 'attempts left', 'no deadline', 'complete'],
  ['success', 'attempts left', 'before deadline', 'complete'],
  ['success', 'attempts left', 'past deadline', 'complete'],
  ['success', 'last attempt', 'no deadline', 'complete'],
  ['success', 'last attempt', 'before deadline', 'complete'],
  ['success', 'last attempt', 'past deadline', 'complete'],
  ['fail transient', 'attempts left', 'no deadline', 'retry provider_failed'],
  ['fail transient', 'attempts left', 'before deadline', 'retry provider_failed'],
  ['fail transient', 'attempts left', 'past deadline', 'retry provider_failed'],
  ['fail transient', 'last attempt', 'no deadline', 'fail provider_failed'],
  ['fail transient', 'last attempt', 'before deadline', 'fail provider_failed'],
  ['fail transient', 'last attempt', 'past deadline', 'fail provider_failed'],
  ['fail permanent', 'attempts left', 'no deadline', 'fail provider_failed'],
  ['fail permanent', 'attempts left', 'before deadline', 'fail provider_failed'],
  ['fail permanent', 'attempts left', 'past deadline', 'fail provider_failed'],
  ['fail permanent', 'last attempt', 'no deadline', 'fail provider_failed'],
  ['fail permanent', 'last attempt', 'before deadline', 'fail provider_failed'],
  ['fail permanent', 'last attempt', 'past deadline', 'fail provider_failed'],
  ['aborted', 'attempts left', 'no deadline', 'fail provider_aborted'],
  ['aborted', 'attempts left', 'before deadline', 'fail provider_aborted'],
  ['aborted', 'attempts left', 'past deadline', 'fail provider_aborted'],
  ['aborted', 'last attempt', 'no deadline', 'fail provider_aborted'],
  ['aborted', 'last attempt', 'before deadline', 'fail provider_aborted'],
  ['aborted', 'last attempt', 'past deadline', 'fail provider_aborted'],
  ['running', 'attempts left', 'no deadline', 'wait'],
  ['running', 'attempts left', 'before deadline', 'wait'],
  ['running', 'attempts left', 'past deadline', 'retry timeout'],
  ['running', 'last attempt', 'no deadline', 'wait'],
  ['running', 'last attempt', 'before deadline', 'wait'],
  ['running', 'last attempt', 'past deadline', 'fail timeout'],
  ['running, not found', 'attempts left', 'no deadline', 'wait'],
  ['running, not found', 'attempts left', 'before deadline', 'wait'],
  ['running, not found', 'attempts left', 'past deadline', 'retry timeout'],
  ['running, not found', 'last attempt', 'no deadline', 'wait'],
  ['running, not found', 'last attempt', 'before deadline', 'wait'],
  ['running, not found', 'last attempt', 'past deadline', 'fail timeout'],
];

describe('decideCheck: what a processing task becomes, given its provider', () => {
  it('the table covers every state × attempts × deadline once', () => {
    const keys = new Set(CHECK_TABLE.map(([s, a, d]) => `${s}|${a}|${d}`));
    expect(keys.size).toBe(CHECK_TABLE.length);
    expect(keys.size).toBe(Object.keys(STATES).length * Object.keys(ATTEMPTS).length * Object.keys(DEADLINES).length);
  });

  it.each(CHECK_TABLE)('%s, %s, %s → %s', (state, attempts, deadline, expected) => {
    const decision = decideCheck(task({ ...ATTEMPTS[attempts], deadline_at: DEADLINES[deadline] }), STATES[state]!, NOW);
    const code = 'code' in decision ? ` ${decision.code}` : '';
    expect(`${decision.action}${code}`).toBe(expected);
  });

  it('carries what the provider said: the result URLs and finish time, the message, the progress', () => {
    const finishedAt = at(-5_000);
    expect(decideCheck(task({}), { state: 'success', resultUrls: ['u1', 'u2'], completedAt: finishedAt }, NOW)).toEqual({ action: 'complete', resultUrls: ['u1', 'u2'], completedAt: finishedAt });
    expect(decideCheck(task({}), STATES.success!, NOW)).toMatchObject({ completedAt: NOW });
    expect(decideCheck(task({}), STATES['fail permanent']!, NOW)).toMatchObject({ message: 'content policy' });
    expect(decideCheck(task({}), STATES.running!, NOW)).toEqual({ action: 'wait', progress: 40 });
    expect(decideCheck(task({ deadline_at: at(-1), timeout_ms: 600_000 }), STATES.running!, NOW)).toMatchObject({ message: 'No result within 600 s' });
  });

  it('the deadline is exclusive: at the deadline to the millisecond the task still waits', () => {
    expect(decideCheck(task({ deadline_at: NOW }), STATES.running!, NOW).action).toBe('wait');
  });
});

const DOUBT_MS = 600_000;
const STATUSES = { pending: 'pending', 'processing (a retry)': 'processing' } as const;
const DOUBTS = { 'never sent': null, 'sent, answer lost 1 min ago': at(-60_000), 'sent, answer lost 11 min ago': at(-660_000) };

/** Every status × deadline × doubt × attempts, with the decision it must lead to. */
const DISPATCH_TABLE: [keyof typeof STATUSES, Deadline, keyof typeof DOUBTS, Attempts, string][] = [];
const DISPATCH_EXPECTED: Record<string, string> = {
  'pending|no deadline|never sent|attempts left': 'send',
  'pending|no deadline|never sent|last attempt': 'fail attempts_exhausted',
  'pending|no deadline|sent, answer lost 1 min ago|attempts left': 'wait 540000',
  'pending|no deadline|sent, answer lost 1 min ago|last attempt': 'wait 540000',
  'pending|no deadline|sent, answer lost 11 min ago|attempts left': 'send',
  'pending|no deadline|sent, answer lost 11 min ago|last attempt': 'fail attempts_exhausted',
  'pending|before deadline|never sent|attempts left': 'send',
  'pending|before deadline|never sent|last attempt': 'fail attempts_exhausted',
  'pending|before deadline|sent, answer lost 1 min ago|attempts left': 'wait 540000',
  'pending|before deadline|sent, answer lost 1 min ago|last attempt': 'wait 540000',
  'pending|before deadline|sent, answer lost 11 min ago|attempts left': 'send',
  'pending|before deadline|sent, answer lost 11 min ago|last attempt': 'fail attempts_exhausted',
  'pending|past deadline|never sent|attempts left': 'fail dispatch_timeout',
  'pending|past deadline|never sent|last attempt': 'fail dispatch_timeout',
  'pending|past deadline|sent, answer lost 1 min ago|attempts left': 'fail dispatch_timeout',
  'pending|past deadline|sent, answer lost 1 min ago|last attempt': 'fail dispatch_timeout',
  'pending|past deadline|sent, answer lost 11 min ago|attempts left': 'fail dispatch_timeout',
  'pending|past deadline|sent, answer lost 11 min ago|last attempt': 'fail dispatch_timeout',
  'processing (a retry)|no deadline|never sent|attempts left': 'send',
  'processing (a retry)|no deadline|never sent|last attempt': 'fail attempts_exhausted',
  'processing (a retry)|no deadline|sent, answer lost 1 min ago|attempts left': 'wait 540000',
  'processing (a retry)|no deadline|sent, answer lost 1 min ago|last attempt': 'wait 540000',
  'processing (a retry)|no deadline|sent, answer lost 11 min ago|attempts left': 'send',
  'processing (a retry)|no deadline|sent, answer lost 11 min ago|last attempt': 'fail attempts_exhausted',
  'processing (a retry)|before deadline|never sent|attempts left': 'send',
  'processing (a retry)|before deadline|never sent|last attempt': 'fail attempts_exhausted',
  'processing (a retry)|before deadline|sent, answer lost 1 min ago|attempts left': 'wait 540000',
  'processing (a retry)|before deadline|sent, answer lost 1 min ago|last attempt': 'wait 540000',
  'processing (a retry)|before deadline|sent, answer lost 11 min ago|attempts left': 'send',
  'processing (a retry)|before deadline|sent, answer lost 11 min ago|last attempt': 'fail attempts_exhausted',
  'processing (a retry)|past deadline|never sent|attempts left': 'send',
  'processing (a retry)|past deadline|never sent|last attempt': 'fail attempts_exhausted',
  'processing (a retry)|past deadline|sent, answer lost 1 min ago|attempts left': 'wait 540000',
  'processing (a retry)|past deadline|sent, answer lost 1 min ago|last attempt': 'wait 540000',
  'processing (a retry)|past deadline|sent, answer lost 11 min ago|attempts left': 'send',
  'processing (a retry)|past deadline|sent, answer lost 11 min ago|last attempt': 'fail attempts_exhausted',
};
for (const status of Object.keys(STATUSES) as (keyof typeof STATUSES)[]) {
  for (const deadline of Object.keys(DEADLINES) as Deadline[]) {
    for (const doubt of Object.keys(DOUBTS) as (keyof typeof DOUBTS)[]) {
      for (const attempts of Object.keys(ATTEMPTS) as Attempts[]) DISPATCH_TABLE.push([status, deadline, doubt, attempts, DISPATCH_EXPECTED[`${status}|${deadline}|${doubt}|${attempts}`]!]);
    }
  }
}

describe('decideDispatch: whether a task may be sent to its provider now', () => {
  it('the table names an outcome for every combination', () => {
    expect(DISPATCH_TABLE.filter((row) => row[4] === undefined)).toEqual([]);
    expect(Object.keys(DISPATCH_EXPECTED)).toHaveLength(DISPATCH_TABLE.length);
  });

  it.each(DISPATCH_TABLE)('%s, %s, %s, %s → %s', (status, deadline, doubt, attempts, expected) => {
    const row = task({ status: STATUSES[status], deadline_at: DEADLINES[deadline], dispatch_started_at: DOUBTS[doubt], ...ATTEMPTS[attempts] });
    const decision = decideDispatch(row, DOUBT_MS, NOW);
    const detail = decision.action === 'wait' ? ` ${decision.waitMs}` : decision.action === 'fail' ? ` ${decision.code}` : '';
    expect(`${decision.action}${detail}`).toBe(expected);
  });
});
