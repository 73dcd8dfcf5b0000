import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecordHasher, type RecordHasher } from '../integrity/index.js';
import type { OutboxOp } from '../outbox/types.js';
import { NormaliseLog, normaliseRow } from './normalise.js';
import { planMigration } from './plan.js';
import type { ConflictRule, FieldMapping, Layer, LegacyInput, SourceBatch } from './types.js';

let hasher: RecordHasher;
beforeAll(async () => {
  hasher = await createRecordHasher();
});

const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];
const COLLECTIONS = ['moods', 'journal'];
const MAPPING: Record<Layer, FieldMapping> = {
  sqlite: { id: 'id', serverId: 'server_id', updatedAt: 'updated_at', deletedAt: 'deleted_at', status: { field: 'sync_status', pending: ['pending'], deleted: ['deleted'], synced: ['synced'] } },
  mmkv: { id: 'id', serverId: 'serverId', updatedAt: 'updatedAt' },
  asyncstorage: { id: 'id', updatedAt: 'updatedAt' },
  server: { id: 'clientId', serverId: '_id', updatedAt: 'updatedAt', deletedAt: 'deletedAt' },
};

const time = fc.oneof(
  fc.integer({ min: 1_700_000_000, max: 1_700_000_100 }), // seconds
  fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }), // ms
  fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }).map((ms) => new Date(ms).toISOString()),
  fc.constant(null),
  fc.constant('not a time'),
);

const rawRow = (layer: Layer) =>
  fc.record(
    {
      id: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...IDS) }, { weight: 1, arbitrary: fc.constant('') }),
      serverId: fc.option(fc.constantFrom('s1', 's2', 's3'), { nil: null }),
      updated: time,
      deleted: fc.boolean(),
      mood: fc.string({ maxLength: 4 }),
      rating: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant('3'), fc.constant('x')),
      status: fc.constantFrom('pending', 'synced', 'deleted'),
    },
    { requiredKeys: [] },
  ).map((r) => {
    const m = MAPPING[layer];
    const row: Record<string, unknown> = { [m.id]: r.id, mood: r.mood, rating: r.rating };
    if (m.serverId !== undefined) row[m.serverId] = r.serverId ?? null;
    if (m.updatedAt !== undefined) row[m.updatedAt] = r.updated ?? null;
    if (m.deletedAt !== undefined && r.deleted === true) row[m.deletedAt] = r.updated ?? 1_700_000_000_000;
    if (m.status !== undefined) row[m.status.field] = r.status ?? 'synced';
    return row;
  });

const opArb = fc.record({
  collection: fc.constantFrom(...COLLECTIONS, 'nope'),
  recordId: fc.option(fc.constantFrom(...IDS, 'zz'), { nil: null }),
  op: fc.constantFrom<OutboxOp['op']>('create', 'update', 'delete', null),
  status: fc.constantFrom<OutboxOp['status']>('pending', 'in_flight', 'failed', 'done', 'unknown'),
  badPayload: fc.boolean(),
  proto: fc.boolean(),
  key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: null }),
});

const storeArb = fc.record({
  layers: fc.array(fc.tuple(fc.constantFrom(...COLLECTIONS), fc.constantFrom<Layer>('sqlite', 'mmkv', 'asyncstorage', 'server')), { maxLength: 5 }),
  rows: fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }), { maxLength: 5 }),
  ops: fc.array(opArb, { maxLength: 12 }),
  conflict: fc.constantFrom<ConflictRule>('lww', 'device-wins', 'server-wins'),
  seedRows: fc.array(fc.tuple(rawRow('sqlite'), rawRow('mmkv'), rawRow('asyncstorage'), rawRow('server')), { minLength: 4, maxLength: 4 }),
});

type Store = typeof storeArb extends fc.Arbitrary<infer T> ? T : never;

