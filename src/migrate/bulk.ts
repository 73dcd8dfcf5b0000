/**
 * The bulk path: legacy SQLite rows that need nothing but column renames and exact conversions are
 * copied with one `INSERT … SELECT` instead of travelling through JavaScript objects. A row
 * qualifies only when nothing could make it differ from its own copy: it has no copy in another
 * layer or source, no open queue op, its legacy status is a synced one, it is not a tombstone, and
 * every value is already what the column holds (text, integral numbers, ms timestamps, 0/1, JSON).
 * Every other row takes the general path, so the result is the same either way; the bulk rows'
 * checksums and digests are computed from the very values being inserted.
 */
import { runScanTask } from '../integrity/scan-pool.js';
import type { ScanContext } from '../integrity/source.js';
import { rowidSpan, splitSpan, type ScanResult, type ScanTask } from '../integrity/table-scan.js';
import { quoteIdent, quoteLiteral } from '../readers/sqlite.js';
import type { SqliteDb } from '../readers/sqlite-open.js';
import { snakeCase } from './normalise.js';
import type { CollectionLayout } from './rows.js';
import { collectionColumns, type ColumnKind } from '../schema/index.js';
import type { FieldMapping } from './types.js';

export interface BulkCopy {
  collection: string;
  /** Store path inside the snapshot (for reports) and the private copy to ATTACH. */
  store: string;
  localPath: string;
  table: string;
  /** Rows copied in bulk: `coalesce((cond), 0) = 1`. */
  condition: string;
  params: string[];
  /**
   * The ids and server ids (JSON arrays, never empty) that send a row to the general path whatever
   * it holds: with the shape's type checks, the same rows as `condition`.
   */
  exclusions: Array<{ column: string; values: string }>;
  /**
   * The general path's rowids (JSON array), once it has read them: the bulk copy is every other
   * row, so apply need not evaluate the condition a second time.
   */
  generalRowids: string | null;
  /** One SQL expression per layout column except `sync_status` and `row_checksum`. */
  exprs: string[];
  /** SQL expressions of the content columns (the checksum's input), in `contentColumns` order. */
  contentExprs: string[];
  idExpr: string;
  count: number;
  /** Non-null timestamp values per source field (all ms already). */
  timestampCounts: Record<string, number>;
  /** The newest created/updated time in the table (UTC ms; the general path's rows included). */
  newestMs: number | null;
}

export interface BulkExclusion {
  /** Client ids with a copy in another source or an open queue op. */
  ids: Set<string>;
  /** Server ids seen in another source. */
  serverIds: Set<string>;
}

const TIME = /(_at|At)$/;

/**
 * A qualifying condition + expression for one source column of a given target kind, or null when
 * it cannot be bulk-copied. Each condition calls `typeof` once (a CASE on the storage class): the
 * condition runs on every row of a million-row table, and the plain `x IS NULL OR (typeof(x) IN …
 * AND …)` form measured about 15% slower for the same truth table.
 */
function columnRule(col: string, kind: ColumnKind | 'time' | 'id' | 'optional-text' | 'null'): { cond: string; expr: string } | null {
  const c = quoteIdent(col);
  const t = `typeof(${c})`;
  const inMsRange = `${c} >= 100000000000 AND ${c} < 100000000000000`;
  switch (kind) {
    case 'id':
      return { cond: `${t} = 'text' AND ${c} <> ''`, expr: c };
    case 'optional-text':
      return { cond: `CASE ${t} WHEN 'null' THEN 1 WHEN 'text' THEN ${c} <> '' ELSE 0 END`, expr: c };
    case 'null':
      return { cond: `${c} IS NULL`, expr: 'NULL' };
    case 'time':
      return {
        cond: `CASE ${t} WHEN 'integer' THEN ${inMsRange} WHEN 'null' THEN 1 WHEN 'real' THEN ${c} = CAST(${c} AS INTEGER) AND ${inMsRange} ELSE 0 END`,
        expr: `CAST(${c} AS INTEGER)`,
      };
    case 'text':
      return { cond: `${t} IN ('text', 'null')`, expr: c };
    case 'integer':
      return { cond: `CASE ${t} WHEN 'integer' THEN 1 WHEN 'null' THEN 1 WHEN 'real' THEN ${c} = CAST(${c} AS INTEGER) ELSE 0 END`, expr: `CAST(${c} AS INTEGER)` };
    case 'real':
      return { cond: `${t} IN ('integer', 'real', 'null')`, expr: c };
    case 'boolean':
      return { cond: `CASE ${t} WHEN 'null' THEN 1 WHEN 'integer' THEN ${c} IN (0, 1) WHEN 'real' THEN ${c} IN (0, 1) ELSE 0 END`, expr: `CAST(${c} AS INTEGER)` };
    case 'json':
      return { cond: `CASE ${t} WHEN 'null' THEN 1 WHEN 'text' THEN json_valid(${c}) ELSE 0 END`, expr: c };
  }
}

