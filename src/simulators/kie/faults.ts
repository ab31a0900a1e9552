import { z } from 'zod';
import { COMMON_DEFAULTS, commonFaultShape, faultRules } from '../kit/faults.js';

const kieFaultShape = {
  ...commonFaultShape,
  apiKey: z.string().min(1).optional(),
  callbackHmacKey: z.string().min(1).optional(),
};

export type KieFaults = z.output<z.ZodObject<typeof kieFaultShape>>;

export const KIE_FAULT_RULES = faultRules(
  kieFaultShape,
  // KIE's documented limit: 20 new tasks per 10 s per account.
  { ...COMMON_DEFAULTS, rateLimit: { max: 20, windowMs: 10_000 } },
  ['failRate', 'hangRate'],
);