function buildInput(s: Store): { input: LegacyInput; rawCount: Record<string, number> } {
  const log = new NormaliseLog();
  const batches: SourceBatch[] = [];
  const rawCount: Record<string, number> = Object.fromEntries(COLLECTIONS.map((c) => [c, 0]));
  const layerIndex: Record<Layer, number> = { sqlite: 0, mmkv: 1, asyncstorage: 2, server: 3 };
  s.layers.forEach(([collection, layer], i) => {
    const source = `${layer}-${i}`;
    const picks = s.rows[i] ?? [];
    const rows = picks.map((p) => (s.seedRows[p] as unknown[] | undefined)?.[layerIndex[layer]] ?? null);
    rawCount[collection]! += rows.length;
    const records = rows.map((r, idx) => normaliseRow(r, idx, { collection, layer, source, mapping: MAPPING[layer], log })).filter((r) => r !== null);
    batches.push({ collection, layer, source, records });
  });
  const ops: OutboxOp[] = s.ops.map((o, i) => ({
    id: String(i),
    shape: 'unified',
    store: 'db',
    queue: 'q',
    position: i,
    seq: i,
    collection: o.collection,
    recordId: o.recordId,
    recordTable: o.collection,
    op: o.op,
    rawOp: o.op ?? 'frobnicate',
    payload: o.badPayload ? null : o.proto ? (JSON.parse('{"__proto__":{"x":1}}') as Record<string, unknown>) : { id: o.recordId },
    payloadText: null,
    payloadError: o.badPayload ? 'invalid JSON' : null,
    idempotencyKey: o.key,
    status: o.status,
    rawStatus: o.status,
    attempts: 0,
    maxAttempts: null,
    lastError: null,
    dependsOn: [],
    createdAt: 1_700_000_000_000 + i,
    createdAtUnit: 'ms',
    lastAttemptAt: null,
    nextAttemptAt: null,
    deviceId: null,
    baseVersion: null,
    updatedAt: null,
  }));
  const server = new Set(batches.filter((b) => b.layer === 'server').map((b) => b.collection));
  return {
    rawCount,
    input: {
      profile: 'property',
      profileReason: 'generated',
      collections: COLLECTIONS,
      serverCollections: [...server],
      batches,
      bulk: [],
      setAside: log.setAside,
      fidelity: log.fidelity,
      timestampDecisions: log.timestampDecisions(),
      ops,
      syncMeta: [],
      keyValueKeys: [],
      sources: [],
      findings: [],
      newestTimestamp: null,
    },
  };
}

describe('planMigration over random legacy stores', () => {
  it('accounts for every record (in = migrated + merged + set aside) and every op, with one open op per pending record', () => {
    fc.assert(
      fc.property(storeArb, (s) => {
        const { input, rawCount } = buildInput(s);
        const plan = planMigration(input, { conflict: s.conflict }, hasher);
        for (const c of COLLECTIONS) {
          const n = plan.counts[c]!;
          expect(n.in).toBe(rawCount[c]);
          expect(n.in).toBe(n.migrated + n.merged + n.setAside);
          const finals = plan.records.filter((r) => r.collection === c);
          expect(finals).toHaveLength(n.migrated);
          // the unified tables' UNIQUE columns hold
          expect(new Set(finals.map((f) => f.clientId)).size).toBe(finals.length);
          const serverIds = finals.map((f) => f.serverId).filter((x) => x !== null);
          expect(new Set(serverIds).size).toBe(serverIds.length);
        }
        // every source record's id is a final record (linked by client id or server id) or reported as merged into one
        for (const b of input.batches) {
          for (const r of b.records) {
            const found =
              plan.records.some((f) => f.collection === r.collection && (f.clientId === r.clientId || (r.serverId !== null && f.serverId === r.serverId))) ||
              plan.duplicates.some((d) => d.collection === r.collection && d.merged.some((m) => m === r.clientId || m.startsWith(`${r.clientId}@`)));
            expect(found, `${r.collection}:${r.clientId}`).toBe(true);
          }
        }
        // queue: every legacy op once, then backfills; seq 1..n; unique keys
        const legacy = plan.queue.filter((q) => q.origin !== 'backfill');
        expect(legacy.map((q) => q.origin)).toEqual(input.ops.map((o) => `db#q:${o.id}`));
        expect(plan.queue.map((q) => q.seq)).toEqual(plan.queue.map((_, i) => i + 1));
        expect(new Set(plan.queue.map((q) => q.idempotencyKey)).size).toBe(plan.queue.length);
        // malformed entries are dead, never open
        for (const [i, o] of input.ops.entries()) {
          if (o.collection === 'nope' || o.op === null || o.payloadError !== null || o.status === 'unknown' || o.recordId === null || (o.payload !== null && Object.hasOwn(o.payload, '__proto__'))) {
            expect(legacy[i]!.status, `op ${i}`).toBe('dead');
          }
        }
        // exactly one open op per record that still needs one; none for the others
        const open = plan.queue.filter((q) => q.status === 'pending' || q.status === 'in_flight' || q.status === 'failed');
        for (const f of plan.records) {
          const mine = open.filter((q) => q.collection === f.collection && q.recordClientId === f.clientId);
          const needs = f.syncStatus === 'pending' || f.syncStatus === 'failed';
          expect(mine.length, `${f.collection}:${f.clientId} ${f.syncStatus}`).toBe(needs ? 1 : 0);
          for (const q of mine) expect((JSON.parse(q.payload) as { client_id: string }).client_id).toBe(f.clientId);
        }
        for (const q of open) {
          const known = plan.records.some((f) => f.collection === q.collection && f.clientId === q.recordClientId);
          if (!known) expect(q.op, 'only a delete may outlive its record').toBe('delete');
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);

  it('is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(storeArb, (s) => {
        const a = planMigration(buildInput(s).input, { conflict: s.conflict }, hasher);
        const b = planMigration(buildInput(s).input, { conflict: s.conflict }, hasher);
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      }),
      { numRuns: 50 },
    );
  });
});
