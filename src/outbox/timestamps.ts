/**
 * Timestamp units in queues vary by app and even by row (seconds from one code path, ms from
 * another, µs from a native module). This module guesses a value's unit from its magnitude and
 * normalises it to UTC ms. The cut-offs put every date between 1973 and 5138 in exactly one unit,
 * so a guess is never ambiguous for real device data.
 */
import { epochToMs, guessEpochUnit } from '../epoch-unit.js';
import type { TimestampUnit } from './types.js';

export interface NormalisedTime {
  ms: number;
  unit: TimestampUnit;
}

/** Normalises a number, numeric string or ISO date string; null for anything else (or ≤ 0). */
export function normaliseTimestamp(value: unknown): NormalisedTime | null {
  if (typeof value === 'bigint') return normaliseTimestamp(Number(value));
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return null;
    if (/^-?\d+(\.\d+)?$/.test(trimmed)) return normaliseTimestamp(Number(trimmed));
    const parsed = Date.parse(trimmed);
    return Number.isFinite(parsed) && parsed > 0 ? { ms: parsed, unit: 'ms' } : null;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) return null;
  const unit = guessEpochUnit(value);
  return { ms: Math.round(epochToMs(value, unit)), unit };
}

export function toMs(value: unknown): number | null {
  return normaliseTimestamp(value)?.ms ?? null;
}
