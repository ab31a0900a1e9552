import { EMPTY_SUMMARY, runJob, type AnyJob, type JobRun, type JobRunnerDeps, type JobTrigger, type RunFinishedHook, type RunOptions, type RunSummary } from '../../src/jobs/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { createLogger } from '../../src/log/index.js';

/** A job made up by a test: its work returns its results, and its summary is whatever the results carry under `summary`. */
export function adHocJob(name: string, work: (stopping?: AbortSignal) => Promise<unknown>): AnyJob<unknown> {
  return {
    name,
    title: name,
    schedule: { variable: 'TEST_CRON', pattern: () => 'off' },
    run: ({ stopping }) => work(stopping),
    summarize: (results) => ({ ...EMPTY_SUMMARY, ...((results as { summary?: Partial<RunSummary> } | undefined)?.summary ?? {}) }),
    describe: () => `${name} ran`,
    answer: (run) => ({ success: true, results: run.results }),
  };
}

export function jobRunner(db: Db, instanceId: string, onFinished?: RunFinishedHook): JobRunnerDeps & { onFinished?: RunFinishedHook } {
  return { db, logger: createLogger('silent'), instanceId, config: loadConfig({}), onFinished };
}

/** Runs an ad-hoc job through the real runJob: recorded, never overlapping, hooks in the recording transaction. */
export function runAdHoc(
  runner: JobRunnerDeps & { onFinished?: RunFinishedHook },
  name: string,
  trigger: JobTrigger,
  work: (stopping?: AbortSignal) => Promise<unknown>,
  options?: RunOptions,
): Promise<JobRun<unknown> & { executionId: string }> {
  return runJob(runner, adHocJob(name, work), undefined, trigger, options) as Promise<JobRun<unknown> & { executionId: string }>;
}
