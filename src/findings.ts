/**
 * Findings are how every command reports a problem *in the data* (as opposed to an error that stops
 * the read). They are plain data so reports can be rendered as tables or JSON from one source.
 * Codes are stable, SCREAMING_SNAKE, and listed in README's finding-code table (a test checks it).
 */

export type Severity = 'error' | 'warn' | 'info';

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  /** The store the finding is about: its path inside the snapshot. */
  store?: string;
  /** A more precise pointer: table, key, row id, byte offset… */
  ref?: string;
}

export function hasErrors(findings: ReadonlyArray<{ severity: Severity }>): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** Sorts findings by severity (errors first), then code, store and ref: stable output order. */
export function sortFindings<T extends Finding>(findings: T[]): T[] {
  const rank: Record<Severity, number> = { error: 0, warn: 1, info: 2 };
  return [...findings].sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      cmp(a.code, b.code) ||
      cmp(a.store ?? '', b.store ?? '') ||
      cmp(a.ref ?? '', b.ref ?? ''),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