/**
 * What a bulk copy of one legacy table looks like before the exclusions are known: the per-row type
 * checks and the expressions written. Everything here comes from the table's columns and mapping.
 */
export interface BulkShape {
  collection: string;
  store: string;
  localPath: string;
  table: string;
  /** The per-row type checks (and the legacy status), ANDed. */
  typeCondition: string;
  exprs: string[];
  contentExprs: string[];
  idExpr: string;
  /** Quoted id column, and whether it alone is the table's primary key (so never repeated). */
  idCol: string;
  idIsKey: boolean;
  /** Quoted server id column, or null when the mapping has none in this table. */
  serverIdCol: string | null;
  createdAtExpr: string;
  updatedAtExpr: string;
  timeFields: string[];
}

/**
 * Works out the shape of one legacy table's bulk copy, or null when its mapping is not column-only
 * (the general path then reads the whole table).
 */
export function bulkShape(
  db: SqliteDb,
  spec: { store: string; localPath: string; table: string; collection: string; mapping: FieldMapping },
  layout: CollectionLayout,
): BulkShape | null {
  const m = spec.mapping;
  const cols = collectionColumns(spec.collection);
  if (cols === undefined || layout.generic) return null;
  if (m.status === undefined || m.status.synced === undefined || m.status.dirty !== undefined || m.deletedFlag !== undefined) return null;
  if (m.status.field.includes('.')) return null;
  if (Object.values(m.timestamps ?? {}).some((u) => u !== 'auto' && u !== 'ms')) return null;
  const kinds = new Map(cols.domain.map((d) => [d.name, d.kind]));
  const info = db.prepare(`PRAGMA table_info(${quoteIdent(spec.table)})`).all() as Array<{ name: string; pk: number }>;
  const present = info.map((c) => c.name);
  // a single-column primary key on the id already rules out duplicate ids
  const idIsKey = info.filter((c) => c.pk > 0).map((c) => c.name).join() === m.id;
  const consumed = new Set([m.id, m.serverId, m.userId, m.createdAt, m.updatedAt, m.deletedAt, m.version, m.vectorClock, m.status.field, ...(m.drop ?? [])]);
  const conds: string[] = [];
  const domainExpr = new Map<string, string>();
  const timeFields: string[] = [];
  for (const col of present) {
    if (consumed.has(col)) continue;
    const target = m.rename?.[col] ?? snakeCase(col);
    const kind = kinds.get(target);
    if (kind === undefined) return null; // a column the table has no place for: the general path reports it
    const isTime = kind === 'integer' && (m.timestamps?.[col] !== undefined || TIME.test(col));
    const rule = columnRule(col, isTime ? 'time' : kind);
    if (rule === null) return null;
    if (isTime) timeFields.push(col);
    conds.push(rule.cond);
    domainExpr.set(target, rule.expr);
  }
  const sync = (field: string | undefined, kind: Parameters<typeof columnRule>[1]): string => {
    if (field === undefined || !present.includes(field)) return 'NULL';
    const rule = columnRule(field, kind)!;
    conds.push(rule.cond);
    if (kind === 'time') timeFields.push(field);
    return rule.expr;
  };
  if (!present.includes(m.id)) return null;
  const id = sync(m.id, 'id');
  const serverId = sync(m.serverId, 'optional-text');
  const userId = sync(m.userId, 'optional-text');
  const createdAt = sync(m.createdAt, 'time');
  const updatedAt = sync(m.updatedAt, 'time');
  sync(m.deletedAt, 'null');
  const version = sync(m.version, 'integer');
  sync(m.vectorClock, 'null');
  conds.push(`${quoteIdent(m.status.field)} IN (${m.status.synced.map(quoteLiteral).join(', ')})`);
  const domain = cols.domain.map((d) => domainExpr.get(d.name) ?? 'NULL');
  return {
    collection: spec.collection,
    store: spec.store,
    localPath: spec.localPath,
    table: spec.table,
    typeCondition: conds.map((c) => `(${c})`).join(' AND '),
    exprs: [id, serverId, userId, ...domain, createdAt, updatedAt, 'NULL', version, 'NULL'],
    contentExprs: [userId, ...domain, createdAt, updatedAt, 'NULL', version],
    idExpr: id,
    idCol: quoteIdent(m.id),
    idIsKey,
    serverIdCol: serverId === 'NULL' ? null : quoteIdent(m.serverId!),
    createdAtExpr: createdAt,
    updatedAtExpr: updatedAt,
    timeFields,
  };
}

