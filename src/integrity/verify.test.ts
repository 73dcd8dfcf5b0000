import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../backends/local/server.js';
import type { Backend, Change } from '../backends/types.js';
import { migrateSnapshot } from '../migrate/run.js';
import { applyUnifiedSchema } from '../schema/index.js';
import { FIXTURES, hashTree, scratchDir } from '../test-support/cli.js';
import { checkSource } from './checks.js';
import { compareSources, type CompareOptions, type CompareReport } from './compare.js';
import { openRecordSource, type OpenedSource } from './open-source.js';
import { unifiedTableSpec } from './unified.js';
import { rowToRecord } from './row-encoder.js';

const TRIPLE = join(FIXTURES, 'snapshots/triple-layer-legacy');
const SQLITE = join(TRIPLE, 'SQLite/mindtrack.db');
const EXPORT = join(TRIPLE, 'server/snapshot_happy-lynx-123_20250314T113000Z.zip');

interface Truth {
  expected_final_state: { records: Record<string, { table: string; id: string; category: string }> };
  expected_pending_ops: { ops: Array<{ table: string; id: string; op: string }> };
  outbox: { entries: Array<{ collection: string; payload: string }> };
}
const truth = JSON.parse(readFileSync(join(TRIPLE, 'truth.json'), 'utf8')) as Truth;

async function compare(a: string, b: string, opts: CompareOptions = {}): Promise<CompareReport> {
  const opened: OpenedSource[] = [];
  try {
    opened.push(await openRecordSource(a));
    opened.push(await openRecordSource(b));
    return await compareSources(opened[0]!.source, opened[1]!.source, opts);
  } finally {
    for (const o of opened) await o.source.close();
  }
}

const ids = (r: CompareReport): string[] => r.differences.map((d) => `${d.collection}:${d.id}:${d.kind}`).sort();

describe('triple-layer fixture: SQLite store vs its Convex export', { timeout: 60_000 }, () => {
  it('reports exactly the records whose device and server copies differ or exist on one side', async () => {
    const before = hashTree(TRIPLE);
    const report = await compare(SQLITE, EXPORT);
    // truth's categories: same → equal on both sides; mmkv_only → on neither; the rest differ
    const kindOf: Record<string, string> = { missing_on_server: 'only-in-a', missing_on_device: 'only-in-b' };
    const expected = Object.values(truth.expected_final_state.records)
      .filter((r) => r.category !== 'same' && r.category !== 'mmkv_only')
      .map((r) => `${r.table}:${r.id}:${kindOf[r.category] ?? 'differs'}`)
      .sort();
    expect(expected).toHaveLength(18);
    expect(ids(report)).toEqual(expected);
    expect(report.verdict).toBe('mismatch');
    // the server-only users table is not a device collection
    expect(report.collections.find((c) => c.collection === 'users')?.status).toBe('skipped');
    // a field-level diff on a server-newer record names the edited fields only
    const a6 = report.differences.find((d) => d.id === 'a6c02ed3-0c32-4dc7-a10c-5e153160ac37')!;
    expect(a6.fields?.map((f) => f.field)).toEqual(['durationSec', 'notes', 'updatedAt', 'version']);
    expect(hashTree(TRIPLE)).toEqual(before);
  });

  it('--expect-pending marks exactly the differences the outbox explains; repair plan is deterministic', async () => {
    const report = await compare(SQLITE, EXPORT, { expectPending: true, repairPlan: true });
    const queued = new Set(truth.outbox.entries.map((e) => `${e.collection}:${(JSON.parse(e.payload) as { id: string }).id}`));
    const expected = report.differences.filter((d) => d.expected).map((d) => `${d.collection}:${d.id}`).sort();
    expect(expected).toEqual(report.differences.map((d) => `${d.collection}:${d.id}`).filter((k) => queued.has(k)).sort());
    expect(report.counts).toMatchObject({ differences: 18, expected: 11, unexpected: 7 });
    expect(report.verdict).toBe('mismatch');
    const plan = report.repairPlan!;
    expect(plan.map((op) => op.op).sort()).toEqual([...Array(3).fill('create'), ...Array(4).fill('delete'), ...Array(11).fill('update')].sort());
    const again = await compare(SQLITE, EXPORT, { repairPlan: true });
    expect(again.repairPlan).toEqual(plan);
  });

  it('the same export against itself matches, with numbers typed', async () => {
    const report = await compare(EXPORT, EXPORT);
    expect(report.rules.numbers).toBe('typed');
    expect(report.verdict).toBe('match');
    expect(report.collections.every((c) => c.status === 'match')).toBe(true);
  });
});

