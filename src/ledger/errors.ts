/** A reference already moved another amount for this user: the caller reused it for a different move. */
export class ReferenceConflictError extends Error {
  override readonly name = 'ReferenceConflictError';

  constructor(
    readonly reference: string,
    readonly firstAmount: number,
  ) {
    super(`The reference "${reference}" was already used for an amount of ${firstAmount}`);
  }
}

/** The move would take a balance past 2^53 − 1, which the database refuses (credits stay exact JavaScript numbers). */
export class BalanceLimitError extends Error {
  override readonly name = 'BalanceLimitError';

  constructor(readonly userId: string) {
    super('The balance would pass 9007199254740991 (2^53 - 1), the largest a balance may hold');
  }
}
