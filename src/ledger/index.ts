export { InsufficientCreditsError } from './InsufficientCreditsError.js';
export { grantCredits } from './grantCredits.js';
export { ensureCreditAccount } from './ensureCreditAccount.js';
export { HOLD_REQUEST_COLUMNS, holdCredits, holdCtes, holdRequestFields, type HoldRequest } from './holdCredits.js';

export { captureHold } from './captureHold.js';
export { captureHolds } from './captureHolds.js';
export { releaseHold } from './releaseHold.js';
export { getCredits, type Credits } from './getCredits.js';
export { frozenCreditsSummary, totalFrozenCredits, type FrozenCreditsSummary } from './frozenCreditsSummary.js';
export { auditLedger, type AuditViolation, type LedgerAudit } from './audit.js';
export { listHoldStates, type HoldState } from './listHoldStates.js';
export { adjustCredits, type AdjustedCredits, type CreditAdjustment } from './adjustCredits.js';
export { BalanceLimitError, ReferenceConflictError } from './errors.js';
export { findChargeRefund, refundCharge, type ChargeRefund } from './refundCharge.js';
export { listTransactions, type Transaction, type TransactionType } from './listTransactions.js';
export { creditsOf } from './creditsOf.js';
export { openHoldsTotal } from './openHolds.js';
