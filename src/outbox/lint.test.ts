import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSnapshot } from '../snapshot/open.js';
import type { Snapshot } from '../snapshot/types.js';
import { copyFixture, FIXTURES, scratchDir } from '../test-support/cli.js';
import { createRedactor } from '../privacy/redact.js';
import { FINDING_CODES } from './finding-codes.js';
import { compareClocks, lintOutbox, type OutboxFinding, type OutboxLintReport } from './lint.js';
import { readOutbox } from './read-outbox.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const opened: Snapshot[] = [];
afterAll(() => opened.forEach((s) => s.close()));

interface Anomaly {
  id: string;
  type: string;
  where: Record<string, unknown>;
}

async function lintFixture(name: string): Promise<{ report: OutboxLintReport; anomalies: Anomaly[]; truth: Record<string, unknown> }> {
  const snap = await openSnapshot(copyFixture(`snapshots/${name}`));
  opened.push(snap);
  const truth = JSON.parse(readFileSync(join(FIXTURES, 'snapshots', name, 'truth.json'), 'utf8')) as { anomalies: Anomaly[] } & Record<string, unknown>;
  return { report: lintOutbox(readOutbox(snap), { nowMs: NOW }), anomalies: truth.anomalies, truth };
}

function findingsWith(report: OutboxLintReport, code: string): OutboxFinding[] {
  return report.findings.filter((f) => f.code === code);
}

/** Asserts one finding of `code` names every id in `ops` and `records`. */
function expectReported(report: OutboxLintReport, code: string, ids: { ops?: string[]; records?: string[] }): void {
  const hit = findingsWith(report, code).find(
    (f) => (ids.ops ?? []).every((id) => f.ops.includes(id)) && (ids.records ?? []).every((id) => f.records.includes(id)),
  );
  expect(hit, `${code} naming ${JSON.stringify(ids)} in ${JSON.stringify(report.findings.map((f) => [f.code, f.ops, f.records]))}`).toBeDefined();
}

/**
 * Anomalies planted in the fixtures that are not about the queue: they belong to inspect (WAL
 * contents, lost rows) or verify/migrate (divergence between layers, MMKV copies).
 */
const NOT_QUEUE = /^(wal_only_changes|lost_local_changes|divergence:|mmkv:(?!pending_sync_vs_outbox))/;

/** How each planted queue anomaly type must be reported. */
const EXPECT: Record<string, (report: OutboxLintReport, a: Anomaly, truth: Record<string, unknown>) => void> = {
  'mmkv:pending_sync_vs_outbox': (r, a, truth) => {
    const pending = (truth['mmkv'] as { pending_sync: Array<{ opId: string; recordId: string; in_sqlite_outbox: boolean }> }).pending_sync;
    const notInOutbox = pending.filter((p) => !p.in_sqlite_outbox);
    expect(notInOutbox).toHaveLength(a.where['not_in_sqlite_outbox'] as number);
    const hit = findingsWith(r, 'OUTBOX_MIRROR_NOT_IN_OUTBOX').find((f) => f.ref?.startsWith(a.where['store'] as string));
    expect(hit?.ops).toEqual(notInOutbox.map((p) => p.opId));
    expect(hit?.records).toEqual(notInOutbox.map((p) => p.recordId));
  },
  retries_exhausted: (r, a) => {
    const w = a.where as { queue_id?: string; entityId?: string; ids?: string[] };
    expectReported(r, 'OUTBOX_POISON', { ops: w.ids ?? [w.queue_id as string], records: w.entityId ? [w.entityId] : [] });
  },
  dirty_but_synced: (r, a) => expectReported(r, 'OUTBOX_STATUS_MISMATCH', { records: [a.where['entityId'] as string] }),
  orphan_queue_entry: (r, a) => {
    const w = a.where as { queue_id?: string; entityId?: string; document_ids?: string[] };
    for (const rec of w.document_ids ?? [w.entityId as string]) {
      expectReported(r, 'OUTBOX_ORPHAN', { ops: w.queue_id ? [w.queue_id] : [], records: [rec] });
    }
  },
  dirty_without_queue_entry: (r, a) => expectReported(r, 'OUTBOX_MISSING_OP', { records: [a.where['entityId'] as string] }),
  wal_missing: (r) => expect(findingsWith(r, 'OUTBOX_WAL_MISSING')).toHaveLength(1),
  stale_outbox: (r, a) => expectReported(r, 'OUTBOX_WAL_MISSING', { records: a.where['record_client_ids'] as string[] }),
  failed_dependency_chain: (r, a) => {
    for (const chain of a.where['chains'] as string[][]) {
      expectReported(r, 'OUTBOX_BLOCKED_BY_FAILED', { ops: chain });
      expectReported(r, 'OUTBOX_POISON', { ops: [chain[0] as string] });
    }
  },
  concurrent_vector_clocks: (r, a) => {
    for (const rec of a.where['records'] as Array<{ entity_id: string; pending_op_id: string }>) {
      expectReported(r, 'OUTBOX_CLOCK_CONCURRENT', { ops: [rec.pending_op_id], records: [rec.entity_id] });
    }
  },
  stuck_in_progress: (r, a) => {
    for (const op of a.where['ops'] as Array<{ id: string }>) expectReported(r, 'OUTBOX_STUCK_IN_FLIGHT', { ops: [op.id] });
  },
  sequence_gap: (r, a) => {
    for (const gap of a.where['gaps'] as Array<{ after: number; next: number; missing_count: number }>) {
      const hit = findingsWith(r, 'OUTBOX_SEQ_GAP').find((f) => f.message.includes(`from ${gap.after} to ${gap.next} (${gap.missing_count} missing)`));
      expect(hit).toBeDefined();
      expect(hit?.ops).toHaveLength(2);
    }
  },
  retrying_op: (r, a) => expectReported(r, 'OUTBOX_RETRYING', { records: [a.where['payload_id'] as string] }),
  duplicate_queue_entry: (r, a) => expectReported(r, 'OUTBOX_DUPLICATE_OP', { records: a.where['document_ids'] as string[] }),
  status_mismatch: (r, a) => {
    for (const rec of a.where['records'] as Array<{ id: string }>) expectReported(r, 'OUTBOX_STATUS_MISMATCH', { records: [rec.id] });
  },
};

