/**
 * Sync-queue / outbox depth, read straight from the tables of a SQLite store: how many ops wait, by
 * status, how many failed, and the oldest one still waiting. Queue shapes differ (a status column or
 * none, `created_at` or `timestamp`, `collection` or `table_name`); this reads what is there and
 * leaves normalising ops to the outbox module. Ages are filled in later against the snapshot's newest
 * timestamp.
 */
import type { SqliteDb } from '../readers/sqlite-open.js';
import { quoteIdent, type SqliteSchema, type SqliteTable } from '../readers/sqlite.js';
import type { QueueReport, StatusDistribution } from './report.js';
import { toEpochMs } from './timestamps.js';

const QUEUE_TABLE = /^(sync_?queue|outbox|.+_queue|.+_outbox|pending_(ops|operations|changes|mutations)|mutation_queue)$/i;
const DONE_STATUS = /^(completed?|done|synced|success|succeeded|applied|acked|sent|delivered)$/i;
const FAILED_STATUS = /^(failed|failure|error|dead|dead_letter|rejected|poison)$/i;

const pick = (t: SqliteTable, names: string[]): string | null => names.find((n) => t.columns.some((c) => c.name === n)) ?? null;

export function isQueueTable(t: SqliteTable): boolean {
  return QUEUE_TABLE.test(t.name);
}

export function readQueues(db: SqliteDb, schema: SqliteSchema): QueueReport[] {
  return schema.tables.filter(isQueueTable).map((t) => readQueue(db, t));
}

function readQueue(db: SqliteDb, t: SqliteTable): QueueReport {
  const q = quoteIdent(t.name);
  const statusColumn = pick(t, ['status', 'state', 'op_status', 'sync_status']);
  const createdColumn = pick(t, ['created_at', 'createdAt', 'timestamp', 'enqueued_at', 'queued_at', 'inserted_at']);
  const errorColumn = pick(t, ['last_error', 'lastError', 'error']);
  const key = t.primaryKey.length === 1 ? (t.primaryKey[0] as string) : 'rowid';

  const byStatus: Record<string, number> = {};
  let total = 0;
  if (statusColumn) {
    const rows = db.prepare(`SELECT ${quoteIdent(statusColumn)} AS s, count(*) AS n FROM ${q} GROUP BY 1 ORDER BY 1`).all() as Array<{ s: unknown; n: number }>;
    for (const r of rows) {
      byStatus[r.s === null ? '(null)' : String(r.s)] = r.n;
      total += r.n;
    }
  } else {
    // a queue without a status column holds only undelivered ops: rows are deleted once sent
    total = (db.prepare(`SELECT count(*) AS n FROM ${q}`).get() as { n: number }).n;
    if (total > 0) byStatus['pending'] = total;
  }
  const doneValues = Object.keys(byStatus).filter((s) => DONE_STATUS.test(s));
  const failedValues = Object.keys(byStatus).filter((s) => FAILED_STATUS.test(s));
  const depth = total - doneValues.reduce((sum, s) => sum + (byStatus[s] ?? 0), 0);

  const openFilter =
    statusColumn && doneValues.length > 0
      ? `(${quoteIdent(statusColumn)} IS NULL OR ${quoteIdent(statusColumn)} NOT IN (${doneValues.map(() => '?').join(', ')}))`
      : '1';
  const openParams = statusColumn ? doneValues : [];
  const failedParts: string[] = [];
  const failedParams: unknown[] = [];
  if (statusColumn && failedValues.length > 0) {
    failedParts.push(`${quoteIdent(statusColumn)} IN (${failedValues.map(() => '?').join(', ')})`);
    failedParams.push(...failedValues);
  }
  if (errorColumn) failedParts.push(`(${quoteIdent(errorColumn)} IS NOT NULL AND ${quoteIdent(errorColumn)} != '')`);
  const failed = failedParts.length
    ? (db.prepare(`SELECT count(*) AS n FROM ${q} WHERE (${openFilter}) AND (${failedParts.join(' OR ')})`).get(...openParams, ...failedParams) as { n: number }).n
    : 0;

  let oldestPending: QueueReport['oldestPending'] = null;
  if (depth > 0) {
    const order = createdColumn ? `${quoteIdent(createdColumn)} IS NULL, ${quoteIdent(createdColumn)}, ${key === 'rowid' ? 'rowid' : quoteIdent(key)}` : 'rowid';
    const row = db.prepare(`SELECT ${key === 'rowid' ? 'rowid AS rowid, ' : ''}* FROM ${q} WHERE ${openFilter} ORDER BY ${order} LIMIT 1`).get(...openParams) as
      | Record<string, unknown>
      | undefined;
    if (row) {
      const field = (names: string[]): unknown => {
        const c = pick(t, names);
        return c === null ? undefined : row[c];
      };
      oldestPending = {
        id: row[key],
        createdAtMs: createdColumn ? toEpochMs(row[createdColumn]) : null,
        ageMs: null,
        operation: field(['operation', 'op', 'action', 'op_type', 'type']),
        collection: field(['collection', 'table_name', 'entity_type', 'entityType', 'entity', 'model']),
        recordId: field(['record_client_id', 'record_id', 'document_id', 'entity_id', 'entityId', 'row_id']),
        status: statusColumn ? row[statusColumn] : undefined,
        attempts: field(['attempts', 'retry_count', 'retries', 'retryCount']),
      };
    }
  }
  return { table: t.name, statusColumn, total, depth, byStatus, failed, oldestPending };
}

/** Columns whose values say where a record stands with sync. */
const STATUS_COLUMNS = ['sync_status', '_status', 'syncStatus'];

export function readStatusDistributions(db: SqliteDb, schema: SqliteSchema): StatusDistribution[] {
  const out: StatusDistribution[] = [];
  for (const t of schema.tables) {
    for (const column of STATUS_COLUMNS) {
      if (!t.columns.some((c) => c.name === column)) continue;
      const rows = db
        .prepare(`SELECT ${quoteIdent(column)} AS v, count(*) AS n FROM ${quoteIdent(t.name)} GROUP BY 1 ORDER BY 2 DESC, 1`)
        .all() as Array<{ v: unknown; n: number }>;
      const counts: Record<string, number> = {};
      for (const r of rows) counts[r.v === null ? '(null)' : String(r.v)] = r.n;
      out.push({ table: t.name, column, counts });
    }
  }
  return out;
}
