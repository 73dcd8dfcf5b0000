import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordHasher } from '../integrity/index.js';
import { openSnapshot } from '../snapshot/open.js';
import { FIXTURES, scratchDir, hashTree } from '../test-support/cli.js';
import { loadLegacy } from './load.js';
import { snakeCase } from './normalise.js';
import { planMigration } from './plan.js';
import { migrateSnapshot } from './run.js';
import type { MigrationPlan } from './types.js';

const FIXTURE = join(FIXTURES, 'snapshots', 'triple-layer-legacy');

interface ExpectedRecord {
  table: string;
  id: string;
  category: string;
  winner: string;
  mmkv_relation: string;
  final_exists: boolean;
  final: Record<string, unknown> | null;
}
interface ExpectedOp {
  table: string;
  id: string;
  op: string;
  server_id: string | null;
}
const truth = JSON.parse(readFileSync(join(FIXTURE, 'truth.json'), 'utf8')) as {
  expected_final_state: { records: Record<string, ExpectedRecord> };
  expected_pending_ops: { count: number; ops: ExpectedOp[] };
};
const expected = Object.values(truth.expected_final_state.records);

let db: Database.Database;
let plan: MigrationPlan;
let inputsBefore: Record<string, string>;

beforeAll(async () => {
  inputsBefore = hashTree(FIXTURE);
  const out = join(scratchDir(), 'unified.db');
  await migrateSnapshot({ snapshot: FIXTURE, out, profile: 'auto', conflict: 'lww', dryRun: false, force: false });
  db = new Database(out, { readonly: true });
  const snapshot = await openSnapshot(FIXTURE);
  try {
    const loaded = await loadLegacy(snapshot, { profile: 'auto' });
    plan = planMigration(loaded.input, { conflict: 'lww' }, await createRecordHasher(), { aliases: loaded.aliases });
  } finally {
    snapshot.close();
  }
}, 120_000);
afterAll(() => db?.close());

/** The truth's neutral camelCase record → the unified row's columns and values. */
function expectedRow(final: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(final)) {
    const col = k === 'id' ? 'client_id' : snakeCase(k);
    row[col] = Array.isArray(v) ? JSON.stringify(v) : v;
  }
  return row;
}

function check(rec: ExpectedRecord): void {
  const row = db.prepare(`SELECT * FROM "${rec.table}" WHERE client_id = ?`).get(rec.id) as Record<string, unknown> | undefined;
  expect(row, `${rec.table}:${rec.id} must exist (live or as a tombstone)`).toBeDefined();
  if (rec.final === null) {
    expect(row!['deleted_at'], `${rec.table}:${rec.id} is deleted`).not.toBeNull();
  } else {
    expect(row!['deleted_at'], `${rec.table}:${rec.id} is live`).toBeNull();
    const want = expectedRow(rec.final);
    const got = Object.fromEntries(Object.keys(want).map((k) => [k, row![k]]));
    expect(got, `${rec.table}:${rec.id}`).toEqual(want);
  }
  const decision = plan.decisions.find((d) => d.collection === rec.table && d.clientId === rec.id);
  expect(decision?.winner, `${rec.table}:${rec.id} winner`).toBe(rec.winner);
}

