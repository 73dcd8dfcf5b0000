/**
 * Test and bench support: writes a SQLite database with a unified `sync_queue` (DESIGN.md's
 * outbox shape) and its `notes` table, holding `records × opsPerRecord` pending ops (a create, then
 * updates), plus what a server must hold after every op is applied exactly once. Deterministic:
 * the same arguments give the same file contents.
 */
import Database from 'better-sqlite3';

export interface SyntheticOutbox {
  path: string;
  ops: number;
  /** recordId → the record the server must end with (version = ops applied to it). */
  expected: Map<string, { version: number; data: Record<string, unknown> }>;
}

export function writeSyntheticOutbox(path: string, records: number, opsPerRecord: number, collection = 'notes'): SyntheticOutbox {
  const db = new Database(path);
  try {
    db.exec(`
      CREATE TABLE sync_queue (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, collection TEXT NOT NULL,
        record_client_id TEXT NOT NULL, op TEXT NOT NULL, payload TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL, status_reason TEXT, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER,
        next_attempt_at INTEGER, last_error TEXT, depends_on TEXT, created_at INTEGER);
      CREATE TABLE ${collection} (client_id TEXT PRIMARY KEY, body TEXT, n INTEGER, sync_status TEXT NOT NULL, updated_at INTEGER);
    `);
    const insertOp = db.prepare('INSERT INTO sync_queue (id, seq, collection, record_client_id, op, payload, idempotency_key, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const insertRec = db.prepare(`INSERT INTO ${collection} (client_id, body, n, sync_status, updated_at) VALUES (?, ?, ?, 'pending', ?)`);
    const expected = new Map<string, { version: number; data: Record<string, unknown> }>();
    const t0 = 1_741_000_000_000;
    let seq = 0;
    db.transaction(() => {
      // round-robin over records so a record's ops are spread through the queue, like a real app's
      for (let k = 0; k < opsPerRecord; k++) {
        for (let r = 0; r < records; r++) {
          const recordId = `rec-${String(r).padStart(6, '0')}`;
          seq++;
          const updatedAt = t0 + seq;
          const payload = k === 0 ? { body: `note ${r} written on the device`, n: 0, updatedAt } : { n: k, updatedAt };
          insertOp.run(`op-${seq}`, seq, collection, recordId, k === 0 ? 'create' : 'update', JSON.stringify(payload), `key-${seq}`, 'pending', updatedAt);
          const prev = expected.get(recordId);
          expected.set(recordId, { version: k + 1, data: { ...(prev?.data ?? {}), ...payload } });
          if (k === opsPerRecord - 1) insertRec.run(recordId, `note ${r} written on the device`, k, updatedAt);
        }
      }
    })();
    return { path, ops: seq, expected };
  } finally {
    db.close();
  }
}
