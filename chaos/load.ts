import { randomUUID } from 'node:crypto';

export interface LoadUser {
  apiKey: string;
  userId: string;
}

export interface LoadStats {
  attempts: number;
  accepted: number;
  insufficient: number;
  rejected: number;
  rateLimited: number;
  transportErrors: number;
  serverErrors: number;
  taskIds: Set<string>;
}

const BODIES = [
  { type: 'image', model: 'google/nano-banana', input: { prompt: 'chaos image' } },
  { type: 'video', model: 'sora-2-text-to-video', input: { prompt: 'chaos video' } },
];

/**
 * Submits from several users against whichever API processes are up. Every submission carries an Idempotency-Key
 * and is retried with the same key after a transport error (the API process may have been killed mid-request), so
 * the client side never creates a task twice. Some rounds are bursts that try to spend more than the balance.
 */
export function startLoad(apiUrls: string[], users: LoadUser[], random: () => number): { stop(): Promise<LoadStats> } {
  const stats: LoadStats = { attempts: 0, accepted: 0, insufficient: 0, rejected: 0, rateLimited: 0, transportErrors: 0, serverErrors: 0, taskIds: new Set() };
  let running = true;

  const submitOnce = async (user: LoadUser): Promise<void> => {
    const key = randomUUID();
    const body = BODIES[Math.floor(random() * BODIES.length)]!;
    for (let attempt = 0; attempt < 6 && running; attempt++) {
      const url = apiUrls[Math.floor(random() * apiUrls.length)]!;
      stats.attempts++;
      try {
        const res = await fetch(`${url}/api/v1/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        const answer = (await res.json()) as { taskId?: string };
        if (answer.taskId) stats.taskIds.add(answer.taskId);
        if (res.status === 202) return void stats.accepted++;
        if (res.status === 402) return void stats.insufficient++;
        if (res.status === 422) return void stats.rejected++;
        if (res.status === 429) return void stats.rateLimited++;
        stats.serverErrors++;
      } catch {
        stats.transportErrors++;
      }
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  };

  const loop = async (user: LoadUser): Promise<void> => {
    while (running) {
      const burst = random() < 0.1 ? 15 : 1;
      await Promise.all(Array.from({ length: burst }, () => submitOnce(user)));
      await new Promise((r) => setTimeout(r, 150 + random() * 500));
    }
  };

  const loops = users.map(loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}
