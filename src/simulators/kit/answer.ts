import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KitFaults } from './faults.js';
import type { SimJob } from './profile.js';
import type { Answer, Simulation } from './simulation.js';

/** Our task id: the `task` query of the callback URL a submission names (`callBackUrl`, `webhook`), else null. */
export function settleTaskIdOf(body: unknown, field: string): string | null {
  const url = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof url !== 'string' || !URL.canParse(url)) return null;
  return new URL(url).searchParams.get('task');
}

/**
 * Waits until the answer to an accepted submission is due; false when it never will be. The provider already acted
 * on the request: a client that gives up before the answer comes does not know whether it made a task.
 */
export async function answerDue<F extends KitFaults, J extends SimJob>(
  sim: Simulation<F, J>,
  request: FastifyRequest,
  reply: FastifyReply,
  answer: Answer,
): Promise<boolean> {
  if (answer.kind === 'sent') return true;
  if (answer.kind === 'delayed') {
    const due = await sleep(answer.delayMs, true, { signal: sim.closed }).catch(() => false);
    if (!due) request.raw.destroy();
    return due;
  }
  reply.hijack();
  sim.withhold(request.raw.socket);
  return false;
}
