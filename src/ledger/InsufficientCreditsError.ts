/** The user's available credits (balance minus frozen) do not cover the requested hold. HTTP maps it to 402. */
export class InsufficientCreditsError extends Error {
  override readonly name = 'InsufficientCreditsError';

  constructor(
    readonly userId: string,
    readonly requested: number,
  ) {
    super(`user ${userId} has fewer than ${requested} credits available`);
  }
}
