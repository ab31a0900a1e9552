import { z } from 'zod';

export const share = z.number().min(0).max(1);
export const milliseconds = z.number().int().min(0);
const rateLimit = z.object({ max: z.number().int().positive(), windowMs: z.number().int().positive() });
const host = z.union([z.ipv4(), z.ipv6(), z.hostname()], { error: 'must be a host name or an IP address' });

/** The knobs both simulators have; a profile adds its own (credentials, provider-specific outcomes) to this shape. */
export const commonFaultShape = {
  durationMs: z
    .tuple([milliseconds, milliseconds])
    .refine(([min, max]) => min <= max, 'the minimum must not exceed the maximum'),
  failRate: share,
  hangRate: share,
  lostCallbackRate: share,
  transientErrorRate: share,
  rateLimit: rateLimit.nullable(),
  downloadDelayMs: milliseconds,
  downloadBytesPerSecond: z.number().int().positive().nullable(),
  resultBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable(),
  createDelayMs: milliseconds,
  createHangRate: share,
  transientAfterAccept: z.boolean(),
  resultHost: host.nullable(),
  resultUrl: z.url({ error: 'must be a URL' }).nullable(),
};

type CommonShape = typeof commonFaultShape;
export type KitFaults = z.output<z.ZodObject<CommonShape>> & { abortRate?: number };

/** A well-behaved provider: tasks take 2 to 5 s and all succeed. A profile adds its rate limit. */
export const COMMON_DEFAULTS: Omit<KitFaults, 'rateLimit'> = {
  durationMs: [2000, 5000],
  failRate: 0,
  hangRate: 0,
  lostCallbackRate: 0,
  transientErrorRate: 0,
  downloadDelayMs: 0,
  downloadBytesPerSecond: null,
  resultBytes: null,
  createDelayMs: 0,
  createHangRate: 0,
  transientAfterAccept: false,
  resultHost: null,
  resultUrl: null,
};

export interface FaultRules<F> {
  defaults: F;
  /** Applies a partial update; throws one readable line naming the first bad knob. */
  merge(current: F, update: unknown): F;
}

/**
 * The validation of one simulator's knobs. `outcomeRates` are the shares that split the same draw between outcomes,
 * so together they must not exceed 1.
 */
export function faultRules<S extends CommonShape>(
  shape: S,
  defaults: z.output<z.ZodObject<S>>,
  outcomeRates: ReadonlyArray<keyof S & string>,
): FaultRules<z.output<z.ZodObject<S>>> {
  type F = z.output<z.ZodObject<S>>;
  const partial = z.strictObject(shape).partial();
  const merge = (current: F, update: unknown): F => {
    const parsed = partial.safeParse(update ?? {});
    if (!parsed.success) throw new Error(describeIssue(parsed.error));
    const defined = Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
    const merged = { ...current, ...defined } as F;
    const total = outcomeRates.reduce((sum, knob) => sum + ((merged as Record<string, unknown>)[knob] as number), 0);
    if (total > 1) throw new Error(`${outcomeRates.join(' + ')} must not exceed 1`);
    return merged;
  };
  return { defaults, merge };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
