/** A sliding-window limiter: at most `max` accepted calls in any `windowMs`. */
export function createRateLimiter() {
  const accepted: number[] = [];
  return {
    /** Records a call and returns undefined, or returns how long until a call would be accepted. */
    take(limit: { max: number; windowMs: number } | null, now: number): number | undefined {
      if (!limit) return undefined;
      while (accepted.length > 0 && accepted[0]! <= now - limit.windowMs) accepted.shift();
      if (accepted.length >= limit.max) return accepted[accepted.length - limit.max]! + limit.windowMs - now;
      accepted.push(now);
      return undefined;
    },
  };
}
