/**
 * Timestamps in app data: which columns hold event times. Apps store epoch milliseconds, seconds
 * or REALs (WatermelonDB); values are normalised to ms by the outbox module's unit guess. The newest
 * one is the snapshot's notion of "now" for ages: syncdoc never compares data with the wall clock,
 * because a snapshot may be read months after it was pulled.
 */
import { toMs } from '../outbox/timestamps.js';
import type { SqliteDb } from '../readers/sqlite-open.js';
import { quoteIdent, type SqliteSchema } from '../readers/sqlite.js';

/** Column names that hold event times (created/updated/deleted/last sync…). */
const TIME_COLUMN = /(_at|At|_time|Time|timestamp|Timestamp|_date|Date)$/;
/** Planned times (retry schedules, expiries) are in the future by design: never "now". */
const PLANNED_COLUMN = /(next|scheduled|expire|expiry|due|retry_after|retryAfter)/i;

const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/**
 * Epoch ms from a stored number in s, ms or µs (the outbox module's unit guess); null when it is not a
 * plausible device time (a `*_at` column holding 0 or a counter must not become "now").
 */
export function toEpochMs(value: unknown): number | null {
  if (typeof value !== 'number' && typeof value !== 'bigint') return null;
  const ms = toMs(value);
  return ms !== null && ms >= MIN_MS && ms < MAX_MS ? ms : null;
}

export function isEventTimeColumn(name: string): boolean {
  return TIME_COLUMN.test(name) && !PLANNED_COLUMN.test(name);
}

export interface NewestTime {
  ms: number;
  table: string;
  column: string;
}

export function newestEventTime(db: SqliteDb, schema: SqliteSchema): NewestTime | null {
  let best: NewestTime | null = null;
  for (const table of schema.tables) {
    for (const col of table.columns) {
      if (!isEventTimeColumn(col.name)) continue;
      let row: { v: unknown } | undefined;
      try {
        row = db
          .prepare(
            `SELECT max(${quoteIdent(col.name)}) AS v FROM ${quoteIdent(table.name)} WHERE typeof(${quoteIdent(col.name)}) IN ('integer', 'real') AND ${quoteIdent(col.name)} < ?`,
          )
          .get(MAX_MS) as { v: unknown } | undefined;
      } catch {
        continue; // a damaged table is reported by the schema reader
      }
      const ms = toEpochMs(row?.v);
      if (ms !== null && (best === null || ms > best.ms)) best = { ms, table: table.name, column: col.name };
    }
  }
  return best;
}
