/**
 * Epoch timestamps in app data come in seconds, milliseconds or microseconds, often mixed within one
 * store. The unit is guessed from the magnitude alone: the cut-offs put every date between 1973 and
 * 5138 in exactly one unit, so the guess is never ambiguous for real device data. Shared by the
 * outbox reader and migrate so both read the same value as the same instant.
 */

export type EpochUnit = 's' | 'ms' | 'us';

/** 1e11 s is the year 5138; 1e11 ms is 1973. */
const SECONDS_BELOW = 1e11;
/** 1e14 ms is the year 5138; 1e14 µs is 1973. */
const MILLIS_BELOW = 1e14;

export function guessEpochUnit(n: number): EpochUnit {
  const abs = Math.abs(n);
  return abs < SECONDS_BELOW ? 's' : abs < MILLIS_BELOW ? 'ms' : 'us';
}

/** `n` in `unit` as (unrounded) milliseconds. */
export function epochToMs(n: number, unit: EpochUnit): number {
  return unit === 's' ? n * 1000 : unit === 'ms' ? n : n / 1000;
}
