/**
 * The three-way run: a device (snapshot or store), a server (Convex export or live backend) and
 * the migrated copy of the device, compared pair by pair in one run. Each pair is an ordinary
 * two-source comparison (`compareSources`), so every pair's report has the usual shape:
 *
 *   a ↔ b         device vs server; `--expect-pending` explains differences by the device's outbox
 *                 and by the migrated copy's `sync_queue` (migrate derives an op for every record
 *                 the device holds differently from the server, queued or not)
 *   a ↔ migrated  did the migration keep every record? Never relaxed by pending ops: migrating
 *                 must not change a record, whatever its outbox says
 *   migrated ↔ b  what the migrated copy would still push; `--expect-pending` explains differences
 *                 by its `sync_queue`
 *
 * The run matches only when all three pairs do: the migration kept everything and every
 * device/server difference is on its way (queued on the device or in the migrated copy). Each source's digests are computed once and
 * shared by the two pairs it is in.
 */
import type { Finding } from '../findings.js';
import { compareSources, type CompareOptions, type CompareReport } from './compare.js';
import type { DigestAccumulator } from './digest.js';
import type { RecordSource, SourceInfo } from './source.js';

export interface ThreeWayReport {
  mode: 'compare-3';
  verdict: 'match' | 'mismatch';
  a: SourceInfo;
  b: SourceInfo;
  migrated: SourceInfo;
  /** The three pairwise comparisons, each a full `compare` report. */
  pairs: { aB: CompareReport; aMigrated: CompareReport; migratedB: CompareReport };
  findings: Finding[];
}

export async function compareThreeWay(
  a: RecordSource,
  b: RecordSource,
  migrated: RecordSource,
  opts: CompareOptions = {},
): Promise<ThreeWayReport> {
  const [sa, sb, sm] = [memoDigests(a), memoDigests(b), memoDigests(migrated)];
  const aB = await compareSources(sa, sb, { ...opts, pendingFrom: [sm] });
  // the migration itself is checked strictly, and b is the one a repair plan would change
  const aMigrated = await compareSources(sa, sm, { ...opts, expectPending: false, repairPlan: false });
  const migratedB = await compareSources(sm, sb, opts);
  const pairs = { aB, aMigrated, migratedB };
  return {
    mode: 'compare-3',
    verdict: Object.values(pairs).every((p) => p.verdict === 'match') ? 'match' : 'mismatch',
    a: a.info,
    b: b.info,
    migrated: migrated.info,
    pairs,
    findings: [],
  };
}

/**
 * A source whose per-collection digests are computed once per set of canonical rules: in a
 * three-way run every source is in two pairs, and a digest is the whole-table scan.
 */
export function memoDigests(source: RecordSource): RecordSource {
  const memo = new Map<string, Promise<DigestAccumulator>>();
  return {
    info: source.info,
    collections: () => source.collections(),
    digest(collection, ctx) {
      const key = JSON.stringify([collection, ctx.hasher.algorithm, ctx.options]);
      let d = memo.get(key);
      if (!d) memo.set(key, (d = source.digest(collection, ctx)));
      return d;
    },
    hashes: (collection, buckets, ctx) => source.hashes(collection, buckets, ctx),
    records: (collection, ids, ctx) => source.records(collection, ids, ctx),
    pendingOps: () => source.pendingOps(),
    close: () => source.close(),
  };
}
