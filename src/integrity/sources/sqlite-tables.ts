/**
 * A record source over SQLite tables described by `TableSpec`s (the unified database, a legacy
 * layout, any SQLite file). Digests and bucket hashes are computed by `runScan` over rowid ranges,
 * one range per worker when the pool has several, so large tables use every core; full records
 * are fetched by id only for the few that differ. Collections that are not one table per
 * collection (the unified `records` table) come in as plain scans.
 */
import Database from 'better-sqlite3';
import { InputError } from '../../errors.js';
import { quoteIdent } from '../../readers/sqlite.js';
import type { LogicalRecord } from '../canonical.js';
import { DigestAccumulator } from '../digest.js';
import { rowToRecord } from '../row-encoder.js';
import { runScanTask } from '../scan-pool.js';
import { streamingSource, type PendingOp, type RecordSource, type ScanContext, type SourceInfo } from '../source.js';
import { rowidSpan, selectSql, splitSpan, type ScanRange, type ScanResult, type ScanTask, type TableSpec } from '../table-scan.js';

/** Below this many rowids a table is scanned as one task (a worker's start-up costs more). */
const SPLIT_MIN_ROWS = 50_000;
const ID_CHUNK = 500;

export interface SqliteSourceOptions {
  info: SourceInfo;
  /** syncdoc's private copy of the database, opened read-only. */
  dbPath: string;
  specs: TableSpec[];
  /** Collections read by a custom scan instead of a table spec. */
  scans?: Record<string, (db: Database.Database) => Iterable<LogicalRecord>>;
  pendingOps?: () => Promise<PendingOp[]>;
  onClose?: () => void;
  /** Tables with fewer rowids are scanned as one task (default 50,000). */
  splitMinRows?: number;
}

export function sqliteTableSource(opts: SqliteSourceOptions): RecordSource {
  const db = new Database(opts.dbPath, { readonly: true, fileMustExist: true });
  const specs = new Map(opts.specs.map((s) => [s.collection, s]));
  const scans = opts.scans ?? {};
  const custom = streamingSource(
    opts.info,
    async () => Object.keys(scans),
    (collection) => toAsync(scans[collection]!(db)),
  );
  const specOf = (collection: string): TableSpec => {
    const spec = specs.get(collection);
    if (!spec) throw new Error(`no collection ${collection} in ${opts.info.label}`);
    return spec;
  };

  function ranges(spec: TableSpec, ctx: ScanContext): ScanRange[] {
    const parts = ctx.pool?.size ?? 1;
    if (!spec.hasRowid || parts < 2) return [null];
    const span = rowidSpan(db, spec.table);
    if (span === null || span === 'empty' || span[1] - span[0] + 1 < (opts.splitMinRows ?? SPLIT_MIN_ROWS)) return [null];
    return splitSpan(span, parts);
  }

  /** A table that cannot be read (damaged page, locked, odd schema) is bad input, not a bug. */
  const unreadable = (err: unknown, spec: TableSpec): never => {
    throw new InputError(`cannot read table ${spec.table}: ${err instanceof Error ? err.message : String(err)}`, {
      code: 'E_VERIFY_READ',
      subject: opts.info.label,
      hint: `check the store alone: syncdoc verify ${opts.info.label}`,
      cause: err,
    });
  };

  /** One task per rowid range, run on the pool (or in-process), results in range order. */
  const scanRanges = (spec: TableSpec, ctx: ScanContext, task: (range: ScanRange) => ScanTask): Promise<ScanResult[]> =>
    Promise.all(ranges(spec, ctx).map((range) => runScanTask(task(range), ctx, db))).catch((err: unknown) => unreadable(err, spec));

  return {
    info: opts.info,
    async collections() {
      return [...specs.keys(), ...Object.keys(scans)].sort();
    },
    async digest(collection, ctx) {
      if (collection in scans) return custom.digest(collection, ctx);
      const spec = specOf(collection);
      const results = await scanRanges(spec, ctx, (range) => ({ mode: 'digest', dbPath: opts.dbPath, spec, range }));
      const acc = new DigestAccumulator();
      for (const r of results) if (r.mode === 'digest') acc.merge(r);
      return acc;
    },
    async hashes(collection, buckets, ctx) {
      if (collection in scans) return custom.hashes(collection, buckets, ctx);
      const spec = specOf(collection);
      const list = [...buckets];
      const results = await scanRanges(spec, ctx, (range) => ({ mode: 'hashes', dbPath: opts.dbPath, spec, range, buckets: list }));
      const out = new Map<string, bigint>();
      for (const r of results) {
        if (r.mode !== 'hashes') continue;
        r.ids.forEach((id, i) => {
          const prev = out.get(id);
          // a duplicated id (no PK) keeps both copies in its hash, so the bucket still mismatches
          out.set(id, prev === undefined ? r.hashes[i]! : BigInt.asUintN(64, prev + r.hashes[i]!));
        });
      }
      return out;
    },
    async records(collection, ids, ctx) {
      if (collection in scans) return custom.records(collection, ids, ctx);
      const spec = specOf(collection);
      const { sql, kept } = selectSql(spec, ctx.rules, null);
      const all = [...ids];
      const out = new Map<string, LogicalRecord>();
      for (let i = 0; i < all.length; i += ID_CHUNK) {
        const chunk = all.slice(i, i + ID_CHUNK);
        const joiner = spec.where === undefined ? ' WHERE ' : ' AND ';
        const stmt = db.prepare(`${sql}${joiner}(${spec.idSql}) IN (${chunk.map(() => '?').join(',')})`).raw(true);
        stmt.safeIntegers(ctx.rules.typedNumbers);
        for (const row of stmt.iterate(...chunk) as IterableIterator<unknown[]>) {
          const rec = rowToRecord(kept, row);
          out.set(rec.id, rec);
        }
      }
      return out;
    },
    pendingOps: opts.pendingOps ?? (async () => []),
    async close() {
      db.close();
      opts.onClose?.();
    },
  };
}

async function* toAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}
