/** Headers of a user's JSON request to the Settle API. */
export function authorized(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
}

export const IMAGE_MODEL = 'google/nano-banana';

/** POST /api/v1/tasks for an image; returns the task id of the 202, throws on any other answer. */
export async function submitImage(baseUrl: string, apiKey: string, prompt: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/tasks`, {
    method: 'POST',
    headers: authorized(apiKey),
    body: JSON.stringify({ type: 'image', model: IMAGE_MODEL, input: { prompt } }),
  });
  if (res.status !== 202) throw new Error(`submission answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { taskId: string }).taskId;
}
