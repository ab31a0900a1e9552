import { loadCronJobs, loadTasks } from '../../src/http/ui/dashboard/data.js';
import { adminTaskTotal, listTasksForAdmin } from '../../src/tasks/index.js';
import type { System } from '../../src/app/system.js';
import { withFreshDatabase } from '../benchDatabase.js';
import { percentile } from '../latency.js';
import type { BenchOptions } from '../options.js';
import { withSimulator } from '../processes.js';
import type { SectionResult } from '../report.js';
import { startInProcess } from '../settleSystem.js';

/** The budget for a dashboard page's data with a million finished tasks. */
const P99_TARGET_MS = 50;

/** What each dashboard page (and GET /api/admin/tasks, the tasks list's first page) reads from the database. */
const PAGES: Record<string, (system: System) => Promise<unknown>> = {
  'cron-jobs': loadCronJobs,
  tasks: loadTasks,
  'admin tasks': async (system) => {
    await listTasksForAdmin(system.db, { limit: 50 });
    await adminTaskTotal(system.db, {});
  },
};

/** The dashboard pages' data queries, run in this process one after another on the run's history (--history). */
export function benchDashboard(options: BenchOptions): Promise<SectionResult> {
  return withFreshDatabase((database) =>
    withSimulator(['--seed', '5', '--duration-ms', '0'], async (sim) => {
      const settle = await startInProcess(database, sim.url, {}, { serve: false });
      try {
        const figures: Record<string, number> = {};
        const targets = [];
        for (const [page, load] of Object.entries(PAGES)) {
          await load(settle.system);
          const samples: number[] = [];
          for (let i = 0; i < options.dashboardLoads; i++) {
            const started = performance.now();
            await load(settle.system);
            samples.push(performance.now() - started);
          }
          const sorted = samples.sort((a, b) => a - b);
          figures[`${page} p50 ms`] = percentile(sorted, 50);
          figures[`${page} p99 ms`] = percentile(sorted, 99);
          targets.push({ label: `${page} p99 < ${P99_TARGET_MS} ms`, pass: percentile(sorted, 99) < P99_TARGET_MS });
        }
        return {
          name: 'dashboard',
          what: `the cron-jobs and tasks pages' data and the admin task list's first page, ${options.dashboardLoads} loads each, ${options.history} finished tasks of history`,
          figures,
          targets,
        };
      } finally {
        await settle.close();
      }
    }),
  );
}
