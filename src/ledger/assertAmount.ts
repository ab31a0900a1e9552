/**
 * Credits are whole units stored as bigint. Rejecting a bad amount here gives the caller a RangeError instead of a
 * driver error (1.5 is not a bigint) or a silent CHECK-constraint failure deep inside a transaction.
 */
export function assertAmount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive safe integer, got ${value}`);
  }
}