const FIXTURE_NAMES = [
  'asyncstorage-redux-persist-android',
  'drizzle-expo-wal',
  'drizzle-expo-wal-missing',
  'hybrid-queue-basic',
  'triple-layer-legacy',
  'watermelondb-basic',
];

describe('outbox lint on the fixtures', () => {
  it.each(FIXTURE_NAMES)('%s: every planted queue anomaly is reported, naming the planted ids', async (name) => {
    const { report, anomalies, truth } = await lintFixture(name);
    for (const a of anomalies) {
      if (NOT_QUEUE.test(a.type)) continue;
      const check = EXPECT[a.type];
      expect(check, `no expectation for planted anomaly type ${a.type}`).toBeDefined();
      check?.(report, a, truth);
    }
    for (const f of report.findings) {
      expect(FINDING_CODES[f.code]?.severity).toBe(f.severity);
      expect(f.ops.length + f.records.length).toBeGreaterThan(0);
    }
  });

  it.each(['drizzle-expo-wal', 'triple-layer-legacy'])('%s: a clean queue has no error findings (exit 0)', async (name) => {
    const { report } = await lintFixture(name);
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(report.verdict).toBe('pass');
  });

  it('queues with planted errors fail', async () => {
    for (const name of ['asyncstorage-redux-persist-android', 'drizzle-expo-wal-missing', 'hybrid-queue-basic', 'watermelondb-basic']) {
      expect((await lintFixture(name)).report.verdict).toBe('fail');
    }
  });

  it('--redact hides the last error text of poison ops', async () => {
    const snap = await openSnapshot(copyFixture('snapshots/hybrid-queue-basic'));
    opened.push(snap);
    const report = lintOutbox(readOutbox(snap), { nowMs: NOW, redactor: createRedactor() });
    const poison = findingsWith(report, 'OUTBOX_POISON')[0];
    expect(poison?.message).not.toContain('latitude');
    expect(poison?.message).toContain('‹text-');
  });
});

