/**
 * Compares two record sources top-down: per-collection digests, then the 256 buckets of a
 * mismatching collection, then the record hashes inside mismatching buckets only, then full
 * records (for a field-level diff) only for the listed differences. Each round touches less data,
 * so two equal 1M-row databases cost one digest pass each. Pending outbox ops can explain
 * differences (`expectPending`); a repair plan lists the ops that would bring b in line with a and
 * is never executed here.
 */
import { availableParallelism } from 'node:os';
import type { PushOp } from '../backends/types.js';
import type { Finding } from '../findings.js';
import { redactorFor, type Redactor } from '../privacy/redact.js';
import { canonicalRecord, resolveRules, snakeCase, SYNC_ONLY_FIELDS, type LogicalRecord, type NullRule, type NumberRule } from './canonical.js';
import { DigestAccumulator, mismatchedBuckets } from './digest.js';
import { createRecordHasher, hex64, type HashAlgorithm } from './record-hash.js';
import { diffFields, type FieldDifference } from './record-diff.js';
import { ScanPool, workerScript } from './scan-pool.js';
import type { PendingOp, RecordSource, ScanContext, SourceInfo } from './source.js';

export interface CompareOptions {
  hash?: HashAlgorithm;
  /** `auto` (default): typed only when both sources keep int64 apart from float64. */
  numbers?: NumberRule | 'auto';
  nulls?: NullRule;
  /** Fields to leave out on top of the sync-only defaults. */
  exclude?: string[];
  /** Sync-only fields to compare after all (removed from the defaults). */
  include?: string[];
  /** Compare exactly these collections (absent on a side = no records there). */
  collections?: string[];
  expectPending?: boolean;
  /**
   * More sources whose open ops explain differences under `expectPending` (the three-way run's
   * migrated copy, whose `sync_queue` holds what migrate derived); a's and b's own ops take
   * precedence in the report.
   */
  pendingFrom?: RecordSource[];
  repairPlan?: boolean;
  /** Worker threads for SQLite scans; default one per core (2 here). 1 = in-process. */
  workers?: number;
  /** Differences listed in full (all are counted); default 1000. */
  maxDifferences?: number;
  redact?: boolean;
}

export type CollectionStatus = 'match' | 'mismatch' | 'only-in-a' | 'only-in-b' | 'skipped';

export interface CollectionResult {
  collection: string;
  status: CollectionStatus;
  a: { count: number; sum: string } | null;
  b: { count: number; sum: string } | null;
  mismatchedBuckets: number;
  differences: number;
  /** Why a collection was not compared. */
  reason?: string;
}

export type DifferenceKind = 'only-in-a' | 'only-in-b' | 'differs';

export interface Difference {
  collection: string;
  id: string;
  kind: DifferenceKind;
  /** For `differs`: the fields whose canonical values differ (values as canonical JSON text). */
  fields?: FieldDifference[];
  /** Set when a pending outbox op on this record explains the difference (`--expect-pending`). */
  expected?: { op: string | null; queue: string };
}

export interface CompareReport {
  mode: 'compare';
  verdict: 'match' | 'mismatch';
  a: SourceInfo;
  b: SourceInfo;
  rules: { hash: HashAlgorithm; numbers: NumberRule; nulls: NullRule; exclude: string[] };
  collections: CollectionResult[];
  /** Sorted by collection then id; at most `maxDifferences` of them. */
  differences: Difference[];
  counts: { differences: number; listed: number; expected: number; unexpected: number };
  repairPlan?: PushOp[];
  findings: Finding[];
}

export const DEFAULT_MAX_DIFFERENCES = 1000;

/** Resolves the canonical rules for a comparison (and the single-source digests). */
export function comparisonContext(
  opts: Pick<CompareOptions, 'numbers' | 'nulls' | 'exclude' | 'include'>,
  typed: boolean,
): Omit<ScanContext, 'hasher'> {
  const numbers: NumberRule = opts.numbers === undefined || opts.numbers === 'auto' ? (typed ? 'typed' : 'value') : opts.numbers;
  const nulls: NullRule = opts.nulls ?? 'null-is-absent';
  const include = new Set(opts.include ?? []);
  const exclude = [...new Set([...SYNC_ONLY_FIELDS.filter((f) => !include.has(f) || f === 'id'), ...(opts.exclude ?? [])])];
  const options = { numbers, nulls, exclude };
  return { rules: resolveRules(options), options };
}

/** A worker pool when more than one worker is wanted and the compiled worker script exists. */
export function createPool(workers: number | undefined): ScanPool | undefined {
  const n = workers ?? Math.min(availableParallelism(), 4);
  const script = workerScript();
  return n > 1 && script ? new ScanPool(n, script) : undefined;
}