describe('after a migration', { timeout: 60_000 }, () => {
  let dir: string;
  let migrated: string;
  beforeAll(async () => {
    dir = scratchDir();
    migrated = join(dir, 'unified.db');
    await migrateSnapshot({ snapshot: TRIPLE, out: migrated, profile: 'auto', conflict: 'lww', dryRun: false, force: false });
  }, 60_000);

  const edited = (name: string, sql: string, ...params: unknown[]): string => {
    const path = join(dir, name);
    copyFileSync(migrated, path);
    const db = new Database(path);
    db.prepare(sql).run(...params);
    db.close();
    return path;
  };

  it('verify(snapshot, migrated) matches', async () => {
    const report = await compare(TRIPLE, migrated);
    expect(report.a.kind).toBe('legacy-snapshot');
    expect(report.b.kind).toBe('unified-db');
    expect(report.differences).toEqual([]);
    expect(report.verdict).toBe('match');
  });

  it('migrated vs server with --expect-pending: the differences are exactly the pending ops, all expected', async () => {
    const report = await compare(migrated, EXPORT, { expectPending: true });
    const got = report.differences.map((d) => `${d.collection}:${d.id}:${d.expected?.op ?? 'UNEXPECTED'}`).sort();
    const want = truth.expected_pending_ops.ops.map((o) => `${o.table}:${o.id}:${o.op}`).sort();
    expect(got).toEqual(want);
    expect(report.verdict).toBe('match');
    const strict = await compare(migrated, EXPORT);
    expect(strict.verdict).toBe('mismatch');
    expect(strict.counts.unexpected).toBe(want.length);
  });

  it('one flipped field, one deleted row, one added row: exactly those records', async () => {
    const flip = edited('flip.db', "UPDATE moods SET note = 'changed' WHERE client_id = ?", 'a33bf638-930a-494e-b72a-4738a490317c');
    const r1 = await compare(TRIPLE, flip);
    expect(r1.differences).toEqual([
      {
        collection: 'moods',
        id: 'a33bf638-930a-494e-b72a-4738a490317c',
        kind: 'differs',
        fields: [{ field: 'note', a: '"well day rainy slept again felt morning headache"', b: '"changed"' }],
      },
    ]);
    const del = edited('del.db', 'DELETE FROM exercises WHERE client_id = ?', 'b9200844-3c42-4fe8-92f3-692638216f60');
    expect(ids(await compare(TRIPLE, del))).toEqual(['exercises:b9200844-3c42-4fe8-92f3-692638216f60:only-in-a']);
    const add = edited(
      'add.db',
      "INSERT INTO moods (client_id, user_id, mood, rating, created_at, updated_at, sync_status, row_checksum) VALUES ('new-1', 'u', 'calm', 3, 1, 2, 'pending', '0000000000000000')",
    );
    expect(ids(await compare(TRIPLE, add))).toEqual(['moods:new-1:only-in-b']);
  });

  it('single source: a migrated database passes; a tampered row_checksum and an orphan op fail', async () => {
    const ok = await openRecordSource(migrated);
    try {
      const report = await checkSource(ok);
      expect(report.verdict).toBe('pass');
      expect(report.checks.map((c) => c.check)).toEqual(
        expect.arrayContaining(['sqlite-integrity', 'foreign-keys', 'row-checksums', 'migration-digests', 'queue-references']),
      );
    } finally {
      await ok.source.close();
    }
    const bad = edited('bad.db', "UPDATE moods SET note = 'x' WHERE client_id = ?", 'a33bf638-930a-494e-b72a-4738a490317c');
    const db = new Database(bad);
    db.prepare(
      "INSERT INTO sync_queue (id, seq, collection, record_client_id, op, payload, idempotency_key, status) VALUES ('orphan', 9999, 'moods', 'nope', 'update', '{}', 'k-orphan', 'pending')",
    ).run();
    db.close();
    const src = await openRecordSource(bad);
    try {
      const report = await checkSource(src);
      expect(report.verdict).toBe('fail');
      const codes = report.findings.map((f) => `${f.code} ${f.ref ?? ''}`);
      expect(codes).toContain('VERIFY_ROW_CHECKSUM moods#a33bf638-930a-494e-b72a-4738a490317c');
      expect(codes).toContain('VERIFY_MIGRATION_DIGEST moods');
      expect(codes.some((c) => c.startsWith('VERIFY_QUEUE_ORPHAN'))).toBe(true);
    } finally {
      await src.source.close();
    }
  });
});

