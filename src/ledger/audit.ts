import type { Queryable } from '../db/index.js';

export interface AuditViolation {
  invariant: string;
  detail: string;
  userId?: string;
  taskId?: string;
}

export interface LedgerAudit {
  /** Credit accounts checked. */
  checkedAccounts: number;
  violations: AuditViolation[];
}

// Each check is one set-based statement returning (invariant, user_id, task_id, detail) rows, one per violation.
// Every check reads the tables it compares in a single statement, hence a single snapshot: the ledger functions
// change balance, holds and journal in one statement, so a consistent ledger never shows a false violation
// while settlements run concurrently.

// Every user with an account or a journal entry, so that an account row deleted by hand still shows up against its
// journal.
const ACCOUNT_CHECKS = `
  WITH journal AS (
    SELECT user_id,
      coalesce(sum(amount) FILTER (WHERE type = 'grant'), 0)
        - coalesce(sum(amount) FILTER (WHERE type = 'charge'), 0)
        + coalesce(sum(amount) FILTER (WHERE type = 'refund'), 0)
        - coalesce(sum(amount) FILTER (WHERE type = 'debit'), 0) AS balance,
      coalesce(sum(amount) FILTER (WHERE type = 'freeze'), 0)
        - coalesce(sum(amount) FILTER (WHERE type = 'charge'), 0)
        - coalesce(sum(amount) FILTER (WHERE type = 'unfreeze'), 0) AS frozen
    FROM credit_transactions
    GROUP BY user_id
  ), open_holds AS (
    SELECT user_id, sum(amount) AS frozen FROM credit_holds WHERE status = 'open' GROUP BY user_id
  ), ledger AS (
    SELECT coalesce(c.user_id, j.user_id) AS user_id,
      coalesce(c.balance, 0) AS balance,
      coalesce(c.frozen_balance, 0) AS frozen,
      coalesce(h.frozen, 0) AS held,
      coalesce(j.balance, 0) AS journal_balance,
      coalesce(j.frozen, 0) AS journal_frozen
    FROM user_credits c
    FULL JOIN journal j ON j.user_id = c.user_id
    LEFT JOIN open_holds h ON h.user_id = coalesce(c.user_id, j.user_id)
  )
  SELECT v.invariant, l.user_id, NULL AS task_id, v.detail
  FROM ledger l
  CROSS JOIN LATERAL (VALUES
    ('frozen_equals_open_holds', l.frozen <> l.held,
      format('frozen_balance is %s but open holds sum to %s', l.frozen, l.held)),
    ('balance_equals_journal', l.balance <> l.journal_balance,
      format('balance is %s but grants - charges + refunds - debits = %s', l.balance, l.journal_balance)),
    ('frozen_equals_journal', l.frozen <> l.journal_frozen,
      format('frozen_balance is %s but freezes - charges - unfreezes = %s', l.frozen, l.journal_frozen)),
    ('no_negative_balance', l.balance < 0 OR l.frozen < 0 OR l.frozen > l.balance,
      format('balance is %s and frozen_balance is %s', l.balance, l.frozen))
  ) AS v(invariant, violated, detail)
  WHERE v.violated
  ORDER BY l.user_id, v.invariant`;

// A settlement entry must exist exactly when the hold's state says so, and carry the hold's amount.
const HOLD_JOURNAL_CHECKS = `
  SELECT 'hold_has_journal' AS invariant, h.user_id, h.task_id, v.detail
  FROM credit_holds h
  LEFT JOIN credit_transactions f ON f.type = 'freeze' AND f.reference_id = h.task_id::text
  LEFT JOIN credit_transactions c ON c.type = 'charge' AND c.reference_id = h.task_id::text
  LEFT JOIN credit_transactions r ON r.type = 'unfreeze' AND r.reference_id = h.task_id::text
  CROSS JOIN LATERAL (VALUES
    ('freeze', f.amount IS DISTINCT FROM h.amount, f.amount),
    ('charge', c.amount IS DISTINCT FROM CASE WHEN h.status = 'captured' THEN h.amount END, c.amount),
    ('unfreeze', r.amount IS DISTINCT FROM CASE WHEN h.status = 'released' THEN h.amount END, r.amount)
  ) AS e(type, violated, amount)
  CROSS JOIN LATERAL (SELECT format('%s hold of %s has %s', h.status, h.amount,
    CASE WHEN e.amount IS NULL THEN 'no ' || e.type || ' entry' ELSE format('a %s entry of %s', e.type, e.amount) END)
  ) AS v(detail)
  WHERE e.violated
  ORDER BY h.task_id, e.type`;

// A refund gives back one charge, all of it: its task's charge entry exists, for the same user and amount.
const REFUND_CHECK = `
  SELECT 'refund_matches_charge' AS invariant, r.user_id, CASE WHEN c.id IS NOT NULL THEN r.reference_id::uuid END AS task_id,
    CASE WHEN c.id IS NULL THEN format('refund %s of %s refunds no charge (reference %s)', r.id, r.amount, r.reference_id)
         ELSE format('refund of %s for a charge of %s to user %s', r.amount, c.amount, c.user_id) END AS detail
  FROM credit_transactions r
  LEFT JOIN credit_transactions c ON c.type = 'charge' AND c.reference_id = r.reference_id
  WHERE r.type = 'refund' AND (c.id IS NULL OR c.amount <> r.amount OR c.user_id <> r.user_id)
  ORDER BY r.id`;

const EXPIRED_HOLD_CHECK = `
  SELECT 'no_expired_open_holds' AS invariant, user_id, task_id,
    format('hold of %s is still open; it expired at %s', amount, expires_at) AS detail
  FROM credit_holds
  WHERE status = 'open' AND expires_at < now() - $1::double precision * interval '1 millisecond'
  ORDER BY expires_at`;

const COUNT = `SELECT count(*)::integer AS accounts FROM user_credits`;

interface ViolationRow {
  invariant: string;
  user_id: string | null;
  task_id: string | null;
  detail: string;
}

/**
 * Checks the ledger's own invariants: each balance against its open holds and its journal, each hold against its
 * journal entries, each refund against the charge it gives back, and no open hold long past its expiry (holdGraceMs is left for the reconciler to act). Whether each
 * hold's state matches its task's is the tasks audit's part, which calls this one.
 */
export async function auditLedger(db: Queryable, options: { holdGraceMs?: number } = {}): Promise<LedgerAudit> {
  const holdGraceMs = options.holdGraceMs ?? 60 * 60 * 1000;
  const checks: [sql: string, params: unknown[]][] = [
    [ACCOUNT_CHECKS, []],
    [HOLD_JOURNAL_CHECKS, []],
    [REFUND_CHECK, []],
    [EXPIRED_HOLD_CHECK, [holdGraceMs]],
  ];
  const violations: AuditViolation[] = [];
  // One statement at a time: db may be a single connection, which does not run queries in parallel.
  for (const [sql, params] of checks) {
    const { rows } = await db.query<ViolationRow>(sql, params);
    violations.push(...rows.map(toViolation));
  }
  const counts = await db.query<{ accounts: number }>(COUNT);
  return { checkedAccounts: counts.rows[0]?.accounts ?? 0, violations };
}

function toViolation(row: ViolationRow): AuditViolation {
  const violation: AuditViolation = { invariant: row.invariant, detail: row.detail };
  if (row.user_id) violation.userId = row.user_id;
  if (row.task_id) violation.taskId = row.task_id;
  return violation;
}
