/**
 * One scan of one SQLite table (or a rowid range of it): the digest of its records, or the hashes
 * of the records in chosen buckets. Runs the same in a worker thread and in-process. Rows come from
 * `stmt.raw().iterate()` as arrays and go straight through the compiled row encoder into the
 * hasher and a `BigUint64Array`; nothing per row outlives the loop, so memory stays flat however
 * large the table.
 */
import type Database from 'better-sqlite3';
import { quoteIdent } from '../readers/sqlite.js';
import type { CanonicalRules } from './canonical.js';
import { DigestAccumulator } from './digest.js';
import { compileRowEncoder, type FieldKind, type FieldSpec } from './row-encoder.js';
import { hex64, type RecordHasher } from './record-hash.js';
import { sqlDigest, sqlRecordHashes } from './sql-canonical.js';

/** How a table maps onto a collection: SQL expressions for the id and each field. */
export interface TableSpec {
  collection: string;
  table: string;
  /** SQL expression giving the record id (usually a quoted column). */
  idSql: string;
  columns: Array<{ sql: string; field: string; kind: FieldKind }>;
  /** Extra SQL condition (e.g. `collection = 'x'`), without WHERE. */
  where?: string;
  /** False for WITHOUT ROWID tables and views: scanned whole, never split. */
  hasRowid: boolean;
}

export type ScanRange = readonly [number, number] | null;

/**
 * The lowest and highest rowid of `table`: 'empty' for an empty table, null when they are not
 * safe integers. Two queries: SQLite answers a lone min() or max() of the rowid from the b-tree's
 * edge, but min() and max() in one SELECT scan the whole table (0.2–0.6 s at 1M rows).
 */
export function rowidSpan(db: Database.Database, table: string): readonly [number, number] | 'empty' | null {
  const edge = (fn: 'min' | 'max'): unknown => db.prepare(`SELECT ${fn}(rowid) FROM ${quoteIdent(table)}`).pluck().get();
  const lo = edge('min');
  const hi = edge('max');
  if (lo === null || hi === null) return 'empty';
  if (typeof lo !== 'number' || typeof hi !== 'number' || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) return null;
  return [lo, hi];
}

/** `[lo, hi]` cut into at most `parts` contiguous, non-empty rowid ranges of equal length. */
export function splitSpan([lo, hi]: readonly [number, number], parts: number): Array<readonly [number, number]> {
  const step = Math.ceil((hi - lo + 1) / parts);
  return Array.from({ length: parts }, (_, i) => [lo + i * step, Math.min(hi, lo + (i + 1) * step - 1)] as const).filter(([a, b]) => a <= b);
}

export type ScanTask =
  | { mode: 'digest'; dbPath: string; spec: TableSpec; range: ScanRange }
  | { mode: 'hashes'; dbPath: string; spec: TableSpec; range: ScanRange; buckets: number[] }
  /** The rows (as arrays) of one read-only SELECT: grouping and totals a caller needs off its thread. */
  | { mode: 'query'; dbPath: string; sql: string; params: unknown[] }
  /** The rowids (all safe integers) of `table`'s rows in `range` that satisfy `where`, ascending. */
  | { mode: 'rowids'; dbPath: string; table: string; where: string; params: unknown[]; range: readonly [number, number] }
  /**
   * The record hash of every row in `range`, with their digest: the canonical text of
   * `[idSql, ...columns]` (SQL expressions) under `specs`. Each hash is written as 16 hex digits at
   * `(rowid - range[0]) * 16` of `hex`, and its id's bucket at `rowid - range[0]` of `buckets`;
   * rowids with no row keep `NO_HASH` bytes.
   */
  | {
      mode: 'row-hashes';
      dbPath: string;
      table: string;
      idSql: string;
      columns: string[];
      specs: FieldSpec[];
      range: readonly [number, number];
    };

/** The byte `row-hashes` leaves in the hex slots of rows it did not hash (`x`). */
export const NO_HASH = 0x78;

export type ScanResult =
  | { mode: 'digest'; counts: Float64Array; sums: BigUint64Array }
  | { mode: 'hashes'; ids: string[]; hashes: BigUint64Array }
  | { mode: 'rowids'; rowids: Float64Array }
  | { mode: 'query'; rows: unknown[][] }
  | { mode: 'row-hashes'; hex: Uint8Array; buckets: Uint8Array; rows: number; counts: Float64Array; sums: BigUint64Array };

/** The SELECT a scan runs; columns the rules exclude are left out of it, not just skipped. */
export function selectSql(spec: TableSpec, rules: CanonicalRules, range: ScanRange): { sql: string; kept: TableSpec['columns'] } {
  const kept = spec.columns.filter((c) => c.field !== 'id' && !rules.exclude.has(c.field));
  const cols = [spec.idSql, ...kept.map((c) => c.sql)].join(', ');
  const conds = [spec.where, range ? 'rowid BETWEEN ? AND ?' : undefined].filter(Boolean);
  const where = conds.length ? ` WHERE ${conds.map((c) => `(${c})`).join(' AND ')}` : '';
  return { sql: `SELECT ${cols} FROM ${quoteIdent(spec.table)}${where}`, kept };
}

