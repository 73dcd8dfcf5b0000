/**
 * Storage of the local reference sync server: one SQLite file (better-sqlite3) holding the
 * records, an idempotency-key ledger and a change sequence. A push is one transaction: every op's
 * ledger entry is written in the same transaction as its record write, so a key is either applied
 * and remembered, or neither — a crash between the two is impossible. Only applied ops enter the
 * ledger; a conflict or rejection is re-evaluated on every resend. This module does no network I/O.
 */
import Database from 'better-sqlite3';
import type { Change, PullPage, PushOp, PushResult } from '../types.js';
import { checkOp, type ServerLimits } from '../protocol.js';

interface RecordRow {
  version: number;
  deleted: number;
  data: string | null;
  updated_at: number | null;
}

interface LedgerRow {
  collection: string;
  record_id: string;
  version: number;
}

interface ChangeRow {
  collection: string;
  record_id: string;
  version: number;
  deleted: number;
  data: string | null;
  updated_at: number | null;
  seq: number;
}

/** What the server did, counted since it opened; the fault tests compare these with the client's view. */
export interface StoreStats {
  applied: number;
  duplicate: number;
  conflict: number;
  rejected: number;
}

export interface SyncStore {
  push(rawOps: readonly unknown[]): PushResult[];
  pull(afterSeq: number, limit: number): PullPage;
  stats(): StoreStats;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  collection TEXT NOT NULL,
  record_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  data TEXT,
  updated_at INTEGER,
  seq INTEGER NOT NULL UNIQUE,
  PRIMARY KEY (collection, record_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS op_ledger (
  idempotency_key TEXT PRIMARY KEY,
  collection TEXT NOT NULL,
  record_id TEXT NOT NULL,
  op TEXT NOT NULL,
  version INTEGER NOT NULL,
  seq INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Decides an op against the record's current state; null means it may be applied. */
function conflictOf(op: PushOp, current: RecordRow | undefined): { reason: string; serverVersion?: number } | null {
  if (op.op === 'create') {
    if (current === undefined) return null;
    return { reason: current.deleted ? 'record was deleted' : 'record already exists', serverVersion: current.version };
  }
  if (current === undefined) return { reason: 'record not found' };
  if (current.deleted) return { reason: 'record was deleted', serverVersion: current.version };
  if (op.baseVersion != null && op.baseVersion !== current.version) {
    return { reason: `base version ${op.baseVersion} is not the server version ${current.version}`, serverVersion: current.version };
  }
  if (op.updatedAt != null && current.updated_at != null && op.updatedAt < current.updated_at) {
    return { reason: `updatedAt ${op.updatedAt} is older than the server's ${current.updated_at}`, serverVersion: current.version };
  }
  return null;
}

export function openSyncStore(dbPath: string, limits: Pick<ServerLimits, 'maxPayloadBytes'>): SyncStore {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  // NORMAL keeps WAL commits durable against process death (the fault tests SIGKILL clients, not us).
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);

  const getLedger = db.prepare<[string], LedgerRow>('SELECT collection, record_id, version FROM op_ledger WHERE idempotency_key = ?');
  const getRecord = db.prepare<[string, string], RecordRow>('SELECT version, deleted, data, updated_at FROM records WHERE collection = ? AND record_id = ?');
  const maxSeq = db.prepare<[], { s: number }>('SELECT COALESCE(MAX(seq), 0) AS s FROM records');
  const upsert = db.prepare(
    `INSERT INTO records (collection, record_id, version, deleted, data, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (collection, record_id) DO UPDATE SET version = excluded.version, deleted = excluded.deleted,
       data = excluded.data, updated_at = excluded.updated_at, seq = excluded.seq`,
  );
  const putLedger = db.prepare('INSERT INTO op_ledger (idempotency_key, collection, record_id, op, version, seq) VALUES (?, ?, ?, ?, ?, ?)');
  const changesAfter = db.prepare<[number, number], ChangeRow>(
    'SELECT collection, record_id, version, deleted, data, updated_at, seq FROM records WHERE seq > ? ORDER BY seq LIMIT ?',
  );

  const stats: StoreStats = { applied: 0, duplicate: 0, conflict: 0, rejected: 0 };

  const applyOne = (raw: unknown, nextSeq: () => number): PushResult => {
    const checked = checkOp(raw, limits);
    if (!checked.ok) return { idempotencyKey: checked.idempotencyKey, status: 'rejected', reason: checked.reason };
    const op = checked.op;
    const seen = getLedger.get(op.idempotencyKey);
    if (seen) {
      if (seen.collection !== op.collection || seen.record_id !== op.recordId) {
        return { idempotencyKey: op.idempotencyKey, status: 'rejected', reason: 'idempotency key already used for another record' };
      }
      return { idempotencyKey: op.idempotencyKey, status: 'duplicate', version: seen.version };
    }
    const current = getRecord.get(op.collection, op.recordId);
    const conflict = conflictOf(op, current);
    if (conflict) return { idempotencyKey: op.idempotencyKey, status: 'conflict', ...conflict };
    const version = (current?.version ?? 0) + 1;
    let data: string | null = null;
    if (op.op === 'create') data = JSON.stringify(op.payload);
    // An update is a patch: fields it does not name keep their server value.
    else if (op.op === 'update') data = JSON.stringify({ ...(JSON.parse(current?.data ?? '{}') as object), ...op.payload });
    const updatedAt = op.updatedAt == null ? (current?.updated_at ?? null) : Math.trunc(op.updatedAt);
    const seq = nextSeq();
    upsert.run(op.collection, op.recordId, version, op.op === 'delete' ? 1 : 0, data, updatedAt, seq);
    putLedger.run(op.idempotencyKey, op.collection, op.recordId, op.op, version, seq);
    return { idempotencyKey: op.idempotencyKey, status: 'applied', version };
  };

  const pushTx = db.transaction((rawOps: readonly unknown[]): PushResult[] => {
    let seq = maxSeq.get()?.s ?? 0;
    const nextSeq = (): number => ++seq;
    return rawOps.map((raw) => applyOne(raw, nextSeq));
  });

  return {
    push(rawOps) {
      const results = pushTx(rawOps);
      for (const r of results) if (r.status !== 'retry') stats[r.status]++;
      return results;
    },
    pull(afterSeq, limit) {
      // One row more than asked tells whether another page exists without a COUNT.
      const rows = changesAfter.all(afterSeq, limit + 1);
      const page = rows.slice(0, limit);
      const changes: Change[] = page.map((r) => ({
        collection: r.collection,
        recordId: r.record_id,
        version: r.version,
        deleted: r.deleted === 1,
        data: r.data === null ? null : (JSON.parse(r.data) as Record<string, unknown>),
        updatedAt: r.updated_at,
      }));
      const last = page[page.length - 1];
      return { changes, cursor: String(last ? last.seq : afterSeq), hasMore: rows.length > limit };
    },
    stats: () => ({ ...stats }),
    close: () => db.close(),
  };
}
