// The bulk rows' checksums hashed ahead on scan workers (a large migration) must write the very
// bytes the inline checksum function writes, with the same digests; both paths run here on the
// same plan, and a plan whose bulk rows were hashed ahead is checked by re-reading the output.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRecordHasher } from '../integrity/index.js';
import { workerScript } from '../integrity/scan-pool.js';
import { openSnapshot } from '../snapshot/open.js';
import { scratchDir } from '../test-support/cli.js';
import { checkOutput, hashBulkRows, migrateScanContext, migrationPool, withoutGeneralRows, writePlan } from './apply.js';
import { loadLegacy } from './load.js';
import { planMigration } from './plan.js';
import { generateTripleLayerSnapshot } from './synthetic.js';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
/** The plan written and on disk: its digests. */
async function applyPlan(...args: Parameters<typeof writePlan>): Promise<Record<string, string>> {
  const { digests, synced } = await writePlan(...args);
  await synced;
  return digests;
}

describe('bulk checksums hashed ahead', () => {
  it('write the same bytes and digests as the inline checksum function', async () => {
    expect(workerScript(), 'build first: the worker script runs from dist/').toBeDefined();
    const dir = scratchDir();
    const snap = join(dir, 'snapshot');
    await generateTripleLayerSnapshot(snap, { rows: 30_000, mmkvRows: 500, serverRows: 0 });
    const hasher = await createRecordHasher();
    const snapshot = await openSnapshot(snap);
    const pool = migrationPool();
    expect(pool).toBeDefined();
    try {
      const loaded = await loadLegacy(snapshot, { profile: 'auto', scan: migrateScanContext(hasher, pool), hashAhead: true });
      const plan = planMigration(loaded.input, { conflict: 'lww' }, hasher, { aliases: loaded.aliases });
      expect(plan.bulk.reduce((n, b) => n + b.count, 0)).toBeGreaterThan(20_000);
      // every row was hashed ahead, range by range, and the general path's rows (MMKV copies,
      // pending ones) taken out
      expect(loaded.ahead.size).toBe(plan.bulk.length);
      for (const ranges of loaded.ahead.values()) for (const r of ranges) expect(await r.hashes).toBeDefined();
      const inline = await applyPlan(plan, join(dir, 'inline.db'), hasher);
      const hashed = await applyPlan(plan, join(dir, 'ahead.db'), hasher, {}, loaded.ahead);
      expect(hashed).toEqual(inline);
      expect(sha(join(dir, 'ahead.db'))).toBe(sha(join(dir, 'inline.db')));
      expect(checkOutput(join(dir, 'ahead.db'), hasher, hashed).ok).toBe(true);
      // small ranges, every third one as if its worker had failed (those are hashed inline)
      const b = plan.bulk[0]!;
      const general = JSON.parse(b.generalRowids!) as number[];
      const ranges = hashBulkRows(b, migrateScanContext(hasher, pool), 4096)!;
      expect(ranges.length).toBeGreaterThan(5);
      const mixed = ranges.map((r, i) => ({ ...r, hashes: i % 3 === 1 ? Promise.resolve(undefined) : r.hashes.then((h) => h && withoutGeneralRows(h, general)) }));
      const patched = await applyPlan(plan, join(dir, 'mixed.db'), hasher, {}, new Map([[b, mixed]]));
      expect(patched).toEqual(inline);
      expect(sha(join(dir, 'mixed.db'))).toBe(sha(join(dir, 'inline.db')));
    } finally {
      await pool?.close();
      snapshot.close();
    }
  }, 120_000);
});
