/**
 * Vector-clock comparison for the merge and the queue: two clocks are concurrent when each has a
 * component ahead of the other, which means both sides changed the record independently and no
 * ordering rule may pick a winner silently. Parsing is the outbox reader's (`parseClock`).
 */
import { parseClock } from '../outbox/sqlite-queues.js';

/** Clocks given as objects or JSON text; false when either is missing or not a clock. */
export function clocksConcurrent(a: unknown, b: unknown): boolean {
  const ca = parseClock(a);
  const cb = parseClock(b);
  if (ca === null || cb === null) return false;
  let aAhead = false;
  let bAhead = false;
  for (const k of new Set([...Object.keys(ca), ...Object.keys(cb)])) {
    const x = ca[k] ?? 0;
    const y = cb[k] ?? 0;
    if (x > y) aAhead = true;
    if (y > x) bAhead = true;
  }
  return aAhead && bAhead;
}
