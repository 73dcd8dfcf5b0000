/**
 * Apply and verify: the plan is written into a fresh temporary file beside the output (schema by
 * Drizzle's migrator, then every row in one transaction, in a fixed order), and the file is read
 * back to recompute each collection's digest and compare it with the plan's. The temporary file is
 * never the output: a crash here leaves the output path untouched. Page size, encoding and journal
 * settings are set explicitly so the bytes depend only on the plan and the SQLite library.
 */
import { readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { availableParallelism } from 'node:os';
import { DigestAccumulator, hex64, resolveRules, SYNC_ONLY_FIELDS, type CollectionDigest, type RecordHasher } from '../integrity/index.js';
import { ScanPool, runScanTask, workerScript } from '../integrity/scan-pool.js';
import { NO_HASH, rowidSpan, splitSpan } from '../integrity/table-scan.js';
import type { ScanContext } from '../integrity/source.js';
import { unifiedTableSpec } from '../integrity/unified.js';
import { applyUnifiedSchema } from '../schema/index.js';
import { bulkWhere, type BulkCopy } from './bulk.js';
import { CollectionDigester, contentSelect, encoderOf, layoutOf, rowEncoderOf, rowValues, type CollectionLayout } from './rows.js';
import type { MigrationPlan } from './types.js';
import { quoteIdent, quoteLiteral } from '../readers/sqlite.js';

export interface ApplyHooks {
  /** Called after each committed step (tests use it to find crash points; the CLI for progress). */
  onStep?: (step: string) => void;
}

const QUEUE_COLUMNS = [
  'id',
  'seq',
  'collection',
  'record_client_id',
  'op',
  'payload',
  'idempotency_key',
  'status',
  'status_reason',
  'attempts',
  'max_attempts',
  'next_attempt_at',
  'last_error',
  'depends_on',
  'created_at',
];

/** Page cache for writing the new database (KiB); the benchmark's ceiling uses the same. */
export const APPLY_CACHE_KIB = 262_144;

function insertSql(table: string, columns: string[]): string {
  return `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
}

export function syncdocVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const pkg = JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** What migration_log stores as the report: everything but the per-record lists of routine records. */
export function storedReport(plan: MigrationPlan): object {
  return {
    profile: plan.profile,
    profileReason: plan.profileReason,
    nowSource: plan.nowSource,
    decisions: plan.decisions.filter((d) => d.candidates.length > 1 || d.syncStatus !== 'synced'),
    duplicates: plan.duplicates,
    setAside: plan.setAside,
    fidelity: plan.fidelity,
    timestampDecisions: plan.timestampDecisions,
    keyValueKeys: plan.keyValueKeys,
    findings: plan.findings,
  };
}

/**
 * Writes the plan into `tempPath` (replacing any leftover there) and fsyncs it. `digests` are the
 * complete per-collection digests: the plan's, plus the bulk-copied rows digested as they were
 * inserted. A bulk copy hashed ahead (`ahead`) is inserted range by range as each range's checksums
 * arrive, so the rows already hashed go in while the scan workers hash the rest. The fsync runs on
 * libuv's thread pool and `synced` settles when the file is on disk, so the caller can re-read
 * (verify) the file meanwhile; it must await `synced` before publishing.
 */
export async function writePlan(
  plan: MigrationPlan,
  tempPath: string,
  hasher: RecordHasher,
  hooks: ApplyHooks = {},
  ahead: ReadonlyMap<BulkCopy, readonly AheadRange[]> = new Map(),
): Promise<{ digests: Record<string, string>; synced: Promise<void> }> {
  rmSync(tempPath, { force: true });
  rmSync(`${tempPath}-journal`, { force: true });
  const db = new Database(tempPath);
  let complete: Record<string, string> = {};
  try {
    db.pragma('page_size = 4096');
    db.pragma('encoding = "UTF-8"');
    db.pragma('auto_vacuum = NONE');
    // the temp file is thrown away on any failure, so it needs no rollback journal
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    // a million-row table's indexes outgrow SQLite's default 2 MB page cache many times over
    db.pragma(`cache_size = -${APPLY_CACHE_KIB}`);
    applyUnifiedSchema(db);
    hooks.onStep?.('schema');
    // ATTACH cannot run inside a transaction: every bulk source is attached first
    const aliases = new Map<string, string>();
    for (const b of plan.bulk) {
      if (aliases.has(b.localPath)) continue;
      const alias = `legacy${aliases.size}`;
      db.prepare(`ATTACH DATABASE ? AS ${alias}`).run(b.localPath);
      aliases.set(b.localPath, alias);
    }
    const bulkDigests = new Map<string, DigestAccumulator>();
    const digests = (): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const c of plan.collections) {
        const planned = DigestAccumulator.fromDigest(JSON.parse(plan.digests[c]!) as CollectionDigest);
        const extra = bulkDigests.get(c);
        out[c] = JSON.stringify((extra === undefined ? planned : planned.merge(extra)).toDigest());
      }
      return out;
    };
    // one transaction, begun by hand: the bulk ranges hashed ahead are awaited inside it
    db.exec('BEGIN');
    try {
      for (const collection of plan.collections) {
        const layout = layoutOf(collection);
        for (const b of plan.bulk.filter((x) => x.collection === collection)) {
          const acc = bulkDigests.get(collection) ?? new DigestAccumulator();
          bulkDigests.set(collection, acc);
          const alias = aliases.get(b.localPath)!;
          const ranges = ahead.get(b);
          if (ranges === undefined) {
            insertHashingInline(db, b, null, layout, alias, hasher, acc);
            continue;
          }
          let written = 0;
          for (const r of ranges) {
            const pre = await r.hashes;
            if (pre === undefined) written += insertHashingInline(db, b, [r.lo, r.hi], layout, alias, hasher, acc);
            else {
              written += insertPrecomputed(db, b, pre, layout.table, layout.columns, alias);
              acc.merge(pre);
            }
          }
          if (written !== b.count) throw new Error(`bulk copy of ${b.table}: ${written} row(s) written, ${b.count} planned`);
        }
        const stmt = db.prepare(insertSql(layout.table, layout.columns));
        for (const r of plan.records) if (r.collection === collection) stmt.run(rowValues(layout, r));
      }
      const q = db.prepare(insertSql('sync_queue', QUEUE_COLUMNS));
      for (const r of plan.queue) {
        q.run([
          r.id,
          r.seq,
          r.collection,
          r.recordClientId,
          r.op,
          r.payload,
          r.idempotencyKey,
          r.status,
          r.statusReason,
          r.attempts,
          r.maxAttempts,
          r.nextAttemptAt,
          r.lastError,
          r.dependsOn,
          r.createdAt,
        ]);
      }
      complete = digests();
      const m = db.prepare(insertSql('sync_metadata', ['collection', 'cursor', 'last_sync_at', 'initial_sync_complete']));
      for (const s of plan.syncMeta) m.run([s.collection, s.cursor, s.lastSyncAt, s.initialSyncComplete ? 1 : 0]);
      db.prepare(
        insertSql('migration_log', [
          'id',
          'migrated_at',
          'profile',
          'conflict_rule',
          'sources',
          'counts',
          'digests',
          'report',
          'syncdoc_version',
        ]),
      ).run([
        1,
        plan.nowMs,
        plan.profile,
        plan.conflict,
        JSON.stringify(plan.sources),
        JSON.stringify(plan.counts),
        JSON.stringify(complete),
        JSON.stringify(storedReport(plan)),
        syncdocVersion(),
      ]);
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
    for (const alias of aliases.values()) db.exec(`DETACH DATABASE ${alias}`);
    hooks.onStep?.('rows');
  } finally {
    db.close();
  }
  return { digests: complete, synced: fsyncFile(tempPath) };
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface OutputCheck {
  ok: boolean;
  /** Collections whose recomputed digest differs from the recorded one. */
  mismatched: string[];
  digests: Record<string, string>;
}

/**
 * Recomputes every collection's digest from the rows of a unified database and compares it with
 * the digests its migration_log recorded (and, when given, with the plan's).
 */
export function checkOutput(path: string, hasher: RecordHasher, expected?: Record<string, string>): OutputCheck {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return checkOutputOn(db, hasher, expected);
  } finally {
    db.close();
  }
}

function checkOutputOn(db: Database.Database, hasher: RecordHasher, expected?: Record<string, string>): OutputCheck {
  {
    // structural damage surfaces as unreadable rows or differing digests; a full
    // integrity_check scan is `syncdoc verify`'s job, not a second pass over every page here
    const log = db.prepare('SELECT digests FROM migration_log ORDER BY id DESC LIMIT 1').get() as { digests: string } | undefined;
    const recorded = log === undefined ? {} : (JSON.parse(log.digests) as Record<string, string>);
    const want = expected ?? recorded;
    const digests: Record<string, string> = {};
    const mismatched: string[] = [];
    for (const collection of Object.keys(want).sort()) {
      const layout = layoutOf(collection);
      const encode = encoderOf(layout);
      const digester = new CollectionDigester(hasher);
      const { sql, params } = contentSelect(layout);
      const encodeRow = rowEncoderOf(layout);
      for (const row of db.prepare(sql).raw().iterate(...params) as Iterable<unknown[]>) {
        const id = String(row[0]);
        digester.add(id, encodeRow === undefined ? encode(id, row.slice(1)) : encodeRow(row));
      }
      digests[collection] = JSON.stringify(digester.digest());
      if (digests[collection] !== want[collection] || (expected !== undefined && recorded[collection] !== want[collection])) {
        mismatched.push(collection);
      }
    }
    return { ok: mismatched.length === 0 && log !== undefined, mismatched, digests };
  }
}

/** Below this many rowids a collection's table is re-read in-process (a worker's start-up costs more). */
const PARALLEL_MIN_ROWS = 50_000;

/**
 * `checkOutput` for large outputs: the same digests recomputed from the written rows, but each big
 * table is read by worker threads over rowid ranges (one range per worker, each with its own
 * read-only connection), so the re-read uses every core. The rows go through the same row encoder
 * (`unifiedTableSpec` is built from the same layout); small tables and the generic `records` table
 * are read in-process exactly as `checkOutput` does.
 */
export async function checkOutputConcurrent(path: string, hasher: RecordHasher, expected: Record<string, string>, pool: ScanPool | undefined): Promise<OutputCheck> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const log = db.prepare('SELECT digests FROM migration_log ORDER BY id DESC LIMIT 1').get() as { digests: string } | undefined;
    const recorded = log === undefined ? {} : (JSON.parse(log.digests) as Record<string, string>);
    const digests: Record<string, string> = {};
    const mismatched: string[] = [];
    for (const collection of Object.keys(expected).sort()) {
      const spec = unifiedTableSpec(collection);
      const span = spec === undefined ? null : rowidSpan(db, spec.table);
      let digest: string;
      if (spec === undefined || span === null || span === 'empty' || span[1] - span[0] + 1 < PARALLEL_MIN_ROWS || pool === undefined) {
        digest = checkOutputOn(db, hasher, { [collection]: expected[collection]! }).digests[collection]!;
      } else {
        const ctx = migrateScanContext(hasher, pool);
        const results = await Promise.all(splitSpan(span, pool.size).map((range) => runScanTask({ mode: 'digest', dbPath: path, spec, range }, ctx, db)));
        const acc = new DigestAccumulator();
        for (const r of results) if (r.mode === 'digest') acc.merge(r);
        digest = JSON.stringify(acc.toDigest());
      }
      digests[collection] = digest;
      if (digest !== expected[collection] || recorded[collection] !== expected[collection]) mismatched.push(collection);
    }
    return { ok: mismatched.length === 0 && log !== undefined, mismatched, digests };
  } finally {
    db.close();
  }
}

/**
 * A pool of scan workers for one migration (one per core, at most 4), or undefined when there is
 * one core or the compiled worker script is missing (scans then run in-process).
 */
export function migrationPool(): ScanPool | undefined {
  const n = Math.min(availableParallelism(), 4);
  const script = workerScript();
  return n > 1 && script !== undefined ? new ScanPool(n, script) : undefined;
}

/** The scan context migrate's worker tasks run with: migrate's own canonical rules. */
export function migrateScanContext(hasher: RecordHasher, pool: ScanPool | undefined): ScanContext {
  return pool === undefined ? { hasher, rules: CHECK_RULES, options: CHECK_OPTIONS } : { hasher, rules: CHECK_RULES, options: CHECK_OPTIONS, pool };
}

/** The canonical rules migrate hashes with (`resolveRules()`), in the serialisable form workers take. */
const CHECK_OPTIONS: ScanContext['options'] = { numbers: 'value', nulls: 'null-is-absent', exclude: [...SYNC_ONLY_FIELDS] };
const CHECK_RULES = resolveRules(CHECK_OPTIONS);

/**
 * The row checksums of one rowid range of a bulk copy, computed ahead by a scan worker: 16 hex
 * digits per rowid from `lo` on (`NO_HASH` bytes for rowids not copied in bulk), each row's bucket,
 * and the rows' digest.
 */
export interface BulkHashes {
  lo: number;
  hex: Buffer;
  buckets: Uint8Array;
  rows: number;
  counts: Float64Array;
  sums: BigUint64Array;
}

/** One rowid range of a bulk copy and its checksums being computed (undefined if they cannot be). */
export interface AheadRange {
  lo: number;
  hi: number;
  hashes: Promise<BulkHashes | undefined>;
}

/** Rowids per hashing task: small enough that apply can start on the first while the rest are hashed. */
const AHEAD_RANGE_ROWS = 65_536;

/**
 * Starts computing the record hash of every row of a bulk copy's table on the scan workers, range
 * by range in rowid order, from the very SQL expressions the INSERT … SELECT writes. It needs only
 * the table, so it starts as soon as the migration does and runs while the main thread reads and
 * plans; `withoutGeneralRows` then takes out the rows the general path writes, and apply reads each
 * checksum from its hex slot in SQL, without a call into JavaScript per row, inserting each range
 * as it arrives. undefined when it cannot (no pool, rowids beyond 2^53 or too sparse for one slot
 * per rowid, an unreadable copy): apply then hashes the rows inline.
 */
export function hashBulkRows(
  b: { localPath: string; table: string; collection: string; idExpr: string; contentExprs: string[] },
  ctx: ScanContext,
  rangeRows = AHEAD_RANGE_ROWS,
): AheadRange[] | undefined {
  const pool = ctx.pool;
  if (pool === undefined) return undefined;
  let db: Database.Database | undefined;
  let lo: number, hi: number;
  try {
    db = new Database(b.localPath, { readonly: true, fileMustExist: true });
    const span = rowidSpan(db, b.table);
    if (span === null || span === 'empty') return undefined;
    [lo, hi] = span;
    // one 16-byte slot per rowid: rowids with large gaps would make the slots outweigh the rows
    const rows = db.prepare(`SELECT count(*) FROM ${quoteIdent(b.table)}`).pluck().get() as number;
    if (hi - lo + 1 > Math.max(4 * rows, 65_536) || hi - lo + 1 > MAX_HASH_SLOTS) return undefined;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
  const specs = layoutOf(b.collection).specs;
  const out: AheadRange[] = [];
  // one range at a time, each sent when the one before is done: a single worker hashes, so the
  // main thread keeps a core of its own for planning and then for the INSERT it overlaps
  let previous: Promise<unknown> = Promise.resolve();
  for (let from = lo; from <= hi; from += rangeRows) {
    const range = [from, Math.min(hi, from + rangeRows - 1)] as const;
    const task = { mode: 'row-hashes' as const, dbPath: b.localPath, table: b.table, idSql: b.idExpr, columns: b.contentExprs, specs, range };
    // only on the pool: if the workers are gone, apply hashes the range inline instead; in the
    // background, so the scans the load waits for go first
    const hashes = previous.then(() =>
      pool.run(task, ctx, { background: true }).then(
        (r) => (r.mode === 'row-hashes' ? { lo: range[0], hex: Buffer.from(r.hex.buffer, r.hex.byteOffset, r.hex.byteLength), buckets: r.buckets, rows: r.rows, counts: r.counts, sums: r.sums } : undefined),
        () => undefined,
      ),
    );
    previous = hashes;
    out.push({ lo: range[0], hi: range[1], hashes });
  }
  return out;
}

/**
 * A range's hashes without the rows the general path writes (`generalRowids`, ascending): their
 * slots emptied and their hashes taken out of the digest (a sum modulo 2^64), in place, so what is
 * left are exactly the bulk rows'. undefined if one of them had not been hashed.
 */
export function withoutGeneralRows(pre: BulkHashes, generalRowids: readonly number[]): BulkHashes | undefined {
  const acc = new DigestAccumulator(pre.counts, pre.sums);
  const hi = pre.lo + pre.buckets.length - 1;
  for (const rowid of generalRowids) {
    if (rowid < pre.lo || rowid > hi) continue;
    const at = rowid - pre.lo;
    if (pre.hex[at * 16] === NO_HASH) return undefined;
    const h = BigInt('0x' + pre.hex.toString('latin1', at * 16, at * 16 + 16));
    acc.counts[pre.buckets[at]!]! -= 1;
    acc.sums[pre.buckets[at]!]! -= h;
    pre.hex.fill(NO_HASH, at * 16, at * 16 + 16);
    pre.rows--;
  }
  return pre;
}

/** At most this many hex slots (16 bytes each, 512 MiB in all) per bulk copy. */
const MAX_HASH_SLOTS = 32 * 2 ** 20;

/**
 * The bulk INSERT … SELECT of one range with precomputed checksums: the rows hashed ahead (those
 * with a hex slot filled) go in rowid order, the order the plain copy uses, each checksum cut from
 * its slot. A row SQL selects without a checksum would write NULL and fail the NOT NULL constraint;
 * every row hashed ahead must be written. Returns the rows written.
 */
function insertPrecomputed(db: Database.Database, b: BulkCopy, pre: BulkHashes, table: string, columns: string[], alias: string): number {
  const cols = columns.map((c) => `"${c}"`).join(', ');
  const slot = '(rowid - ?) * 16 + 1';
  const none = quoteLiteral(String.fromCharCode(NO_HASH).repeat(16));
  const exprs = [...b.exprs, `'synced'`, `nullif(CAST(substr(?, ${slot}, 16) AS TEXT), ${none})`];
  const hi = pre.lo + pre.hex.length / 16 - 1;
  const written = db
    .prepare(
      `INSERT INTO "${table}" (${cols}) SELECT ${exprs.join(', ')} FROM ${alias}.${quoteIdent(b.table)} ` +
        `WHERE rowid BETWEEN ? AND ? AND substr(?, ${slot}, 1) <> x'${NO_HASH.toString(16)}' ORDER BY rowid`,
    )
    .run(pre.hex, pre.lo, pre.lo, hi, pre.hex, pre.lo).changes;
  if (written !== pre.rows) throw new Error(`bulk copy of ${b.table}: ${written} row(s) written, ${pre.rows} hashed ahead`);
  return written;
}

/**
 * The bulk INSERT … SELECT hashing each row inline (all of the copy, or one rowid range of it): the
 * checksum is computed from the values being inserted, and added to the digest; rows go in the
 * source's rowid order, which equal inputs make equal. The function's arguments are
 * [id, ...content], the row layout the encoder reads, so no array is built per row.
 */
function insertHashingInline(
  db: Database.Database,
  b: BulkCopy,
  range: readonly [number, number] | null,
  layout: CollectionLayout,
  alias: string,
  hasher: RecordHasher,
  acc: DigestAccumulator,
): number {
  // bulk copies exist only for collections with their own table (never `records`)
  const encodeRow = rowEncoderOf(layout)!;
  const { hash, bucketOf } = hasher;
  db.function('syncdoc_row_checksum', { varargs: true, deterministic: false }, (...args: unknown[]) => {
    const h = hash(encodeRow(args));
    acc.add(bucketOf(String(args[0])), h);
    return hex64(h);
  });
  const cols = layout.columns.map((c) => `"${c}"`).join(', ');
  const exprs = [...b.exprs, `'synced'`, `syncdoc_row_checksum(${[b.idExpr, ...b.contentExprs].join(', ')})`];
  const where = bulkWhere(b);
  const within = range === null ? '' : ' AND rowid BETWEEN ? AND ?';
  return db
    .prepare(`INSERT INTO "${layout.table}" (${cols}) SELECT ${exprs.join(', ')} FROM ${alias}.${quoteIdent(b.table)} WHERE (${where.sql})${within} ORDER BY rowid`)
    .run(...where.params, ...(range ?? [])).changes;
}
