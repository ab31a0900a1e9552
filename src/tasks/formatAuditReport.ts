import type { AuditReport, AuditViolation } from './audit.js';

/** Human text for `settle audit`: one pass line, or the violations grouped under the invariant they break. */
export function formatAuditReport(report: AuditReport): string {
  const checked = `${report.checkedAccounts} accounts, ${report.checkedTasks} tasks checked`;
  if (report.violations.length === 0) return `Audit passed: ${checked}`;
  const byInvariant = new Map<string, AuditViolation[]>();
  for (const v of report.violations) {
    const group = byInvariant.get(v.invariant) ?? [];
    if (group.length === 0) byInvariant.set(v.invariant, group);
    group.push(v);
  }
  const lines = [`Audit failed: ${report.violations.length} violations of ${byInvariant.size} invariants (${checked})`];
  for (const [invariant, violations] of byInvariant) {
    lines.push('', `${invariant} (${violations.length})`);
    lines.push(...violations.map((v) => `  ${subject(v)}${v.detail}`));
  }
  return lines.join('\n');
}

function subject(v: AuditViolation): string {
  if (v.taskId) return `task ${v.taskId}: `;
  if (v.userId) return `user ${v.userId}: `;
  return '';
}