/**
 * What one pass over a shape's table finds before the exclusions are known: the ids and server ids
 * held by more than one row (only text ones can be copied in bulk; the general path merges them),
 * and the table's totals (rows, newest times, non-null timestamps per time field).
 */
export interface BulkTableFacts {
  dupIds: string[];
  dupServerIds: string[];
  /** Rows in the table, and the newest created and updated time (NULL when there is none). */
  rows: number;
  newestMs: number | null;
  /** Non-null values per field of `BulkShape.timeFields`, in that order. */
  timestampCounts: number[];
}

/**
 * Finds a shape's `BulkTableFacts`, each with one query (on a scan worker when `ctx` has a pool, so
 * they run while the main thread reads the other sources). The repeated ids are found by grouping
 * up front: as a `NOT IN (SELECT … GROUP BY …)` inside the per-row condition they cost more than
 * twice as much.
 */
export async function findTableFacts(db: SqliteDb, shape: BulkShape, ctx: ScanContext | undefined): Promise<BulkTableFacts> {
  const query = async (sql: string): Promise<unknown[][]> => {
    if (ctx === undefined) return db.prepare(sql).raw(true).all() as unknown[][];
    const r = await runHereIfWorkerFails({ mode: 'query', dbPath: shape.localPath, sql, params: [] }, ctx, db);
    return r.mode === 'query' ? r.rows : [];
  };
  const t = quoteIdent(shape.table);
  const repeated = async (col: string | null): Promise<string[]> =>
    col === null ? [] : (await query(`SELECT ${col} FROM ${t} WHERE typeof(${col}) = 'text' GROUP BY ${col} HAVING count(*) > 1`)).map((r) => r[0] as string);
  const fields = shape.timeFields;
  const [dupIds, dupServerIds, totals] = await Promise.all([
    repeated(shape.idIsKey ? null : shape.idCol),
    repeated(shape.serverIdCol),
    // totals over the whole table (a plain scan); the general path's share is subtracted later
    query(`SELECT count(*), max(${shape.createdAtExpr}), max(${shape.updatedAtExpr})${fields.map((f) => `, count(${quoteIdent(f)})`).join('')} FROM ${t}`),
  ]);
  const [rows, created, updated, ...timestampCounts] = totals[0] as [number, number | null, number | null, ...number[]];
  const newest = Math.max(created ?? -Infinity, updated ?? -Infinity);
  return { dupIds, dupServerIds, rows, newestMs: Number.isFinite(newest) ? newest : null, timestampCounts };
}

/** The bulk copy of a shape's table, once the exclusions and the table's repeated ids are known. */
export function planBulkCopy(shape: BulkShape, exclusion: BulkExclusion, facts: BulkTableFacts): BulkCopy {
  const conds = [shape.typeCondition, `${shape.idCol} NOT IN (SELECT value FROM json_each(?))`];
  const exclusions: BulkCopy['exclusions'] = [];
  const ids = new Set(exclusion.ids);
  for (const d of facts.dupIds) ids.add(d);
  const params = [JSON.stringify([...ids].sort())];
  if (ids.size > 0) exclusions.push({ column: shape.idCol, values: params[0]! });
  if (shape.serverIdCol !== null) {
    const sid = shape.serverIdCol;
    conds.push(`(${sid} IS NULL OR ${sid} NOT IN (SELECT value FROM json_each(?)))`);
    const serverIds = new Set(exclusion.serverIds);
    for (const d of facts.dupServerIds) serverIds.add(d);
    params.push(JSON.stringify([...serverIds].sort()));
    if (serverIds.size > 0) exclusions.push({ column: sid, values: params[1]! });
  }
  const timestampCounts: Record<string, number> = {};
  shape.timeFields.forEach((f, i) => (timestampCounts[f] = facts.timestampCounts[i] ?? 0));
  return {
    collection: shape.collection,
    store: shape.store,
    localPath: shape.localPath,
    table: shape.table,
    condition: conds.map((c) => `(${c})`).join(' AND '),
    params,
    exclusions,
    generalRowids: null,
    exprs: shape.exprs,
    contentExprs: shape.contentExprs,
    idExpr: shape.idExpr,
    count: facts.rows,
    timestampCounts,
    newestMs: facts.newestMs,
  };
}

