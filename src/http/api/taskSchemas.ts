import { z } from 'zod';
import { cursor, isoDate, pageLimit } from '../contract.js';

const MAX_PROMPT = 10_000;
const prompt = z.string().trim().min(1, 'prompt must not be empty').max(MAX_PROMPT);
const modelId = z.string().min(1).max(200).describe('a model id from GET /api/v1/models');
const taskType = z.enum(['video', 'image']);
export const taskStatus = z.enum(['pending', 'processing', 'completed', 'failed', 'canceled']);

/** The model's own fields ride along with the prompt; each model's `input` JSON Schema (GET /api/v1/models) says which. */
const taskInput = z.looseObject({ prompt }).describe("the prompt and the model's input fields");

export const taskBody = z.strictObject({ type: taskType, model: modelId, input: taskInput });
export const seedBody = z
  .looseObject({ model: modelId.optional(), prompt })
  .describe("the seeds' shape: the prompt and the model's input fields at the top level; model defaults to the catalog's first of the type");

export const taskIdParams = z.object({ taskId: z.uuid() });

export const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('the same key with the same body answers the first task; with another body, 409'),
});

export const submitted = z
  .object({ taskId: z.uuid(), status: taskStatus, creditsHeld: z.number().int().describe('the matched price, frozen until the task settles') })
  .meta({ id: 'Submitted' });

export const taskView = z
  .object({
    taskId: z.uuid(),
    type: taskType,
    model: z.string(),
    status: taskStatus,
    progress: z.number().int().min(0).max(100),
    assetUrl: z.string().optional().describe('the (first) result, once completed'),
    assetUrls: z.array(z.string()).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    creditsHeld: z.number().int(),
    creditsCharged: z.number().int(),
    creditsRefunded: z.number().int().describe("released on failure or cancel, or the charge given back by an admin refund"),
    refundedAt: isoDate.optional().describe('when an admin refunded the charge of this completed task'),
    lateResult: z.boolean().optional(),
    prunedAt: isoDate.optional().describe('when settle prune removed the input and files of this old finished task (no assetUrl since)'),
    createdAt: isoDate,
    completedAt: isoDate.optional(),
  })
  .meta({ id: 'Task' });

export const canceled = z.object({ taskId: z.uuid(), status: taskStatus, creditsRefunded: z.number().int() });

/** The seeds' three states: pending shows as processing, canceled as failed with error "canceled". */
export const videoStatus = z.object({
  status: z.enum(['processing', 'completed', 'failed']),
  progress: z.number().int(),
  videoUrl: z.string().optional(),
  error: z.string().optional(),
});

export const taskListQuery = z.strictObject({
  status: taskStatus.optional(),
  cursor: cursor.optional(),
  limit: pageLimit,
});
