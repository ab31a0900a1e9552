import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import type { Catalog } from '../../providers/index.js';
import { requireUser } from '../auth/index.js';
import { AUTH_ERRORS, BEARER, errorResponses, userRouteHeaders } from '../contract.js';

const priceRule = z.object({
  when: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('input fields and the values they must have'),
  credits: z.number().int(),
});
const model = z
  .object({
    id: z.string(),
    type: z.enum(['video', 'image']),
    price: z
      .union([z.number().int(), z.array(priceRule)])
      .describe('credits: a flat price, or rules where the first whose `when` the input matches wins (the last has no `when`)'),
    input: z.record(z.string(), z.unknown()).optional().describe("a JSON Schema for the task's input; an input that fails it is a 400 before any credits are held"),
    timeoutMs: z.number().int(),
  })
  .meta({ id: 'Model' });

/** GET /api/v1/models: what a user can submit, what it costs for which input, so a client can show prices before submitting. */
export function registerModelRoutes(app: FastifyInstance, db: Db, catalog: Catalog): void {
  const schema = {
    tags: ['tasks'],
    summary: 'The models offered, their prices and input schemas',
    security: BEARER,
    headers: userRouteHeaders,
    response: { 200: z.object({ models: z.array(model) }), ...errorResponses(...AUTH_ERRORS, 404) },
  };
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/models', { preValidation: requireUser(db), schema }, async () => ({
    models: catalog.list().map((m) => ({ id: m.id, type: m.type, price: m.price, ...(m.input && { input: m.input }), timeoutMs: m.timeoutMs })),
  }));
}
