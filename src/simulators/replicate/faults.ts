import { z } from 'zod';
import { COMMON_DEFAULTS, commonFaultShape, faultRules, share } from '../kit/faults.js';

const replicateFaultShape = {
  ...commonFaultShape,
  abortRate: share,
  apiToken: z.string().min(1).optional(),
  webhookSecret: z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_<base64>').optional(),
};

export type ReplicateFaults = z.output<z.ZodObject<typeof replicateFaultShape>>;

export const REPLICATE_FAULT_RULES = faultRules(
  replicateFaultShape,
  // Replicate's documented limit for creating predictions: 600 a minute.
  { ...COMMON_DEFAULTS, abortRate: 0, rateLimit: { max: 600, windowMs: 60_000 } },
  ['failRate', 'hangRate', 'abortRate'],
);