/**
 * The rows of a scan, each handed to `each` as the raw array better-sqlite3 yields (no object per
 * row). Reading rowid-keyed chunks with `all()` instead was measured too (≤ 5% less CPU on 1M
 * rows, within the noise of this shared machine) and left out for the simpler plain scan.
 */
function scanRows(db: Database.Database, spec: TableSpec, rules: CanonicalRules, range: ScanRange, each: (row: readonly unknown[]) => void): void {
  const { sql } = selectSql(spec, rules, range);
  const stmt = db.prepare(sql).raw(true);
  // typed comparisons need SQLite's integers as int64 (bigint); by value, plain numbers are faster
  stmt.safeIntegers(rules.typedNumbers);
  for (const row of stmt.iterate(...(range ? [range[0], range[1]] : [])) as IterableIterator<unknown[]>) each(row);
}

let sqlDigests = true;
/** Whether digest and row-hash scans may take the SQL-written canonical text path (tests and benchmarks compare both). */
export function useSqlDigests(on: boolean): void {
  sqlDigests = on;
}

export function runScan(db: Database.Database, task: ScanTask, hasher: RecordHasher, rules: CanonicalRules): ScanResult {
  if (task.mode === 'query') {
    const stmt = db.prepare(task.sql);
    if (!stmt.readonly) throw new Error('a query scan task must not write');
    return { mode: 'query', rows: stmt.raw(true).all(...task.params) as unknown[][] };
  }
  if (task.mode === 'rowids') {
    const stmt = db.prepare(`SELECT rowid FROM ${quoteIdent(task.table)} WHERE rowid BETWEEN ? AND ? AND (${task.where}) ORDER BY rowid`).pluck();
    return { mode: 'rowids', rowids: Float64Array.from(stmt.all(task.range[0], task.range[1], ...task.params) as number[]) };
  }
  if (task.mode === 'row-hashes') return rowHashes(db, task, hasher, rules);
  if (task.mode === 'digest' && sqlDigests) {
    const fast = sqlDigest(db, task.spec, rules, task.range, hasher, selectSql(task.spec, rules, null));
    if (fast) return { mode: 'digest', counts: fast.counts, sums: fast.sums };
  }
  const { kept } = selectSql(task.spec, rules, task.range);
  const encode = compileRowEncoder(kept, rules);
  const { hash, bucketOf } = hasher;
  if (task.mode === 'digest') {
    const acc = new DigestAccumulator();
    scanRows(db, task.spec, rules, task.range, (row) => acc.add(bucketOf(String(row[0])), hash(encode(row))));
    return { mode: 'digest', counts: acc.counts, sums: acc.sums };
  }
  const wanted = new Uint8Array(256);
  for (const b of task.buckets) wanted[b] = 1;
  const ids: string[] = [];
  const hashes: bigint[] = [];
  scanRows(db, task.spec, rules, task.range, (row) => {
    const id = String(row[0]);
    if (wanted[bucketOf(id)] === 0) return;
    ids.push(id);
    hashes.push(hash(encode(row)));
  });
  return { mode: 'hashes', ids, hashes: BigUint64Array.from(hashes) };
}

function rowHashes(db: Database.Database, task: Extract<ScanTask, { mode: 'row-hashes' }>, hasher: RecordHasher, rules: CanonicalRules): ScanResult {
  const [lo, hi] = task.range;
  const hex = Buffer.alloc((hi - lo + 1) * 16, NO_HASH);
  const buckets = new Uint8Array(hi - lo + 1);
  const acc = new DigestAccumulator();
  let rows = 0;
  const put = (rowid: number, bucket: number, h: bigint): void => {
    acc.add(bucket, h);
    hex.write(hex64(h), (rowid - lo) * 16, 'latin1');
    buckets[rowid - lo] = bucket;
    rows++;
  };
  const spec: TableSpec = {
    collection: '',
    table: task.table,
    idSql: task.idSql,
    columns: task.columns.map((sql, i) => ({ sql, field: task.specs[i]!.field, kind: task.specs[i]!.kind })),
    hasRowid: true,
  };
  const kept = spec.columns.filter((c) => c.field !== 'id' && !rules.exclude.has(c.field));
  // the rowid goes last: the encoder reads [id, ...kept] and never looks past them
  const select = `SELECT ${[task.idSql, ...kept.map((c) => c.sql)].join(', ')}, rowid FROM ${quoteIdent(task.table)}`;
  if (!(sqlDigests && sqlRecordHashes(db, spec, rules, task.range, hasher, { sql: select, kept }, { withRowid: true }, put))) {
    const encode = compileRowEncoder(kept, rules);
    const last = kept.length + 1;
    for (const row of db.prepare(`${select} WHERE rowid BETWEEN ? AND ?`).raw(true).safeIntegers(false).iterate(lo, hi) as IterableIterator<unknown[]>) {
      put(row[last] as number, hasher.bucketOf(String(row[0])), hasher.hash(encode(row)));
    }
  }
  return { mode: 'row-hashes', hex, buckets, rows, counts: acc.counts, sums: acc.sums };
}
