import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSnapshot } from '../snapshot/open.js';
import type { Snapshot } from '../snapshot/types.js';
import { copyFixture, FIXTURES, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import { openOps, readOutbox } from './read-outbox.js';

type Truth = { outbox: Record<string, unknown> };
const opened: Snapshot[] = [];
afterAll(() => opened.forEach((s) => s.close()));

async function open(name: string): Promise<{ snap: Snapshot; truth: Truth; copy: string }> {
  const copy = copyFixture(`snapshots/${name}`);
  const snap = await openSnapshot(copy);
  opened.push(snap);
  const truth = JSON.parse(readFileSync(join(FIXTURES, 'snapshots', name, 'truth.json'), 'utf8')) as Truth;
  return { snap, truth, copy };
}

function truthIds(truth: Truth): string[] {
  // one queue (`outbox.entries`) or one per redux-persist slice (`outbox.<slice>.entries`)
  const entries = (v: unknown): Array<{ id: unknown }> | undefined => (v as { entries?: Array<{ id: unknown }> }).entries;
  const top = entries(truth.outbox);
  if (Array.isArray(top)) return top.map((e) => String(e.id));
  return Object.values(truth.outbox).flatMap((slice) => (entries(slice) ?? []).map((e) => String(e.id)));
}

describe('readOutbox on every fixture', () => {
  const cases: Array<[string, string, number]> = [
    ['drizzle-expo-wal', 'drizzle', 8],
    ['drizzle-expo-wal-missing', 'drizzle', 3],
    ['hybrid-queue-basic', 'hybrid', 59],
    ['watermelondb-basic', 'watermelondb', 15],
    ['triple-layer-legacy', 'triple-layer', 11],
    ['asyncstorage-redux-persist-android', 'redux-persist', 11],
  ];
  it.each(cases)('%s: every truth.json queue entry, in send order, as %s', async (name, shape, count) => {
    const { snap, truth } = await open(name);
    const outbox = readOutbox(snap);
    expect(outbox.ops).toHaveLength(count);
    expect(new Set(outbox.ops.map((o) => o.shape))).toEqual(new Set([shape]));
    const ids = outbox.ops.map((o) => o.id);
    // truth.json lists redux-persist slices in slice order; the reader visits them in the same order
    expect(ids).toEqual(truthIds(truth));
    expect(outbox.ops.map((o) => o.position)).toEqual(ids.map((_, i) => i));
    for (const op of outbox.ops) {
      expect(op.op).not.toBeNull();
      expect(op.recordId).toBeTruthy();
      expect(op.collection).toBeTruthy();
      expect(op.payloadError).toBeNull();
    }
  });

  it.each(cases)('%s: { records: false } gives the same ops and queues, without record states', async (name) => {
    const { snap } = await open(name);
    const full = readOutbox(snap);
    const opsOnly = readOutbox(snap, { records: false });
    expect(opsOnly.ops).toEqual(full.ops);
    expect(opsOnly.queues).toEqual(full.queues);
    expect(opsOnly.records).toEqual([]);
    expect(full.records.length).toBeGreaterThan(0);
  });

  it('drizzle-expo-wal: queue rows that live only in the -wal are read', async () => {
    const { snap } = await open('drizzle-expo-wal');
    const outbox = readOutbox(snap);
    expect(outbox.ops.map((o) => Number(o.id))).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(outbox.queues[0]?.walMissing).toBe(false);
  });

  it('drizzle-expo-wal-missing: flags the queue as read without its WAL', async () => {
    const { snap } = await open('drizzle-expo-wal-missing');
    expect(readOutbox(snap).queues[0]?.walMissing).toBe(true);
  });

  it('hybrid: keeps keys, sequence numbers, depends_on and maps statuses', async () => {
    const { snap } = await open('hybrid-queue-basic');
    const outbox = readOutbox(snap);
    const byId = new Map(outbox.ops.map((o) => [o.id, o]));
    const child = byId.get('ac151f47-b331-4045-ba29-589754c70fcb');
    expect(child?.dependsOn).toEqual(['1e0b932b-1373-41bb-af2d-3ee05d853328']);
    expect(child?.idempotencyKey).toBe(
      (truthEntry('hybrid-queue-basic', 'ac151f47-b331-4045-ba29-589754c70fcb') as { idempotency_key: string }).idempotency_key,
    );
    expect(byId.get('b230ff0e-bfe9-4a36-9f4f-95ee5b18c048')?.status).toBe('in_flight');
    expect(byId.get('1e0b932b-1373-41bb-af2d-3ee05d853328')).toMatchObject({ status: 'failed', attempts: 5, maxAttempts: 5 });
    expect(outbox.ops.filter((o) => o.status === 'done')).toHaveLength(44);
    expect(openOps(outbox).map((o) => o.id)).toEqual((readTruth('hybrid-queue-basic').outbox as { open_op_ids: string[] }).open_op_ids);
    expect(outbox.ops[0]?.deviceId).toBe('dev-A1B2');
    expect(outbox.ops.map((o) => o.seq).slice(-6)).toEqual([54, 55, 58, 59, 60, 61]);
  });

  it('triple layer: record ids come from the payload and resolve to their tables', async () => {
    const { snap } = await open('triple-layer-legacy');
    const outbox = readOutbox(snap);
    const op6 = outbox.ops.find((o) => o.id === '6');
    expect(op6).toMatchObject({ collection: 'moods', recordId: '31a4a92b-8155-4cb5-b251-adc47ef7f049', recordTable: 'moods', attempts: 2 });
    expect(op6?.lastError).toContain('network timeout');
  });

  it('redux-persist: entries from each slice, with retry budget and the slice records', async () => {
    const { snap } = await open('asyncstorage-redux-persist-android');
    const outbox = readOutbox(snap);
    const poison = outbox.ops.find((o) => o.id === 'sq_qu_0003');
    expect(poison).toMatchObject({ attempts: 3, maxAttempts: 3, op: 'update', recordId: 'q_00003', collection: 'quote' });
    const dirty = outbox.records.find((r) => r.recordId === 'gp_0000o');
    expect(dirty).toMatchObject({ dirty: true, syncStatus: 'pending', table: 'persist:root/guidedMeditation' });
    expect(outbox.ops.every((o) => o.deviceId === outbox.ops[0]?.deviceId && o.deviceId !== null)).toBe(true);
  });

  it('watermelondb: REAL timestamps become integer ms; records carry _status', async () => {
    const { snap } = await open('watermelondb-basic');
    const outbox = readOutbox(snap);
    expect(outbox.ops.every((o) => Number.isInteger(o.createdAt) && o.createdAtUnit === 'ms')).toBe(true);
    const rec = outbox.records.find((r) => r.recordId === 'yiaw8p7p1bgyyhsh');
    expect(rec).toMatchObject({ localStatus: 'updated', syncStatus: 'synced', dirty: true });
  });

  it('reading never modifies the snapshot', async () => {
    const copy = copyFixture('snapshots/hybrid-queue-basic');
    const before = hashTree(copy);
    const snap = await openSnapshot(copy);
    readOutbox(snap);
    snap.close();
    expect(hashTree(copy)).toEqual(before);
  });
});

function readTruth(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, 'snapshots', name, 'truth.json'), 'utf8')) as Record<string, unknown>;
}

