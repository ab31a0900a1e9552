import { KIE_FAILURES, kieFileName, viewTask, type KieTask } from './task.js';

/** The task as KIE's recordInfo `data` (and callback `data`) shows it. */
export function recordOf(task: KieTask, now: number, publicUrl: string) {
  const view = viewTask(task, now);
  const success = view.state === 'success';
  const failure = view.state === 'fail' ? KIE_FAILURES[task.failureIndex]! : { failCode: '', failMsg: '' };
  const resultUrls = [`${publicUrl}/files/${task.id}/${kieFileName(task)}`];
  return {
    taskId: task.id,
    model: task.model,
    state: view.state,
    param: task.param,
    resultJson: success ? JSON.stringify({ resultUrls }) : '',
    ...failure,
    costTime: view.completedAt === undefined ? 0 : view.completedAt - task.createdAt,
    completeTime: view.completedAt ?? null,
    createTime: task.createdAt,
    updateTime: view.completedAt ?? now,
    progress: view.progress,
  };
}
