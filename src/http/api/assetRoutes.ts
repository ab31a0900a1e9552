import { extname } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/index.js';
import { taskIdOfAssetKey, type LocalAssetStore } from '../../storage/index.js';
import { isDeliveredAsset } from '../../tasks/index.js';
import { z } from 'zod';
import { errorResponses } from '../contract.js';
import { notFound } from '../errors.js';

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.mov': 'video/quicktime',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif',
};

/**
 * Local storage only: anyone with the link may download a file, and only while a task that delivered it (completed,
 * or a late result) links it: a file stored by an ingest that lost to a cancel, or not yet settled, is never served.
 * The random part of each key makes links unguessable. A path that is not a plain key (`..`, `.`, backslashes,
 * control characters, in any encoding) is a 404 like a missing file. No answer is sniffed into another type: a stored
 * file is served only as what its name says.
 */
export function registerAssetRoutes(app: FastifyInstance, db: Db, store: LocalAssetStore): void {
  const noSniff = async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-content-type-options', 'nosniff');
  };
  const schema = {
    tags: ['assets'],
    summary: 'A delivered result file (the link is the capability)',
    params: z.object({ '*': z.string().describe('the asset key after /assets/') }),
    response: {
      200: { description: 'the file, typed by its name', content: { 'application/octet-stream': { schema: z.string() } } },
      ...errorResponses(404),
    },
  };
  app.get('/assets/*', { onRequest: noSniff, schema }, async (request, reply) => {
    const key = `assets/${(request.params as { '*': string })['*']}`;
    const taskId = taskIdOfAssetKey(key);
    if (!taskId || !(await isDeliveredAsset(db, taskId, key))) throw notFound('No such asset');
    const asset = await store.open(key);
    if (!asset) throw notFound('No such asset');
    return reply
      .header('content-type', CONTENT_TYPES[extname(key)] ?? 'application/octet-stream')
      .header('content-length', asset.size)
      .header('cache-control', 'private, max-age=31536000, immutable')
      .send(asset.body);
  });
}
