// Planning on a worker thread while the bulk copy is written must change nothing: the plan the
// worker returns equals the in-process one, an input structured clone cannot carry faithfully is
// planned in-process, and a database written with its bulk copy begun before the plan was known
// has the very bytes of one written from the finished plan.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordHasher } from '../integrity/index.js';
import { openSnapshot } from '../snapshot/open.js';
import { scratchDir } from '../test-support/cli.js';
import { applyPlan, earlyCollection, migrateScanContext, migrationPool, writePlan } from './apply.js';
import type { BulkCopy } from './bulk.js';
import { loadLegacy } from './load.js';
import { planMigration } from './plan.js';
import { plainData, Planner } from './plan-thread.js';
import { generateTripleLayerSnapshot } from './synthetic.js';
import type { LegacyInput, SourceBatch } from './types.js';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('plainData', () => {
  it('accepts primitives, arrays and plain objects only', () => {
    expect(plainData({ a: [1, 'x', null, true, { b: 2n, c: undefined }], d: Object.create(null) as object })).toBe(true);
    expect(plainData({ raw: Buffer.from('ab') })).toBe(false);
    expect(plainData([new Map()])).toBe(false);
    expect(plainData({ f: () => 1 })).toBe(false);
    expect(plainData({ when: new Date(0) })).toBe(false);
  });
});

describe('earlyCollection', () => {
  const input = (batches: Array<[string, number]>, bulk: string[], collections: string[]): LegacyInput =>
    ({
      collections,
      batches: batches.map(([collection, n]) => ({ collection, records: Array.from({ length: n }, () => ({})) }) as unknown as SourceBatch),
      bulk: bulk.map((collection) => ({ collection, count: 1 }) as BulkCopy),
    }) as LegacyInput;
  it('is the first collection holding rows, when it has a bulk copy', () => {
    expect(earlyCollection(input([['moods', 3], ['tasks', 2]], ['moods'], ['tasks', 'moods', 'exercises']))).toEqual({ collections: ['exercises', 'moods', 'tasks'], early: 'moods' });
    expect(earlyCollection(input([['exercises', 0], ['moods', 3]], ['moods'], ['moods', 'exercises'])).early).toBe('moods');
    // an earlier collection with records comes first: nothing may be written before the plan
    expect(earlyCollection(input([['exercises', 1], ['moods', 3]], ['moods'], ['moods', 'exercises'])).early).toBeNull();
    expect(earlyCollection(input([['moods', 3]], [], ['moods'])).early).toBeNull();
    // a batch's collection outside the profile's list still counts, in sorted order
    expect(earlyCollection(input([['abc', 1]], ['moods'], ['moods']))).toEqual({ collections: ['abc', 'moods'], early: null });
  });
});

describe('planning on a worker', () => {
  it('gives the in-process plan, and the bytes of applying the finished plan', async () => {
    const dir = scratchDir();
    const snap = join(dir, 'snapshot');
    await generateTripleLayerSnapshot(snap, { rows: 30_000, mmkvRows: 500, serverRows: 0 });
    const hasher = await createRecordHasher();
    const snapshot = await openSnapshot(snap);
    const pool = migrationPool();
    const planner = new Planner();
    try {
      const loaded = await loadLegacy(snapshot, { profile: 'auto', scan: migrateScanContext(hasher, pool), hashAhead: true });
      const here = planMigration(loaded.input, { conflict: 'lww' }, hasher, { aliases: loaded.aliases });
      const there = await planner.plan(loaded.input, { conflict: 'lww' }, hasher, { aliases: loaded.aliases });
      expect(there).toEqual(here);
      expect(there.bulk).toBe(loaded.input.bulk);

      const head = earlyCollection(loaded.input);
      expect(head.early).toBe('moods');
      // the plan arrives only after a while: the bulk copy has been written by then
      const late = new Promise<typeof here>((resolve) => setTimeout(() => resolve(here), 300));
      const written = await writePlan({ ...head, bulk: loaded.input.bulk, plan: late }, join(dir, 'early.db'), hasher, {}, loaded.ahead);
      await written.synced;
      const whole = await applyPlan(here, join(dir, 'whole.db'), hasher);
      expect(written.digests).toEqual(whole);
      expect(sha(join(dir, 'early.db'))).toBe(sha(join(dir, 'whole.db')));

      // a plan that does not start as the head said is refused, not written out of order
      const wrong = { ...head, collections: [...head.collections, 'zzz'], bulk: loaded.input.bulk, plan: Promise.resolve(here) };
      await expect(writePlan(wrong, join(dir, 'wrong.db'), hasher)).rejects.toThrow(/pending head/);
    } finally {
      await Promise.all([pool?.close(), planner.close()]);
      snapshot.close();
    }
  }, 120_000);

  it('plans in-process an input a structured clone would change', async () => {
    const hasher = await createRecordHasher();
    const raw = Buffer.from([1, 2, 3]);
    const input: LegacyInput = {
      profile: 'x',
      profileReason: 'test',
      collections: ['moods'],
      serverCollections: [],
      batches: [],
      bulk: [],
      setAside: [{ collection: 'moods', source: 's', index: 0, reason: 'not an object', raw }],
      fidelity: [],
      timestampDecisions: [],
      ops: [],
      syncMeta: [],
      keyValueKeys: [],
      sources: [],
      findings: [],
      newestTimestamp: 1,
    };
    const planner = new Planner();
    try {
      const plan = await planner.plan(input, { conflict: 'lww' }, hasher);
      expect(plan).toEqual(planMigration(input, { conflict: 'lww' }, hasher));
      expect(Buffer.isBuffer(plan.setAside[0]!.raw)).toBe(true);
    } finally {
      await planner.close();
    }
  });
});
