/**
 * Timestamp normalisation: whatever unit a legacy store used (seconds, milliseconds, microseconds,
 * ISO-8601 strings, numeric strings, WatermelonDB's REAL numbers) becomes integer UTC milliseconds,
 * and the decision taken is returned so it can be counted per field. A value that is not a time is
 * never guessed into one: the caller keeps the raw value and reports it.
 */
import { epochToMs, guessEpochUnit } from '../epoch-unit.js';
import type { TimeUnit } from './types.js';

export type TimestampResult =
  | { ok: true; ms: number; decision: string; seconds: boolean }
  | { ok: false; problem: string };

/** ISO-8601 date or date-time; a time without an offset is read as UTC (and says so). */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

export function normaliseTimestamp(value: unknown, unit: TimeUnit = 'auto'): TimestampResult | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return fromNumber(value, unit, '');
  if (typeof value === 'bigint') return fromNumber(Number(value), unit, 'bigint ');
  if (typeof value !== 'string') return { ok: false, problem: `not a timestamp (${typeof value})` };
  const text = value.trim();
  if (NUMERIC.test(text)) return fromNumber(Number(text), unit === 'iso' ? 'auto' : unit, 'numeric string ');
  const m = ISO.exec(text);
  if (m === null) return { ok: false, problem: 'not a timestamp (unparseable string)' };
  const hasTime = text.length > 10;
  const hasZone = m[1] !== undefined;
  const ms = Date.parse(hasTime && !hasZone ? `${text.replace(' ', 'T')}Z` : text);
  if (!Number.isFinite(ms)) return { ok: false, problem: 'not a timestamp (invalid date)' };
  const decision = !hasTime ? 'iso date (UTC midnight)' : hasZone ? 'iso' : 'iso without offset (read as UTC)';
  return { ok: true, ms, decision, seconds: !/\.\d/.test(text) };
}

function fromNumber(n: number, unit: TimeUnit, prefix: string): TimestampResult {
  if (!Number.isFinite(n)) return { ok: false, problem: 'not a finite number' };
  const resolved = unit === 's' || unit === 'ms' || unit === 'us' ? unit : guessEpochUnit(n);
  const raw = epochToMs(n, resolved);
  const ms = Math.round(raw);
  const real = !Number.isInteger(n) ? (Number.isInteger(raw) ? ' (integral REAL)' : ' (fraction rounded)') : '';
  const how = unit === 'auto' || unit === 'iso' ? 'detected' : 'declared';
  return { ok: true, ms, decision: `${prefix}${resolved} ${how}${real}`, seconds: resolved === 's' };
}
