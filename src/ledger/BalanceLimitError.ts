/** A grant that would take a balance past 2^53 - 1, which no credit amount may exceed (DESIGN section 11). */
export class BalanceLimitError extends Error {
  override readonly name = 'BalanceLimitError';

  constructor(
    readonly userId: string,
    readonly amount: number,
  ) {
    super(`granting ${amount} credits would take the balance of user ${userId} past ${Number.MAX_SAFE_INTEGER}, the largest amount Settle keeps`);
  }
}

/** The database refused a balance past the limit (the balance_is_safe_integer CHECK). */
export function isBalanceLimit(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return e?.code === '23514' && e.constraint === 'balance_is_safe_integer';
}
