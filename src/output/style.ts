/**
 * Colour and tables for human output. chalk is configured once from `--no-color`, `NO_COLOR`
 * and whether stdout is a terminal; commands never decide colour themselves.
 */
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { GlobalOptions } from '../cli/global-options.js';

export function createStyle(globals: GlobalOptions, stream: NodeJS.WriteStream = process.stdout): ChalkInstance {
  const noColor = !globals.color || (process.env['NO_COLOR'] ?? '') !== '' || !stream.isTTY;
  return noColor ? new Chalk({ level: 0 }) : chalk;
}

export function renderTable(head: string[], rows: Array<Array<string | number | bigint | null | undefined>>): string {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((c) => (c === null || c === undefined ? '' : String(c))));
  return table.toString();
}

const SEVERITY_ORDER = ['error', 'warn', 'info'] as const;

/** One line per finding: `error CODE store ref: message`. Empty list → "no findings". */
export function renderFindings(
  findings: ReadonlyArray<{ code: string; severity: string; message: string; store?: string; ref?: string }>,
  style: ChalkInstance,
): string {
  if (findings.length === 0) return 'no findings\n';
  const paint = (sev: string): string =>
    sev === 'error' ? style.red(sev) : sev === 'warn' ? style.yellow(sev) : style.cyan(sev);
  const lines = [...findings]
    .sort((a, b) => SEVERITY_ORDER.indexOf(a.severity as never) - SEVERITY_ORDER.indexOf(b.severity as never))
    .map((f) => {
      const where = [f.store, f.ref].filter(Boolean).join(' ');
      return `${paint(f.severity)} ${style.bold(f.code)}${where ? ' ' + style.dim(where) : ''}: ${f.message}`;
    });
  return lines.join('\n') + '\n';
}
