/**
 * Queue depth for the inspect report, summarised from the outbox module's normalised ops
 * (`readOutbox`: every queue shape — SQLite tables, redux-persist `syncQueue` arrays — as `OutboxOp`),
 * so inspect and `syncdoc outbox` always agree on what a queue holds. Statuses are shown as the
 * store wrote them (`completed`, `in_progress`…), or as the unified status when the queue has no
 * status column. Also: the distribution of record sync statuses, read straight from the tables.
 */
import type { OutboxOp, OutboxSnapshot } from '../outbox/types.js';
import { OPEN_STATUSES } from '../outbox/types.js';
import type { SqliteDb } from '../readers/sqlite-open.js';
import { quoteIdent, type SqliteSchema } from '../readers/sqlite.js';
import type { QueueReport, StatusDistribution } from './report.js';

/** One report per queue in the outbox, in the outbox's own (send) order. Ages are filled in later. */
export function summariseQueues(outbox: OutboxSnapshot): QueueReport[] {
  return outbox.queues.map((info) => {
    const ops = outbox.ops.filter((op) => op.store === info.store && op.queue === info.queue);
    const byStatus: Record<string, number> = {};
    for (const op of ops) {
      const s = statusOf(op);
      byStatus[s] = (byStatus[s] ?? 0) + 1;
    }
    const open = ops.filter((op) => OPEN_STATUSES.has(op.status));
    const oldest = open.reduce<OutboxOp | undefined>(
      (best, op) =>
        best === undefined || (op.createdAt !== null && (best.createdAt === null || op.createdAt < best.createdAt)) ? op : best,
      undefined,
    );
    return {
      queue: info.queue,
      shape: info.shape,
      total: ops.length,
      depth: open.length,
      byStatus,
      failed: open.filter((op) => op.status === 'failed' || (op.lastError !== null && op.lastError !== '')).length,
      oldestPending: oldest
        ? {
            id: oldest.id,
            createdAtMs: oldest.createdAt,
            ageMs: null,
            operation: oldest.rawOp,
            collection: oldest.collection,
            recordId: oldest.recordId,
            status: statusOf(oldest),
            attempts: oldest.attempts,
          }
        : null,
    };
  });
}

function statusOf(op: OutboxOp): string {
  return op.rawStatus ?? op.status;
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
