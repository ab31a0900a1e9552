import type { AnyJob } from '../../jobs/index.js';
import type { TaskDeps } from '../../tasks/index.js';
import { cleanupJobs } from './cleanupJobs.js';
import { processStuckTasks } from './processStuckTasks.js';
import { providerAccount } from './providerAccount.js';
import { pruneHistory } from './pruneHistory.js';

/** Every recovery job, in the order operators see them. */
export const RECOVERY_JOBS: readonly AnyJob<TaskDeps>[] = [processStuckTasks, cleanupJobs, providerAccount, pruneHistory];

export { cleanupJobs, processStuckTasks, providerAccount, pruneHistory };
