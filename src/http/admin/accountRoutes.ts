import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { System } from '../../app/system.js';
import { adjustCredits, creditsOf } from '../../ledger/index.js';
import { refundTask, refundView } from '../../tasks/index.js';
import {
  createApiKey,
  ensureUser,
  findNamedUser,
  KEYS_SHOWN_WITH_USER,
  listApiKeys,
  listUsers,
  revokeApiKey,
  type ApiKeyRecord,
  type UserRecord,
} from '../../users/index.js';
import { forgetApiKey, requireAdminOrSession, type Sessions } from '../auth/index.js';
import {
  AUTH_ERRORS,
  BEARER_OR_SESSION,
  userReference,
  credits,
  cursor,
  decodeCursor,
  encodeCursor,
  errorResponses,
  isoDate,
  pageLimit,
  pageQuery,
  timeIdKey,
} from '../contract.js';
import { notFound } from '../errors.js';

const MAX_CREDITS = Number.MAX_SAFE_INTEGER;
const externalId = z.string().trim().min(1).max(200).describe("the app's own id for this user (unique)");
const email = z.email().max(320);
const name = z.string().trim().min(1).max(200);

const newUserBody = z.strictObject({
  externalId: externalId.optional(),
  email: email.optional(),
  name: name.optional(),
  credits: z.number().int().min(0).max(MAX_CREDITS).optional().describe('opening grant, made only when the user is created'),
});
const userView = z
  .object({ userId: z.uuid(), externalId: z.string().nullable(), email: z.string().nullable(), name: z.string().nullable(), createdAt: isoDate })
  .meta({ id: 'User' });
const userWithCredits = userView.extend({ credits }).meta({ id: 'UserWithCredits' });
const keyView = z.object({
  keyId: z.uuid(),
  prefix: z.string(),
  role: z.enum(['user', 'admin']),
  createdAt: isoDate,
  revokedAt: isoDate.nullable(),
});
/** A user named in the path: the Settle user id, or `ext:` and the app's own id (as Settle-User names one). */
const userParams = z.object({ userId: userReference });
const keyParams = z.object({ keyId: z.uuid() });
const taskParams = z.object({ taskId: z.uuid() });
const usersQuery = z.strictObject({
  externalId: externalId.optional(),
  email: z.string().trim().min(1).max(320).optional(),
  cursor: cursor.optional(),
  limit: pageLimit,
});
const creditBody = z.strictObject({
  amount: z
    .number()
    .int()
    .min(-MAX_CREDITS)
    .max(MAX_CREDITS)
    .refine((n) => n !== 0, 'must not be 0')
    .describe('positive grants, negative debits (never into frozen credits: 402)'),
  reference: z.string().trim().min(1).max(200).describe('your id for this move (a payment id): the same reference again answers the first move'),
  reason: z.string().trim().min(1).max(500).optional(),
});
const creditMove = credits.extend({ transactionId: z.number().int() });
const refundBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
const refundAnswer = z.object({
  taskId: z.uuid(),
  userId: z.uuid(),
  transactionId: z.number().int(),
  creditsRefunded: z.number().int(),
  reason: z.string().nullable(),
  refundedAt: isoDate,
  balance: z.number().int(),
  frozen: z.number().int(),
  available: z.number().int(),
});

const tags = ['accounts'];

/**
 * The accounts an app manages from its backend (DESIGN section 12): users by the app's own id, their keys, credits
 * moved by reference, and refunds of completed tasks. Admin keys (or the dashboard session); every money move is
 * in src/ledger, once per reference.
 */