describe('triple-layer fixture vs truth.json', () => {
  it('has exactly the expected records, no more', () => {
    for (const table of ['moods', 'exercises', 'user_progress']) {
      const ids = (db.prepare(`SELECT client_id FROM ${table} ORDER BY client_id`).all() as Array<{ client_id: string }>).map((r) => r.client_id);
      expect(ids).toEqual(expected.filter((e) => e.table === table).map((e) => e.id).sort());
    }
  });

  const categories = [...new Set(expected.map((e) => e.category))].sort();
  it.each(categories)('category %s: every record exists with the expected fields and winner', (category) => {
    const recs = expected.filter((e) => e.category === category);
    expect(recs.length).toBeGreaterThan(0);
    for (const rec of recs) check(rec);
  });

  const relations = [...new Set(expected.map((e) => e.mmkv_relation))].sort();
  it.each(relations)('MMKV relation %s: every record exists with the expected fields and winner', (relation) => {
    for (const rec of expected.filter((e) => e.mmkv_relation === relation)) check(rec);
  });

  it('has a pending op for every expected pending op, carrying the final record, and no other pending op', () => {
    const pending = db.prepare("SELECT * FROM sync_queue WHERE status = 'pending' ORDER BY seq").all() as Array<Record<string, unknown>>;
    expect(pending).toHaveLength(truth.expected_pending_ops.count);
    for (const op of truth.expected_pending_ops.ops) {
      const rows = pending.filter((r) => r['collection'] === op.table && r['record_client_id'] === op.id);
      expect(rows, `${op.table}:${op.id}`).toHaveLength(1);
      const row = rows[0]!;
      expect(row['op'], `${op.table}:${op.id} op`).toBe(op.op);
      const payload = JSON.parse(String(row['payload'])) as Record<string, unknown>;
      expect(payload['server_id']).toBe(op.server_id);
      const final = truth.expected_final_state.records[`${op.table}:${op.id}`]!.final;
      if (final !== null) {
        // the payload is the final record, never a stale queued copy
        expect(payload['updated_at']).toBe(final['updatedAt']);
        expect(payload['version']).toBe(final['version']);
      } else {
        expect(payload['deleted_at']).not.toBeNull();
      }
    }
  });

  it('marks the stale MMKV pendingSync update done as superseded, keeps seq order and attempts', () => {
    const stale = db.prepare("SELECT * FROM sync_queue WHERE record_client_id = '69831c27-3e87-4d18-a216-22dd62b2e22b'").all() as Array<Record<string, unknown>>;
    expect(stale).toHaveLength(1);
    expect(stale[0]!['status']).toBe('done');
    expect(String(stale[0]!['status_reason'])).toMatch(/^superseded/);
    const seqs = (db.prepare('SELECT seq FROM sync_queue ORDER BY rowid').all() as Array<{ seq: number }>).map((r) => r.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const retried = db.prepare("SELECT attempts, last_error FROM sync_queue WHERE id = 'outbox/6'").get() as { attempts: number; last_error: string };
    expect(retried.attempts).toBe(2);
    expect(retried.last_error).toMatch(/network timeout/);
    const keys = db.prepare('SELECT count(DISTINCT idempotency_key) AS n, count(*) AS m FROM sync_queue').get() as { n: number; m: number };
    expect(keys.n).toBe(keys.m);
  });

  it('records sources, counts and digests in migration_log, and leaves the inputs untouched', () => {
    const log = db.prepare('SELECT * FROM migration_log').get() as Record<string, string>;
    const sources = JSON.parse(log['sources']!) as Array<{ path: string; sha256: string }>;
    expect(sources.map((s) => s.path).sort()).toEqual(['SQLite/mindtrack.db', 'mmkv/mmkv.default', 'server/snapshot_happy-lynx-123_20250314T113000Z.zip']);
    for (const s of sources) expect(s.sha256).toBe(inputsBefore[s.path]);
    const counts = JSON.parse(log['counts']!) as Record<string, { in: number; migrated: number; merged: number; setAside: number }>;
    for (const c of Object.values(counts)) expect(c.in).toBe(c.migrated + c.merged + c.setAside);
    expect(Object.keys(JSON.parse(log['digests']!) as object).sort()).toEqual(['exercises', 'moods', 'user_progress']);
    expect(hashTree(FIXTURE)).toEqual(inputsBefore);
  });

  it('derives sync_status: pending exactly for the records with a pending op', () => {
    const pendingIds = new Set(truth.expected_pending_ops.ops.map((o) => `${o.table}:${o.id}`));
    for (const rec of expected) {
      const row = db.prepare(`SELECT sync_status FROM "${rec.table}" WHERE client_id = ?`).get(rec.id) as { sync_status: string };
      expect(row.sync_status, `${rec.table}:${rec.id}`).toBe(pendingIds.has(`${rec.table}:${rec.id}`) ? 'pending' : 'synced');
    }
  });
});

describe('triple-layer fixture under the other conflict rules', () => {
  async function planWith(conflict: 'server-wins' | 'device-wins') {
    const snapshot = await openSnapshot(FIXTURE);
    try {
      const loaded = await loadLegacy(snapshot, { profile: 'auto' });
      return planMigration(loaded.input, { conflict }, await createRecordHasher(), { aliases: loaded.aliases });
    } finally {
      snapshot.close();
    }
  }

  it('server-wins: every record the server holds takes the server copy; only records new to the server are pending', async () => {
    const p = await planWith('server-wins');
    for (const d of p.decisions) {
      const onServer = d.candidates.some((c) => c.layer === 'server');
      if (onServer) {
        expect(['server', 'equal'], `${d.collection}:${d.clientId}`).toContain(d.winner);
        expect(d.syncStatus).toBe('synced');
      } else {
        expect(d.syncStatus).toBe('pending');
      }
    }
    const pending = p.queue.filter((q) => q.status === 'pending');
    expect(pending.every((q) => q.op === 'create')).toBe(true);
    expect(pending).toHaveLength(p.decisions.filter((d) => !d.candidates.some((c) => c.layer === 'server')).length);
  });

  it('device-wins: a record on the device takes the newest device copy, even over a newer server edit', async () => {
    const p = await planWith('device-wins');
    const serverNewer = p.decisions.find((d) => d.clientId === '22e14563-17c1-4295-806d-cc7de8740582')!;
    expect(serverNewer.winner).toBe('device-sqlite');
    expect(serverNewer.syncStatus).toBe('pending');
    const serverOnly = p.decisions.find((d) => d.clientId === '41baed61-0e28-4dfb-a139-8a9a1910eaef')!;
    expect(serverOnly.winner).toBe('server');
    for (const d of p.decisions) {
      if (d.candidates.some((c) => c.layer !== 'server') && d.winner !== 'equal') expect(d.winner, d.clientId).not.toBe('server');
    }
  });
});
