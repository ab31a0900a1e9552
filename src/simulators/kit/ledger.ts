/** One createTask (or create-prediction) call as the provider saw it. */
export interface CreateCall {
  at: number;
  /** Our task id, from the `task` query of the callback URL; null when the call named none. */
  settleTaskId: string | null;
  /** The provider task it created; null when it was refused. */
  providerTaskId: string | null;
  /** The answer's code: KIE's envelope code, Replicate's HTTP status. */
  code: number;
  /** `sent` at once, `delayed` (createDelayMs), or `withheld` (createHangRate: never sent). */
  answer: 'sent' | 'delayed' | 'withheld';
}

export interface Acceptance {
  providerTaskId: string;
  at: number;
}

/** What the simulator counted for the invariants of a chaos run or a test. */
export interface SimLog {
  /** The latest createTask calls, oldest first; at most CALL_LOG_LIMIT of them. */
  calls: CreateCall[];
  /** Older calls no longer listed; everything below still counts them. */
  droppedCalls: number;
  /** The provider tasks created for each of our tasks, in order. */
  settleTasks: Record<string, Acceptance[]>;
  downloadsPerProviderTask: Record<string, number>;
  cancelsPerProviderTask: Record<string, number>;
}

// The call log is the only record that grows with every call rather than every task, so it is capped: a long run
// keeps its latest 10,000 calls, and the times of up to a million (8 MB) for the busiest-window figure.
const CALL_LOG_LIMIT = 10_000;
const CALL_TIMES_LIMIT = 1_000_000;

/** Invariant counters kept at the provider: createTask calls, provider tasks per Settle task, downloads, cancels. */
export class Ledger {
  private calls: CreateCall[] = [];
  private droppedCalls = 0;
  private readonly callTimes: number[] = [];
  private readonly codes = new Map<number, number>();
  private readonly settleTasks = new Map<string, Acceptance[]>();
  private readonly downloads = new Map<string, number>();
  private readonly cancels = new Map<string, number>();

  recordCall(call: CreateCall): void {
    this.calls.push(call);
    if (this.calls.length > CALL_LOG_LIMIT * 2) this.dropOldest();
    if (this.callTimes.length < CALL_TIMES_LIMIT) this.callTimes.push(call.at);
    this.codes.set(call.code, (this.codes.get(call.code) ?? 0) + 1);
    if (call.settleTaskId === null || call.providerTaskId === null) return;
    const accepted = this.settleTasks.get(call.settleTaskId) ?? [];
    accepted.push({ providerTaskId: call.providerTaskId, at: call.at });
    this.settleTasks.set(call.settleTaskId, accepted);
  }

  /** How many provider tasks were already created for this Settle task. */
  acceptedFor(settleTaskId: string | null): number {
    return settleTaskId === null ? 0 : (this.settleTasks.get(settleTaskId)?.length ?? 0);
  }

  recordDownload(providerTaskId: string): void {
    this.downloads.set(providerTaskId, (this.downloads.get(providerTaskId) ?? 0) + 1);
  }

  recordCancel(providerTaskId: string): void {
    this.cancels.set(providerTaskId, (this.cancels.get(providerTaskId) ?? 0) + 1);
  }

  mostCreateCallsInWindow(windowMs: number): number {
    return mostCallsInWindow(this.callTimes, windowMs);
  }

  log(): SimLog {
    const overflow = Math.max(0, this.calls.length - CALL_LOG_LIMIT);
    return {
      calls: this.calls.slice(overflow),
      droppedCalls: this.droppedCalls + overflow,
      settleTasks: Object.fromEntries(this.settleTasks),
      downloadsPerProviderTask: Object.fromEntries(this.downloads),
      cancelsPerProviderTask: Object.fromEntries(this.cancels),
    };
  }

  /** The figures stats() shows. */
  summary() {
    return {
      createCalls: Object.fromEntries(this.codes),
      settleTasks: this.settleTasks.size,
      mostProviderTasksPerSettleTask: largest([...this.settleTasks.values()].map((accepted) => accepted.length)),
      mostDownloadsPerProviderTask: largest(this.downloads.values()),
      cancels: [...this.cancels.values()].reduce((sum, n) => sum + n, 0),
    };
  }

  // Trimmed in halves, so a push costs amortized O(1).
  private dropOldest(): void {
    const overflow = this.calls.length - CALL_LOG_LIMIT;
    this.calls = this.calls.slice(overflow);
    this.droppedCalls += overflow;
  }
}

// Not Math.max(...values): a long run has more values than a call may take arguments.
const largest = (values: Iterable<number>): number => [...values].reduce((most, n) => Math.max(most, n), 0);

/** How many provider tasks each of our tasks got, from a simulator's log. */
export function providerTasksPerSettleTask(log: Pick<SimLog, 'settleTasks'>): Record<string, number> {
  return Object.fromEntries(Object.entries(log.settleTasks).map(([taskId, accepted]) => [taskId, accepted.length]));
}

/** The most calls that fell within any `windowMs` span, given their times. */
export function mostCallsInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}
