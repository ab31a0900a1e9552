export const DASH = '—';

export function formatInt(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : Math.round(value).toLocaleString('en-US');
}

/** A 0..1 rate as a percentage with one decimal: 0.75 -> "75.0%". */
export function formatPercent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? DASH : `${(rate * 100).toFixed(1)}%`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/** How long ago, coarse: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "2026-11-22 12:58:03" in UTC (the column says so): unambiguous across operators' time zones. */
export function formatTimestamp(iso: string | Date | null | undefined): string {
  if (!iso) return DASH;
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return d.toISOString().replace('T', ' ').slice(0, 19);
}