export async function compareSources(a: RecordSource, b: RecordSource, opts: CompareOptions = {}): Promise<CompareReport> {
  const hasher = await createRecordHasher(opts.hash ?? 'xxh64');
  const base = comparisonContext(opts, a.info.typedNumbers && b.info.typedNumbers);
  const pool = createPool(opts.workers);
  const ctx: ScanContext = pool ? { ...base, hasher, pool } : { ...base, hasher };
  const findings: Finding[] = [];
  try {
    const plan = await planCollections(a, b, opts.collections);
    const collections: CollectionResult[] = [];
    const all: Difference[] = [];
    for (const item of plan) {
      if (item.skip !== undefined) {
        collections.push({ collection: item.collection, status: 'skipped', a: null, b: null, mismatchedBuckets: 0, differences: 0, reason: item.skip });
        continue;
      }
      const result = await compareCollection(a, b, item.collection, item.inA, item.inB, ctx);
      collections.push(result.summary);
      for (const d of result.differences) all.push(d); // no spread: a mismatch can list millions
    }
    all.sort((x, y) => cmp(x.collection, y.collection) || cmp(x.id, y.id));

    if (opts.expectPending) await markExpected(all, [...(opts.pendingFrom ?? []), a, b]);
    const max = opts.maxDifferences ?? DEFAULT_MAX_DIFFERENCES;
    const listed = all.slice(0, max);
    const redactor = redactorFor(opts.redact === true);
    const records = await fetchRecords(a, b, listed, ctx);
    for (const d of listed) {
      if (d.kind !== 'differs') continue;
      const ra = records.a.get(key(d.collection, d.id));
      const rb = records.b.get(key(d.collection, d.id));
      d.fields = ra && rb ? diffFields(ra, rb, ctx.rules).map((f) => redactField(f, redactor)) : [];
    }
    const expected = all.filter((d) => d.expected !== undefined).length;
    const report: CompareReport = {
      mode: 'compare',
      verdict: all.length - expected === 0 ? 'match' : 'mismatch',
      a: a.info,
      b: b.info,
      rules: { hash: hasher.algorithm, numbers: base.options.numbers, nulls: base.options.nulls, exclude: base.options.exclude },
      collections,
      differences: listed,
      counts: { differences: all.length, listed: listed.length, expected, unexpected: all.length - expected },
      findings,
    };
    if (all.length > listed.length) {
      findings.push({
        code: 'VERIFY_DIFFERENCES_TRUNCATED',
        severity: 'info',
        message: `${all.length} differences; the first ${listed.length} are listed (raise --max-differences to see more)`,
      });
    }
    if (opts.repairPlan) report.repairPlan = repairPlan(listed, records.a, ctx, redactor);
    return report;
  } finally {
    await pool?.close();
  }
}

interface PlannedCollection {
  collection: string;
  inA: boolean;
  inB: boolean;
  skip?: string;
}

/**
 * Which collections to compare. A device source holds only the app's collections, so a table
 * only a server source has (users, the idempotency ledger) is skipped, not reported missing.
 */
async function planCollections(a: RecordSource, b: RecordSource, only: string[] | undefined): Promise<PlannedCollection[]> {
  const ca = new Set(await a.collections());
  const cb = new Set(await b.collections());
  const names = only ? [...new Set(only.map(snakeCase))] : [...new Set([...ca, ...cb])];
  return names.sort().map((collection) => {
    const item: PlannedCollection = { collection, inA: ca.has(collection), inB: cb.has(collection) };
    if (!only) {
      if (!item.inA && a.info.side === 'device' && b.info.side === 'server') item.skip = 'server-only table (not a device collection)';
      if (!item.inB && b.info.side === 'device' && a.info.side === 'server') item.skip = 'server-only table (not a device collection)';
    }
    return item;
  });
}

async function compareCollection(
  a: RecordSource,
  b: RecordSource,
  collection: string,
  inA: boolean,
  inB: boolean,
  ctx: ScanContext,
): Promise<{ summary: CollectionResult; differences: Difference[] }> {
  const empty = Promise.resolve(new DigestAccumulator());
  const [da, db] = await Promise.all([inA ? a.digest(collection, ctx) : empty, inB ? b.digest(collection, ctx) : empty]);
  const buckets = mismatchedBuckets(da, db);
  const summary: CollectionResult = {
    collection,
    // a collection one side lacks and the other holds empty is a match: no record differs
    status: buckets.length === 0 ? 'match' : !inA ? 'only-in-b' : !inB ? 'only-in-a' : 'mismatch',
    a: inA ? { count: da.count, sum: hex64(da.sum) } : null,
    b: inB ? { count: db.count, sum: hex64(db.sum) } : null,
    mismatchedBuckets: buckets.length,
    differences: 0,
  };
  if (buckets.length === 0) return { summary, differences: [] };
  const wanted = new Set(buckets);
  const noHashes = Promise.resolve(new Map<string, bigint>());
  const [ha, hb] = await Promise.all([
    inA ? a.hashes(collection, wanted, ctx) : noHashes,
    inB ? b.hashes(collection, wanted, ctx) : noHashes,
  ]);
  const differences: Difference[] = [];
  for (const [id, h] of ha) {
    const other = hb.get(id);
    if (other === undefined) differences.push({ collection, id, kind: 'only-in-a' });
    else if (other !== h) differences.push({ collection, id, kind: 'differs' });
  }
  for (const id of hb.keys()) if (!ha.has(id)) differences.push({ collection, id, kind: 'only-in-b' });
  summary.differences = differences.length;
  return { summary, differences };
}

