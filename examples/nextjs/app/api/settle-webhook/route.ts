// POST /api/settle-webhook: Settle tells the app that a task settled (task.completed, task.failed, task.canceled,
// task.refunded). Register it once: settle webhooks add https://your.app/api/settle-webhook
import { verifyWebhook } from 'settle/client';
import { videoTable } from '../../../lib/videos';

export async function POST(request: Request): Promise<Response> {
  // Verify the exact bytes Settle signed (Standard Webhooks), before parsing anything.
  const event = await verified(await request.text(), request.headers);
  if (!event) return Response.json({ error: 'Bad signature' }, { status: 400 });

  // Deliveries are at least once: the update below gives the same result however often it runs.
  const task = event.data;
  if (event.type === 'task.refunded') await videoTable.update(task.taskId, { refunded: true });
  else await videoTable.update(task.taskId, { status: task.status, url: task.assetUrl });
  return Response.json({ received: true });
}

async function verified(body: string, headers: Headers) {
  try {
    return await verifyWebhook(body, Object.fromEntries(headers), process.env.SETTLE_WEBHOOK_SECRET!);
  } catch {
    return null;
  }
}