function truthEntry(name: string, id: string): unknown {
  return (readTruth(name).outbox as { entries: Array<{ id: string }> }).entries.find((e) => e.id === id);
}

describe('readOutbox on large stores', () => {
  it('reads a queue beside a 200k-row record table (no call-stack overflow)', async () => {
    const copy = copyFixture('snapshots/drizzle-expo-wal');
    const db = new Database(join(copy, 'SQLite', 'tasks.db'));
    db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000)
      INSERT INTO tasks (client_id, user_id, text, created_at, updated_at)
      SELECT 'bulk-' || i, 'u', 'x', 1741942800000, 1741942800000 FROM c`);
    db.close();
    const snap = await openSnapshot(copy);
    opened.push(snap);
    const outbox = readOutbox(snap);
    expect(outbox.ops).toHaveLength(8);
    expect(outbox.records.filter((r) => r.recordId.startsWith('bulk-'))).toHaveLength(200000);
  }, 60_000);
});

describe('readOutbox on iOS AsyncStorage', () => {
  it('reads a redux-persist syncQueue from manifest.json, including a value spilled to its md5 file', async () => {
    const root = join(scratchDir(), 'RCTAsyncLocalStorage_V1');
    mkdirSync(root, { recursive: true });
    const slice = {
      items: [{ id: 'n1', text: 'hello', syncMetadata: { isDirty: true, syncStatus: 'pending' } }],
      syncQueue: [{ id: 'q1', entityType: 'note', entityId: 'n1', action: 'CREATE', data: { id: 'n1', text: 'hello' }, timestamp: 1741000000000, retryCount: 1, maxRetries: 3 }],
    };
    const persist = JSON.stringify({ notes: JSON.stringify(slice), _persist: JSON.stringify({ version: -1 }) });
    // values over 1 KiB live in a side file named by the md5 of the key; test that path too
    writeFileSync(join(root, createHash('md5').update('persist:root').digest('hex')), persist);
    writeFileSync(join(root, 'manifest.json'), JSON.stringify({ 'persist:root': null, '@app/device_id': 'ios-device-1' }));
    const snap = await openSnapshot(root);
    opened.push(snap);
    const outbox = readOutbox(snap);
    expect(outbox.queues.map((q) => q.shape)).toEqual(['redux-persist']);
    expect(outbox.ops).toHaveLength(1);
    expect(outbox.ops[0]).toMatchObject({ id: 'q1', op: 'create', recordId: 'n1', collection: 'note', attempts: 1, maxAttempts: 3, deviceId: 'ios-device-1' });
    expect(outbox.records[0]).toMatchObject({ recordId: 'n1', dirty: true });
  });
});

describe('readOutbox on the unified schema', () => {
  it('reads the sync_queue that `syncdoc migrate` writes (built binary)', async () => {
    const out = join(scratchDir(), 'unified.db');
    const r = await runCli(['migrate', copyFixture('snapshots/triple-layer-legacy'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const snap = await openSnapshot(out);
    opened.push(snap);
    const outbox = readOutbox(snap);
    expect(outbox.queues.map((q) => q.shape)).toEqual(['unified']);
    expect(openOps(outbox).length).toBeGreaterThan(0);
    for (const op of outbox.ops) {
      expect(op.op).not.toBeNull();
      expect(op.idempotencyKey).toBeTruthy();
      expect(op.recordTable).not.toBeNull();
      expect(op.status).not.toBe('unknown');
    }
  });
});