/**
 * Turns the table totals into the bulk copy's own figures once the general path has read its rows:
 * what the general path took is not copied in bulk.
 */
export function settleBulkCounts(bulk: BulkCopy, general: Array<Record<string, unknown>>, rowids: number[]): void {
  bulk.count -= general.length;
  bulk.generalRowids = JSON.stringify(rowids);
  for (const field of Object.keys(bulk.timestampCounts)) {
    bulk.timestampCounts[field]! -= general.filter((r) => r[field] !== null && r[field] !== undefined).length;
  }
}

/** The WHERE clause apply uses: the complement of the general path's rows (or the condition itself). */
export function bulkWhere(bulk: BulkCopy): { sql: string; params: string[] } {
  if (bulk.generalRowids !== null) return { sql: 'rowid NOT IN (SELECT value FROM json_each(?))', params: [bulk.generalRowids] };
  return { sql: `coalesce((${bulk.condition}), 0) = 1`, params: bulk.params };
}

/** The WHERE clause for the rows the general path reads (the complement of the bulk copy). */
export function generalWhere(bulk: BulkCopy): string {
  return `coalesce((${bulk.condition}), 0) = 0`;
}

/**
 * The rowids of the rows failing a shape's type checks, ascending, found by evaluating them over
 * rowid ranges, one per worker of `ctx.pool`, so the scan of a large table uses every core (and can
 * start before the exclusions are known); in-process on `db` if a worker cannot open the copy. null
 * when the rowids are not all safe integers (the caller then filters with `generalWhere`).
 */
export async function findTypeFailures(db: SqliteDb, shape: BulkShape, ctx: ScanContext): Promise<number[] | null> {
  const span = rowidSpan(db, shape.table);
  if (span === null) return null;
  if (span === 'empty') return [];
  const ranges = splitSpan(span, ctx.pool?.size ?? 1);
  const where = `coalesce((${shape.typeCondition}), 0) = 0`;
  return rowidsOf(db, shape.localPath, shape.table, ranges.map((range) => ({ where, params: [], range })), ctx);
}

/**
 * The rowids of the rows the general path must read (the whole condition is false or NULL),
 * ascending: those failing the type checks (`findTypeFailures`), and those holding an excluded id or
 * server id, looked up by value (through the table's index on the id, where there is one: a `NOT
 * IN` list checked on every row cost a third of the whole scan). A row passing the type checks has
 * a text id and a text or NULL server id, so it fails the condition exactly when one is listed.
 */
export async function findGeneralRowids(
  db: SqliteDb,
  bulk: BulkCopy,
  typeFailures: number[] | Promise<number[] | null>,
  ctx: ScanContext,
): Promise<number[] | null> {
  const span = rowidSpan(db, bulk.table);
  if (span === null) return null;
  if (span === 'empty') return [];
  // each lookup split over the workers (one without an index on its column reads the whole
  // table), and queued at once: they need not wait for the type-check scan still running
  const ranges = splitSpan(span, ctx.pool?.size ?? 1);
  const tasks = bulk.exclusions.flatMap((x) => ranges.map((range) => ({ where: `${x.column} IN (SELECT value FROM json_each(?))`, params: [x.values], range })));
  const excluded = rowidsOf(db, bulk.localPath, bulk.table, tasks, ctx);
  excluded.catch(() => undefined);
  const failures = await typeFailures;
  if (failures === null) return null;
  const found = new Set(failures);
  for (const id of await excluded) found.add(id);
  return [...found].sort((a, b) => a - b);
}

async function rowidsOf(
  db: SqliteDb,
  dbPath: string,
  table: string,
  parts: Array<{ where: string; params: unknown[]; range: readonly [number, number] }>,
  ctx: ScanContext,
): Promise<number[]> {
  const results = await Promise.all(parts.map((p) => runHereIfWorkerFails({ mode: 'rowids', dbPath, table, ...p }, ctx, db)));
  const out: number[] = [];
  for (const r of results) if (r.mode === 'rowids') for (const id of r.rowids) out.push(id);
  return out;
}

/** A scan task on the pool, run again in-process on `db` if it fails there (a worker that cannot open the copy). */
function runHereIfWorkerFails(task: ScanTask, ctx: ScanContext, db: SqliteDb): Promise<ScanResult> {
  return runScanTask(task, ctx, db).catch(() => runScanTask(task, { ...ctx, pool: undefined }, db));
}
