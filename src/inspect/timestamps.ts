/**
 * Timestamps in app data: which columns hold them and what unit they use. Apps store epoch
 * milliseconds, seconds, or REALs (WatermelonDB); everything here is normalised to ms. The newest
 * one is the snapshot's notion of "now" for ages: syncdoc never compares data with the wall clock,
 * because a snapshot may be read months after it was pulled.
 */
import type { SqliteDb } from '../readers/sqlite-open.js';
import { quoteIdent, type SqliteSchema } from '../readers/sqlite.js';

/** Column names that hold event times (created/updated/deleted/last sync…). */
const TIME_COLUMN = /(_at|At|_time|Time|timestamp|Timestamp|_date|Date)$/;
/** Planned times (retry schedules, expiries) are in the future by design: never "now". */
const PLANNED_COLUMN = /(next|scheduled|expire|expiry|due|retry_after|retryAfter)/i;

const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/** Epoch ms from a stored value in ms or seconds; null when it is not a plausible time. */
export function toEpochMs(value: unknown): number | null {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : NaN;
  if (!Number.isFinite(n)) return null;
  const ms = n >= MIN_MS ? n : n * 1000;
  return ms >= MIN_MS && ms < MAX_MS ? Math.trunc(ms) : null;
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
          .prepare(`SELECT max(${quoteIdent(col.name)}) AS v FROM ${quoteIdent(table.name)} WHERE typeof(${quoteIdent(col.name)}) IN ('integer', 'real') AND ${quoteIdent(col.name)} < ?`)
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
