import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import { getCredits, listTransactions } from '../../ledger/index.js';
import { requireUser } from '../auth/index.js';
import { AUTH_ERRORS, BEARER, credits, decodeCursor, encodeCursor, errorResponses, isoDate, pageQuery, userRouteHeaders } from '../contract.js';

const transactionKey = z.strictObject({ id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const transaction = z
  .object({
    id: z.number().int(),
    type: z.enum(['grant', 'debit', 'freeze', 'charge', 'unfreeze', 'refund']),
    amount: z.number().int().positive().describe('always positive; the type says which way it moved'),
    taskId: z.uuid().optional().describe('the task of a freeze, charge, unfreeze or refund'),
    reference: z.string().optional().describe('the reference of a grant or debit made through the credits API'),
    reason: z.string().optional(),
    createdAt: isoDate,
  })
  .meta({ id: 'Transaction' });

export function registerCreditRoutes(app: FastifyInstance, db: Db): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const user = requireUser(db);
  const route = (summary: string) => ({ tags: ['credits'], summary, security: BEARER, headers: userRouteHeaders });

  api.get(
    '/api/v1/credits',
    { preValidation: user, schema: { ...route("The caller's balance"), response: { 200: credits, ...errorResponses(...AUTH_ERRORS, 404) } } },
    async (request) => getCredits(db, request.principal!.userId),
  );

  api.get(
    '/api/v1/credits/transactions',
    {
      preValidation: user,
      schema: {
        ...route("The caller's journal, newest first"),
        querystring: pageQuery,
        response: { 200: z.object({ transactions: z.array(transaction), nextCursor: z.string().nullable() }), ...errorResponses(...AUTH_ERRORS, 404) },
      },
    },
    async (request) => {
      const before = decodeCursor(request.query.cursor, transactionKey);
      const page = await listTransactions(db, { userId: request.principal!.userId, beforeId: before?.id ?? null, limit: request.query.limit });
      return {
        transactions: page.transactions.map((t) => ({
          id: t.id,
          type: t.type,
          amount: t.amount,
          ...(t.taskId && { taskId: t.taskId }),
          ...(t.reference && { reference: t.reference }),
          ...(t.reason && { reason: t.reason }),
          createdAt: t.createdAt.toISOString(),
        })),
        nextCursor: encodeCursor(page.next === null ? null : { id: page.next }),
      };
    },
  );
}
