/**
 * One record source made of several (a snapshot with more than one SQLite store). Each collection
 * is served by the first part that has it, in store path order; a collection name found in two
 * stores is served by the first and the clash is visible in `collections()`'s owner map.
 */
import type { PendingOp, RecordSource, SourceInfo } from '../source.js';

export function compositeSource(
  info: SourceInfo,
  parts: RecordSource[],
  extra: { pendingOps: () => Promise<PendingOp[]>; close: () => Promise<void> },
): RecordSource {
  let owners: Promise<Map<string, RecordSource>> | undefined;
  const ownerMap = (): Promise<Map<string, RecordSource>> =>
    (owners ??= (async () => {
      const m = new Map<string, RecordSource>();
      for (const p of parts) for (const c of await p.collections()) if (!m.has(c)) m.set(c, p);
      return m;
    })());
  const owner = async (collection: string): Promise<RecordSource> => {
    const p = (await ownerMap()).get(collection);
    if (!p) throw new Error(`no collection ${collection} in ${info.label}`);
    return p;
  };
  return {
    info,
    collections: async () => [...(await ownerMap()).keys()].sort(),
    digest: async (c, ctx) => (await owner(c)).digest(c, ctx),
    hashes: async (c, buckets, ctx) => (await owner(c)).hashes(c, buckets, ctx),
    records: async (c, ids, ctx) => (await owner(c)).records(c, ids, ctx),
    pendingOps: extra.pendingOps,
    async close() {
      for (const p of parts) await p.close();
      await extra.close();
    },
  };
}
