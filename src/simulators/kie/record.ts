import { fileExtension } from './models.js';
import { viewTask, type SimTask } from './task.js';

export const resultUrlsOf = (task: SimTask, publicUrl: string): string[] => [
  `${publicUrl}/files/${task.id}/0.${fileExtension(task.type)}`,
];

/** The task as KIE's recordInfo `data` (and callback `data`) shows it. */
export function recordOf(task: SimTask, now: number, publicUrl: string) {
  const view = viewTask(task, now);
  const success = view.state === 'success';
  const fail = view.state === 'fail';
  return {
    taskId: task.id,
    model: task.model,
    state: view.state,
    param: task.param,
    resultJson: success ? JSON.stringify({ resultUrls: resultUrlsOf(task, publicUrl) }) : '',
    failCode: fail ? task.failure.failCode : '',
    failMsg: fail ? task.failure.failMsg : '',
    costTime: view.completedAt === undefined ? 0 : view.completedAt - task.createdAt,
    completeTime: view.completedAt ?? null,
    createTime: task.createdAt,
    updateTime: view.completedAt ?? now,
    progress: view.progress,
  };
}