const key = (collection: string, id: string): string => `${collection}\u0000${id}`;

async function markExpected(differences: Difference[], sources: RecordSource[]): Promise<void> {
  const pending = new Map<string, PendingOp>();
  for (const s of sources) for (const op of await s.pendingOps()) pending.set(key(snakeCase(op.collection), op.recordId), op);
  for (const d of differences) {
    const op = pending.get(key(d.collection, d.id));
    if (op) d.expected = { op: op.op, queue: op.queue };
  }
}

/** Full records of the listed differences, fetched per collection in one round per side. */
async function fetchRecords(
  a: RecordSource,
  b: RecordSource,
  listed: Difference[],
  ctx: ScanContext,
): Promise<{ a: Map<string, LogicalRecord>; b: Map<string, LogicalRecord> }> {
  const out = { a: new Map<string, LogicalRecord>(), b: new Map<string, LogicalRecord>() };
  const byCollection = new Map<string, { a: Set<string>; b: Set<string> }>();
  for (const d of listed) {
    let s = byCollection.get(d.collection);
    if (!s) byCollection.set(d.collection, (s = { a: new Set(), b: new Set() }));
    if (d.kind !== 'only-in-b') s.a.add(d.id);
    if (d.kind === 'differs') s.b.add(d.id);
  }
  for (const [collection, ids] of byCollection) {
    const [ra, rb] = await Promise.all([
      ids.a.size ? a.records(collection, ids.a, ctx) : new Map<string, LogicalRecord>(),
      ids.b.size ? b.records(collection, ids.b, ctx) : new Map<string, LogicalRecord>(),
    ]);
    for (const [id, r] of ra) out.a.set(key(collection, id), r);
    for (const [id, r] of rb) out.b.set(key(collection, id), r);
  }
  return out;
}

function redactField(f: FieldDifference, redactor: Redactor): FieldDifference {
  const red = (text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      return redactor.text(text);
    }
    return JSON.stringify(redactor.value(value, f.field));
  };
  const out: FieldDifference = { field: f.field };
  const a = red(f.a);
  const b = red(f.b);
  if (a !== undefined) out.a = a;
  if (b !== undefined) out.b = b;
  return out;
}

/**
 * Ops that would make b hold what a holds: create what only a has, delete what only b has,
 * update (or delete, when a holds a tombstone) what differs. The idempotency key is derived from
 * the record and a's record hash, so the same plan always carries the same keys.
 */
function repairPlan(listed: Difference[], recordsA: Map<string, LogicalRecord>, ctx: ScanContext, redactor: Redactor): PushOp[] {
  const ops: PushOp[] = [];
  for (const d of listed) {
    if (d.kind === 'only-in-b') {
      ops.push({ idempotencyKey: `repair:${d.collection}:${d.id}:delete`, collection: d.collection, recordId: d.id, op: 'delete', payload: null });
      continue;
    }
    const rec = recordsA.get(key(d.collection, d.id));
    if (!rec) continue;
    const payload: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rec.fields)) {
      if (ctx.rules.exclude.has(k) || v === undefined || (v === null && ctx.rules.nullIsAbsent)) continue;
      payload[k] = redactor.value(v, k);
    }
    const tombstone = payload['deletedAt'] !== undefined && payload['deletedAt'] !== null;
    const op = d.kind === 'only-in-a' ? 'create' : tombstone ? 'delete' : 'update';
    const updatedAt = typeof rec.fields['updatedAt'] === 'number' ? (rec.fields['updatedAt'] as number) : null;
    ops.push({
      idempotencyKey: `repair:${d.collection}:${d.id}:${hex64(ctx.hasher.hash(canonicalRecord(rec, ctx.rules)))}`,
      collection: d.collection,
      recordId: d.id,
      op,
      payload: op === 'delete' ? null : payload,
      updatedAt,
    });
  }
  return ops;
}

function cmp(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
