import type { FastifyReply } from 'fastify';

/** An answer in KIE's envelope: HTTP 200 with the code in the body. */
export interface KieError {
  code: number;
  msg: string;
  retryAfterMs?: number;
}

/** KIE's transient answers: a retry may get through. */
export const TRANSIENT: readonly [KieError, KieError] = [
  { code: 500, msg: 'Server Error' },
  { code: 455, msg: 'Service Unavailable' },
];

export function sendKieError(reply: FastifyReply, error: KieError) {
  if (error.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  return reply.send({ code: error.code, msg: error.msg, data: null });
}