describe('live backend source', { timeout: 60_000 }, () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
  });
  afterAll(async () => server.close());

  it('pulls the change feed and compares it with a unified database', async () => {
    const dir = scratchDir();
    const path = join(dir, 'u.db');
    const db = new Database(path);
    applyUnifiedSchema(db);
    const insert = db.prepare(
      "INSERT INTO moods (client_id, user_id, mood, rating, tags, created_at, updated_at, version, sync_status, row_checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'synced', '')",
    );
    for (let i = 0; i < 5; i++) insert.run(`m${i}`, 'u1', 'calm', i, '["x"]', 1000 + i, 2000 + i, 1);
    const spec = unifiedTableSpec('moods')!;
    const rows = db.prepare(`SELECT client_id, ${spec.columns.map((c) => c.sql).join(', ')} FROM moods`).raw().all() as unknown[][];
    db.close();
    const { createHttpBackend } = await import('../backends/http.js');
    const client = createHttpBackend({ url: server.url, kind: 'local' });
    const ops = rows.map((row) => {
      const rec = rowToRecord(spec.columns, row);
      return { idempotencyKey: `k-${rec.id}`, collection: 'moods', recordId: rec.id, op: 'create' as const, payload: { ...rec.fields } };
    });
    await client.push(ops);
    expect((await compare(path, `local:${server.url}`)).verdict).toBe('match');
    await client.push([{ idempotencyKey: 'k-upd', collection: 'moods', recordId: 'm2', op: 'update', payload: { rating: 9 } }]);
    const report = await compare(path, `local:${server.url}`);
    expect(report.differences).toEqual([{ collection: 'moods', id: 'm2', kind: 'differs', fields: [{ field: 'rating', a: '2', b: '9' }] }]);
    await client.close();
  });
});

describe('backend source spills the feed to disk', () => {
  it('keeps the last change per record, int64 and tombstones intact, across many pages; removes its file on close', async () => {
    const { backendSource } = await import('./sources/server.js');
    const { digestRecords } = await import('./digest.js');
    const { createRecordHasher } = await import('./record-hash.js');
    const { comparisonContext } = await import('./compare.js');
    const { readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    // 1,200 changes over 3 pull pages: every record written twice, some deleted, int64 values
    const changes: Change[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 600; i++) {
        const deleted = round === 1 && i % 7 === 0;
        changes.push({
          collection: 'userProgress',
          recordId: `r${i}`,
          version: round + 1,
          deleted,
          data: deleted ? null : { totalMinutes: BigInt(i * 10 + round), note: `n${round}`, updatedAt: 1_700_000_000_000 + round },
          updatedAt: 1_700_000_000_000 + round,
        });
      }
    }
    let pulls = 0;
    const backend: Backend = {
      kind: 'convex',
      push: async () => [],
      pull: async (cursor) => {
        pulls++;
        const at = cursor === null ? 0 : Number(cursor);
        return { changes: changes.slice(at, at + 500), cursor: String(at + 500), hasMore: at + 500 < changes.length };
      },
      close: async () => {},
    };
    const feedDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`syncdoc-feed-p${process.pid}-`));
    const before = feedDirs().length;
    const source = backendSource(backend, 'fake', async () => {});
    const hasher = await createRecordHasher();
    const ctx = { ...comparisonContext({}, true), hasher };
    expect(await source.collections()).toEqual(['user_progress']);
    expect(pulls).toBe(3);
    expect(feedDirs().length).toBe(before + 1);
    const got = (await source.digest('user_progress', ctx)).toDigest();
    // ground truth: the last change per record, built in memory here
    const last = new Map<string, Change>();
    for (const ch of changes) last.set(ch.recordId, ch);
    const want = await digestRecords(
      [...last.values()].map((ch) => ({
        id: ch.recordId,
        fields: ch.deleted ? { deletedAt: ch.updatedAt } : { ...ch.data },
      })),
      hasher,
      ctx.rules,
    );
    expect(got).toEqual(want);
    expect(got.count).toBe(600);
    const recs = await source.records('user_progress', new Set(['r1', 'r7']), ctx);
    expect(recs.get('r1')?.fields['totalMinutes']).toBe(11n);
    expect(recs.get('r7')?.fields).toEqual({ deletedAt: 1_700_000_000_001 });
    await source.close();
    expect(feedDirs().length).toBe(before);
  });
});