/** A unified-shape queue (no UNIQUE constraints, so the anomalies can be planted) with its records. */
function syntheticQueue(): string {
  const dir = scratchDir();
  const path = join(dir, 'unified.db');
  const db = new Database(path);
  db.exec(`
    CREATE TABLE sync_queue (id TEXT PRIMARY KEY, seq INTEGER, collection TEXT, record_client_id TEXT, op TEXT, payload TEXT,
      idempotency_key TEXT, status TEXT, attempts INTEGER, max_attempts INTEGER, next_attempt_at INTEGER, last_error TEXT,
      depends_on TEXT, created_at INTEGER);
    CREATE TABLE notes (client_id TEXT PRIMARY KEY, body TEXT, sync_status TEXT, updated_at INTEGER, deleted_at INTEGER);
  `);
  const notes = db.prepare('INSERT INTO notes VALUES (?, ?, ?, ?, NULL)');
  for (const [id, status] of [['n1', 'pending'], ['n2', 'pending'], ['n3', 'pending'], ['n4', 'pending'], ['lost', 'pending'], ['n6', 'synced']]) {
    notes.run(id, 'text', status, 1_700_000_000_000);
  }
  const q = db.prepare('INSERT INTO sync_queue VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)');
  const t = 1_700_000_000_000;
  const rows: Array<[string, number | null, string, string, string, string | null, string, string, number, number, string | null, number]> = [
    // id, seq, collection, record, op, payload, key, status, attempts, max, depends_on, created_at
    ['u1', 1, 'notes', 'n1', 'update', '{"body":"b"}', 'k1', 'pending', 0, 5, null, t + 1],
    ['c1', 2, 'notes', 'n1', 'create', '{"body":"a"}', 'k2', 'pending', 0, 5, null, t + 2],
    ['d2', 3, 'notes', 'n2', 'delete', null, 'k3', 'pending', 0, 5, null, t + 3],
    ['u2', 4, 'notes', 'n2', 'update', '{"body":"x"}', 'k3', 'pending', 0, 5, null, t + 4],
    ['a', 5, 'notes', 'n3', 'update', '{"body":"a"}', 'k5', 'pending', 0, 5, '["b"]', t + 5],
    ['b', 6, 'notes', 'n4', 'update', '{"body":"b"}', 'k6', 'pending', 0, 5, '["a"]', t + 6],
    ['dang', 7, 'notes', 'n6', 'update', '{"body":"q"}', 'k7', 'pending', 0, 5, 'nowhere', t + 7],
    ['weird', 7, 'notes', 'n6', 'upsert_all', '{"body":"q"}', 'k8', 'paused', 0, 5, null, t + 8],
    ['noseq', null, 'notes', 'n6', 'update', 'not json', 'k9', 'pending', 0, 5, null, t + 9],
    ['proto', 10, 'notes', 'n6', 'update', '{"__proto__":{"admin":true}}', 'k10', 'pending', 0, 5, null, t + 10],
    ['future', 11, 'notes', 'n6', 'update', '{"body":"f"}', 'k11', 'pending', 0, 5, null, Date.parse('2030-01-01')],
    ['secs', 12, 'notes', 'n6', 'update', '{"body":"s"}', 'k12', 'pending', 0, 5, null, 1_700_000_100],
    ['rk1', 13, 'notes', 'n6', 'update', '{"body":"same"}', 'k13', 'pending', 0, 5, null, t + 13],
    ['rk2', 14, 'notes', 'n6', 'update', '{"body":"same"}', 'k14', 'pending', 0, 5, null, t + 14],
  ];
  for (const r of rows) q.run(...r);
  db.close();
  return path;
}

describe('outbox lint on a synthetic unified queue', () => {
  it('reports each planted anomaly with its code, ops and records', async () => {
    const snap = await openSnapshot(syntheticQueue());
    opened.push(snap);
    const outbox = readOutbox(snap);
    expect(outbox.queues[0]?.shape).toBe('unified');
    const report = lintOutbox(outbox, { nowMs: NOW });
    expectReported(report, 'OUTBOX_BEFORE_CREATE', { ops: ['u1', 'c1'], records: ['n1'] });
    expectReported(report, 'OUTBOX_AFTER_DELETE', { ops: ['d2', 'u2'], records: ['n2'] });
    expectReported(report, 'OUTBOX_DUPLICATE_KEY', { ops: ['d2', 'u2'] });
    expectReported(report, 'OUTBOX_DEPENDENCY_CYCLE', { ops: ['a', 'b'], records: ['n3', 'n4'] });
    expectReported(report, 'OUTBOX_DEPENDENCY_DANGLING', { ops: ['dang'] });
    expectReported(report, 'OUTBOX_SEQ_DUPLICATE', { ops: ['dang', 'weird'] });
    expectReported(report, 'OUTBOX_SEQ_NULL', { ops: ['noseq'] });
    expectReported(report, 'OUTBOX_INVALID_STATUS', { ops: ['weird'] });
    expectReported(report, 'OUTBOX_INVALID_OP', { ops: ['weird'] });
    expectReported(report, 'OUTBOX_PAYLOAD_INVALID', { ops: ['noseq'] });
    expectReported(report, 'OUTBOX_PAYLOAD_PROTO_KEY', { ops: ['proto'] });
    expectReported(report, 'OUTBOX_TIMESTAMP_FUTURE', { ops: ['future'] });
    expectReported(report, 'OUTBOX_TIMESTAMP_UNITS_MIXED', { ops: ['secs'] });
    expectReported(report, 'OUTBOX_CREATED_AT_ORDER', { ops: ['future', 'secs'] });
    expectReported(report, 'OUTBOX_DUPLICATE_OP_REKEYED', { ops: ['rk1', 'rk2'], records: ['n6'] });
    expectReported(report, 'OUTBOX_MISSING_OP', { records: ['lost'] });
    expect(findingsWith(report, 'OUTBOX_MISSING_OP').flatMap((f) => f.records)).toEqual(['lost']);
    expect(report.verdict).toBe('fail');
  });
});

describe('compareClocks', () => {
  it('orders clocks component-wise', () => {
    expect(compareClocks({ a: 1 }, { a: 1 })).toBe('equal');
    expect(compareClocks({ a: 1 }, { a: 2 })).toBe('before');
    expect(compareClocks({ a: 2, b: 1 }, { a: 2 })).toBe('after');
    expect(compareClocks({ a: 2 }, { b: 1 })).toBe('concurrent');
  });
});
