export { InsufficientCreditsError } from './InsufficientCreditsError.js';
export { BalanceLimitError } from './BalanceLimitError.js';
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
