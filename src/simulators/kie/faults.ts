import { z } from 'zod';
import { COMMON_DEFAULTS, commonFaultShape, faultRules } from '../kit/faults.js';
import { ACCOUNT_ERROR_CODES } from './account.js';

const credits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const kieFaultShape = {
  ...commonFaultShape,
  apiKey: z.string().min(1).optional(),
  callbackHmacKey: z.string().min(1).optional(),
  accountError: z.literal(ACCOUNT_ERROR_CODES, { error: `must be one of ${ACCOUNT_ERROR_CODES.join(', ')}` }).nullable(),
  accountCredits: credits,
  creditsPerTask: credits,
};

export type KieFaults = z.output<z.ZodObject<typeof kieFaultShape>>;

export const KIE_FAULT_RULES = faultRules(
  kieFaultShape,
  // KIE's documented limit: 20 new tasks per 10 s per account.
  { ...COMMON_DEFAULTS, rateLimit: { max: 20, windowMs: 10_000 }, accountError: null, accountCredits: 100_000, creditsPerTask: 0 },
  ['failRate', 'hangRate'],
);
