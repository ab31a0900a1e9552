import { z } from 'zod';

const share = z.number().min(0).max(1);
const milliseconds = z.number().int().min(0);

const faultsSchema = z.strictObject({
  durationMs: z
    .tuple([milliseconds, milliseconds])
    .refine(([min, max]) => min <= max, 'the minimum must not exceed the maximum'),
  failRate: share,
  hangRate: share,
  abortRate: share,
  lostCallbackRate: share,
  transientErrorRate: share,
  rateLimit: z.object({ max: z.number().int().positive(), windowMs: z.number().int().positive() }).nullable(),
  downloadDelayMs: milliseconds,
  resultBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  apiToken: z.string().min(1).optional(),
  webhookSecret: z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'must be whsec_<base64>').optional(),
});

export type ReplicateFaults = z.infer<typeof faultsSchema>;

export const DEFAULT_REPLICATE_FAULTS: ReplicateFaults = {
  durationMs: [2000, 5000],
  failRate: 0,
  hangRate: 0,
  abortRate: 0,
  lostCallbackRate: 0,
  transientErrorRate: 0,
  rateLimit: { max: 600, windowMs: 60_000 },
  downloadDelayMs: 0,
  resultBytes: 64 * 1024,
};

/** Applies a partial update; throws one readable line naming the first bad knob. */
export function mergeReplicateFaults(current: ReplicateFaults, update: unknown): ReplicateFaults {
  const partial = faultsSchema.partial().safeParse(update ?? {});
  if (!partial.success) {
    const issue = partial.error.issues[0]!;
    const path = issue.path.join('.');
    throw new Error(path ? `${path}: ${issue.message}` : issue.message);
  }
  const defined = Object.fromEntries(Object.entries(partial.data).filter(([, v]) => v !== undefined));
  const merged = { ...current, ...defined } as ReplicateFaults;
  if (merged.failRate + merged.hangRate + merged.abortRate > 1) {
    throw new Error('failRate + hangRate + abortRate must not exceed 1');
  }
  return merged;
}
