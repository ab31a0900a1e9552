import type { KitFaults } from '../kit/faults.js';
import type { SimUrls } from '../kit/launch.js';
import { KIE_FAILURES, kieFileName, viewTask, type KieTask } from './task.js';

/** The task as KIE's recordInfo `data` shows it (docs.kie.ai, "Get Task Details"). */
export function recordOf(task: KieTask, now: number, resultUrl: string) {
  const view = viewTask(task, now);
  const { failCode, failMsg } = view.state === 'fail' ? KIE_FAILURES[task.failureIndex]! : { failCode: '', failMsg: '' };
  // Every field named: a spread amid fields sends Node 20's V8 to its slow path for the rest (one record a status check).
  return {
    taskId: task.id,
    model: task.model,
    state: view.state,
    param: task.param,
    resultJson: view.state === 'success' ? JSON.stringify({ resultUrls: [resultUrl] }) : '',
    failCode,
    failMsg,
    // Seconds, as KIE reports it.
    costTime: view.completedAt === undefined ? 0 : Math.round((view.completedAt - task.createdAt) / 1000),
    completeTime: view.completedAt ?? null,
    createTime: task.createdAt,
    updateTime: view.completedAt ?? now,
    progress: view.progress,
  };
}

export const resultUrlOf = (task: KieTask, urls: SimUrls, faults: KitFaults): string =>
  urls.result(faults, `/files/${task.id}/${kieFileName(task)}`);

/**
 * The callback KIE POSTs to the callBackUrl: the record, with what the task cost and what the account has left.
 * Failures come as code 501 (docs.kie.ai market callbacks).
 */
export function callbackBody(task: KieTask, at: number, resultUrl: string, accountCredits: number) {
  const data = { ...recordOf(task, at, resultUrl), consumeCredits: task.consumeCredits, remainedCredits: accountCredits };
  if (data.state === 'success') return { code: 200, msg: 'Playground task completed successfully.', data };
  return { code: 501, msg: 'Playground task failed.', data };
}
