import { z } from 'zod';

const share = z.number().min(0).max(1);
const milliseconds = z.number().int().min(0);

const faultsSchema = z.strictObject({
  durationMs: z
    .tuple([milliseconds, milliseconds])
    .refine(([min, max]) => min <= max, 'the minimum must not exceed the maximum'),
  failRate: share,
  hangRate: share,
  lostCallbackRate: share,
  transientErrorRate: share,
  rateLimit: z.object({ max: z.number().int().positive(), windowMs: z.number().int().positive() }).nullable(),
  downloadDelayMs: milliseconds,
  resultBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  apiKey: z.string().min(1).optional(),
  callbackHmacKey: z.string().min(1).optional(),
});

export type Faults = z.infer<typeof faultsSchema>;

export const DEFAULT_FAULTS: Faults = {
  durationMs: [2000, 5000],
  failRate: 0,
  hangRate: 0,
  lostCallbackRate: 0,
  transientErrorRate: 0,
  rateLimit: { max: 20, windowMs: 10_000 },
  downloadDelayMs: 0,
  resultBytes: 64 * 1024,
};

/** Applies a partial update; throws one readable line naming the first bad knob. */
export function mergeFaults(current: Faults, update: unknown): Faults {
  const partial = faultsSchema.partial().safeParse(update ?? {});
  if (!partial.success) throw new Error(describeIssue(partial.error));
  const merged = { ...current, ...withoutUndefined(partial.data) };
  if (merged.failRate + merged.hangRate > 1) throw new Error('failRate + hangRate must not exceed 1');
  return merged;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
