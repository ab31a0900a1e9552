// POST /api/generate: the signed-in user asks for a video. Settle holds the user's credits and answers at once;
// the result arrives at the webhook handler (app/api/settle-webhook/route.ts).
import { InsufficientCreditsError, InvalidRequestError } from 'settle/client';
import { signedInUser } from '../../../lib/session';
import { settle, settleUser } from '../../../lib/settle';
import { videoTable } from '../../../lib/videos';

export async function POST(request: Request): Promise<Response> {
  const user = await signedInUser(request);
  if (!user) return Response.json({ error: 'Sign in first' }, { status: 401 });
  const { prompt, seconds } = (await request.json()) as { prompt?: string; seconds?: 10 | 15 };

  // Acting for the user (Settle-User): their credits, their task; your admin key stays on the server.
  const forUser = settle.forUser(settleUser(user.id));
  try {
    const task = await forUser.submit({
      type: 'video',
      model: 'sora-2-text-to-video',
      input: { prompt: prompt ?? '', n_frames: seconds === 15 ? '15' : '10' },
    });
    await videoTable.insert({ taskId: task.taskId, userId: user.id, status: task.status });
    return Response.json({ taskId: task.taskId, credits: task.creditsHeld }, { status: 202 });
  } catch (err) {
    if (err instanceof InsufficientCreditsError) return Response.json({ error: 'Not enough credits: top up first' }, { status: 402 });
    if (err instanceof InvalidRequestError) return Response.json({ error: err.message }, { status: 400 });
    throw err;
  }
}