export function registerAccountRoutes(app: FastifyInstance, system: System, sessions: Sessions): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const admin = requireAdminOrSession(system.db, sessions);
  const { db } = system;
  const withCredits = async (users: UserRecord[]) => {
    const balances = await creditsOf(db, users.map((u) => u.userId));
    return users.map((u) => ({ ...userRecordView(u), credits: balances.get(u.userId)! }));
  };
  const existingUser = async (userId: string) => {
    const user = await findNamedUser(db, userId);
    if (!user) throw notFound('No such user');
    return user;
  };

  api.post(
    '/api/admin/users',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'Create a user, or find the one with this externalId',
        security: BEARER_OR_SESSION,
        body: newUserBody,
        response: { 200: userView.describe('the user with this externalId (nothing granted)'), 201: userView.describe('created'), ...errorResponses(...AUTH_ERRORS, 409) },
      },
    },
    async (request, reply) => {
      const { user, created } = await ensureUser(db, request.body);
      if (created) request.log.info({ userId: user.userId, externalId: user.externalId }, 'user created through the admin API');
      return reply.status(created ? 201 : 200).send(userRecordView(user));
    },
  );

  api.get(
    '/api/admin/users',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'Users, newest first (or the one with this externalId or e-mail)',
        security: BEARER_OR_SESSION,
        querystring: usersQuery,
        response: { 200: z.object({ users: z.array(userWithCredits), nextCursor: z.string().nullable() }), ...errorResponses(...AUTH_ERRORS) },
      },
    },
    async (request) => {
      const { cursor: after, ...query } = request.query;
      const page = await listUsers(db, { ...query, after: decodeCursor(after, timeIdKey) });
      return { users: await withCredits(page.users), nextCursor: encodeCursor(page.next) };
    },
  );

  api.get(
    '/api/admin/users/:userId',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: `A user with their credits and their newest ${KEYS_SHOWN_WITH_USER} keys`,
        security: BEARER_OR_SESSION,
        params: userParams,
        response: {
          200: userWithCredits.extend({ keys: z.array(keyView), keysNextCursor: z.string().nullable().describe('the next page of GET /api/admin/users/{userId}/keys') }),
          ...errorResponses(...AUTH_ERRORS, 404),
        },
      },
    },
    async (request) => {
      const user = await existingUser(request.params.userId);
      const [[withBalance], page] = await Promise.all([withCredits([user]), listApiKeys(db, { userId: user.userId, after: null, limit: KEYS_SHOWN_WITH_USER })]);
      return { ...withBalance!, keys: page.keys.map(keyRecordView), keysNextCursor: encodeCursor(page.next) };
    },
  );

  api.get(
    '/api/admin/users/:userId/keys',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: "A user's API keys, revoked ones too, newest first",
        security: BEARER_OR_SESSION,
        params: userParams,
        querystring: pageQuery,
        response: { 200: z.object({ keys: z.array(keyView), nextCursor: z.string().nullable() }), ...errorResponses(...AUTH_ERRORS, 404) },
      },
    },
    async (request) => {
      const user = await existingUser(request.params.userId);
      const page = await listApiKeys(db, { userId: user.userId, after: decodeCursor(request.query.cursor, timeIdKey), limit: request.query.limit });
      return { keys: page.keys.map(keyRecordView), nextCursor: encodeCursor(page.next) };
    },
  );

  api.post(
    '/api/admin/users/:userId/keys',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'Create a user API key (shown once)',
        security: BEARER_OR_SESSION,
        params: userParams,
        response: { 201: z.object({ keyId: z.uuid(), apiKey: z.string(), userId: z.uuid() }), ...errorResponses(...AUTH_ERRORS, 404) },
      },
    },
    async (request, reply) => {
      const user = await existingUser(request.params.userId);
      const { keyId, apiKey } = await createApiKey(db, user.userId, 'user');
      request.log.info({ userId: user.userId, keyId }, 'API key created through the admin API');
      return reply.status(201).send({ keyId, apiKey, userId: user.userId });
    },
  );

  api.delete(
    '/api/admin/keys/:keyId',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'Revoke an API key (every instance refuses it within 5 s)',
        security: BEARER_OR_SESSION,
        params: keyParams,
        response: { 200: z.object({ keyId: z.uuid(), userId: z.uuid(), revokedAt: isoDate }), ...errorResponses(...AUTH_ERRORS, 404) },
      },
    },
    async (request) => {
      const revoked = await revokeApiKey(db, request.params.keyId);
      if (!revoked) throw notFound('No such key');
      forgetApiKey(db, revoked.keyHash);
      request.log.info({ keyId: revoked.keyId, userId: revoked.userId }, 'API key revoked');
      return { keyId: revoked.keyId, userId: revoked.userId, revokedAt: revoked.revokedAt.toISOString() };
    },
  );

  api.post(
    '/api/admin/users/:userId/credits',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: 'Grant (amount > 0) or debit (amount < 0) credits, once per reference',
        security: BEARER_OR_SESSION,
        params: userParams,
        body: creditBody,
        response: {
          200: creditMove.describe('this reference already moved this amount: the first answer, nothing changed'),
          201: creditMove.describe('moved'),
          ...errorResponses(...AUTH_ERRORS, 402, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const user = await existingUser(request.params.userId);
      const { replayed, ...moved } = await adjustCredits(db, { userId: user.userId, ...request.body });
      if (!replayed) request.log.info({ userId: user.userId, amount: request.body.amount, transactionId: moved.transactionId }, 'credits moved through the admin API');
      return reply.status(replayed ? 200 : 201).send(moved);
    },
  );

  api.post(
    '/api/admin/tasks/:taskId/refund',
    {
      preValidation: admin,
      schema: {
        tags,
        summary: "Refund a completed task's charge (once)",
        security: BEARER_OR_SESSION,
        params: taskParams,
        body: refundBody,
        response: {
          200: refundAnswer.describe('refunded before: the same answer, nothing changed'),
          201: refundAnswer.describe('refunded'),
          ...errorResponses(...AUTH_ERRORS, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const made = await refundTask(system.tasks, request.params.taskId, request.body.reason);
      if (!made) throw notFound('No such task');
      if (!made.replayed) request.log.info({ taskId: made.task.id, userId: made.task.user_id, amount: made.refund.amount }, 'completed task refunded');
      return reply.status(made.replayed ? 200 : 201).send(refundView(made));
    },
  );
}

function userRecordView(user: UserRecord) {
  return { ...user, createdAt: user.createdAt.toISOString() };
}

function keyRecordView(key: ApiKeyRecord) {
  return { ...key, createdAt: key.createdAt.toISOString(), revokedAt: key.revokedAt?.toISOString() ?? null };
}
