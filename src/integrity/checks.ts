/**
 * `verify <a>` with one source: the checks a store can pass or fail on its own. SQLite stores get
 * `PRAGMA integrity_check` and `foreign_key_check`; MMKV files get their CRC checked by the mmkv
 * decoder; a unified database gets every stored `row_checksum` recomputed (with the default
 * canonical rules, the ones migrate wrote them with) and its `migration_log` digests re-derived;
 * every outbox gets referential checks (open ops point at records that exist, dependencies exist).
 * Every collection's digest is reported so two runs can be compared by eye or by script.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { hasErrors, type Finding } from '../findings.js';
import { readOutbox } from '../outbox/read-outbox.js';
import { readMmkvInstance } from '../readers/mmkv.js';
import { openSqlite } from '../readers/sqlite-open.js';
import { quoteIdent } from '../readers/sqlite.js';
import { OPEN_STATUSES } from '../outbox/types.js';
import type { StoreRef } from '../snapshot/types.js';
import { canonicalRecord, resolveRules } from './canonical.js';
import { comparisonContext, createPool, type CompareOptions } from './compare.js';
import { DigestAccumulator } from './digest.js';
import type { OpenedSource } from './open-source.js';
import { checksumAlgorithm, createRecordHasher, hex64, type RecordHasher } from './record-hash.js';
import { compileRowEncoder, safeJson } from './row-encoder.js';
import type { ScanContext, SourceInfo } from './source.js';
import { isUnifiedDatabase, unifiedLayout } from './sources/sqlite-layouts.js';
import { selectSql } from './table-scan.js';
import { recordsRowRecord } from './unified.js';

export interface CheckResult {
  check: 'sqlite-integrity' | 'foreign-keys' | 'mmkv-crc' | 'row-checksums' | 'queue-references' | 'migration-digests';
  subject: string;
  status: 'pass' | 'fail' | 'warn';
  detail: string;
}

export interface CheckReport {
  mode: 'check';
  verdict: 'pass' | 'fail';
  source: SourceInfo;
  collections: Array<{ collection: string; count: number; sum: string }>;
  checks: CheckResult[];
  findings: Finding[];
}

/** Findings of one kind listed one by one before the rest are summarised in one line. */
const LIST_MAX = 20;

export async function checkSource(opened: OpenedSource, opts: Pick<CompareOptions, 'hash' | 'workers' | 'nulls' | 'numbers' | 'exclude' | 'include'> = {}): Promise<CheckReport> {
  const { source, snapshot } = opened;
  const hasher = await createRecordHasher(opts.hash ?? 'xxh64');
  const pool = createPool(opts.workers);
  const base = comparisonContext(opts, source.info.typedNumbers);
  const ctx: ScanContext = pool ? { ...base, hasher, pool } : { ...base, hasher };
  const checks: CheckResult[] = [];
  const findings: Finding[] = [...opened.findings];
  try {
    const collections: CheckReport['collections'] = [];
    const digests = new Map<string, DigestAccumulator>();
    for (const c of await source.collections()) {
      const d = await source.digest(c, ctx);
      digests.set(c, d);
      collections.push({ collection: c, count: d.count, sum: hex64(d.sum) });
    }
    for (const store of snapshot?.stores ?? []) {
      if (store.kind === 'sqlite') checkSqliteStore(store, hasher, checks, findings, digests, source.info.kind === 'unified-db');
      if (store.kind === 'mmkv') checkMmkv(store, checks, findings);
    }
    if (snapshot) checkQueues(snapshot, checks, findings);
    return {
      mode: 'check',
      verdict: hasErrors(findings) ? 'fail' : 'pass',
      source: source.info,
      collections,
      checks,
      findings,
    };
  } finally {
    await pool?.close();
  }
}

function checkSqliteStore(
  store: StoreRef,
  hasher: RecordHasher,
  checks: CheckResult[],
  findings: Finding[],
  digests: Map<string, DigestAccumulator>,
  unifiedSource: boolean,
): void {
  const db = openSqlite(store);
  try {
    const integrity = (db.prepare('PRAGMA integrity_check').pluck().all() as string[]).map(String);
    const ok = integrity.length === 1 && integrity[0] === 'ok';
    checks.push({ check: 'sqlite-integrity', subject: store.path, status: ok ? 'pass' : 'fail', detail: ok ? 'ok' : `${integrity.length} problems` });
    if (!ok) {
      for (const line of integrity.slice(0, LIST_MAX)) findings.push({ code: 'VERIFY_SQLITE_INTEGRITY', severity: 'error', message: line, store: store.path });
    }
    const fk = db.prepare('PRAGMA foreign_key_check').all() as Array<{ table: string; rowid: number | null; parent: string; fkid: number }>;
    checks.push({ check: 'foreign-keys', subject: store.path, status: fk.length ? 'fail' : 'pass', detail: `${fk.length} violations` });
    fk.slice(0, LIST_MAX).forEach((v) =>
      findings.push({
        code: 'VERIFY_FOREIGN_KEY',
        severity: 'error',
        message: `row ${v.rowid ?? '?'} of ${v.table} references a missing row of ${v.parent}`,
        store: store.path,
        ref: `${v.table}#${v.rowid ?? '?'}`,
      }),
    );
    if (fk.length > LIST_MAX) findings.push({ code: 'VERIFY_FOREIGN_KEY', severity: 'error', message: `${fk.length - LIST_MAX} more violations`, store: store.path });
    if (unifiedSource && isUnifiedDatabase(db)) {
      checkRowChecksums(db, store, hasher, checks, findings);
      checkMigrationDigests(db, store, digests, checks, findings);
    }
  } finally {
    db.close();
  }
}

/**
 * Recomputes every stored `row_checksum` with the default canonical rules, whatever flags the
 * comparison uses: they are what migrate wrote the checksums with.
 */
function checkRowChecksums(db: Database.Database, store: StoreRef, hasher: RecordHasher, checks: CheckResult[], findings: Finding[]): void {
  const rules = resolveRules();
  const layout = unifiedLayout(db);
  let checked = 0;
  let bad = 0;
  let missing = 0;
  const verdict = (collection: string, id: string, stored: unknown, text: () => string): void => {
    const algo = typeof stored === 'string' ? checksumAlgorithm(stored) : undefined;
    if (algo === undefined) {
      missing++;
      return;
    }
    checked++;
    const t = text();
    const actual = algo === 'sha256' ? createHash('sha256').update(t).digest('hex') : hex64(hasher.hash(t));
    if (actual === stored) return;
    bad++;
    if (bad <= LIST_MAX) {
      findings.push({
        code: 'VERIFY_ROW_CHECKSUM',
        severity: 'error',
        message: `stored ${String(stored)}, recomputed ${actual}`,
        store: store.path,
        ref: `${collection}#${id}`,
      });
    }
  };
  for (const spec of layout.specs) {
    const { sql, kept } = selectSql(spec, rules, null);
    const encode = compileRowEncoder(kept, rules);
    const withChecksum = sql.replace(/^SELECT /, 'SELECT "row_checksum", ');
    for (const row of db.prepare(withChecksum).raw(true).iterate() as IterableIterator<unknown[]>) {
      const rest = row.slice(1);
      verdict(spec.collection, String(rest[0]), row[0], () => encode(rest));
    }
  }
  if (Object.keys(layout.scans).length > 0) {
    for (const row of db.prepare('SELECT * FROM records').iterate() as IterableIterator<Record<string, unknown>>) {
      const rec = recordsRowRecord(row);
      verdict(String(row['collection']), rec.id, row['row_checksum'], () => canonicalRecord(rec, rules));
    }
  }
  if (bad > LIST_MAX) findings.push({ code: 'VERIFY_ROW_CHECKSUM', severity: 'error', message: `${bad - LIST_MAX} more rows with a wrong row_checksum`, store: store.path });
  if (missing > 0) {
    findings.push({ code: 'VERIFY_ROW_CHECKSUM_MISSING', severity: 'warn', message: `${missing} rows have no row_checksum in a known format`, store: store.path });
  }
  checks.push({
    check: 'row-checksums',
    subject: store.path,
    status: bad ? 'fail' : missing ? 'warn' : 'pass',
    detail: `${checked} checked, ${bad} wrong, ${missing} missing`,
  });
}

/**
 * `migration_log.digests` holds, per collection, the digest migrate computed at plan time (a
 * `CollectionDigest`, as JSON text or as an object); the rows must still add up to it.
 */
function checkMigrationDigests(
  db: Database.Database,
  store: StoreRef,
  digests: Map<string, DigestAccumulator>,
  checks: CheckResult[],
  findings: Finding[],
): void {
  const row = db.prepare('SELECT id, digests FROM migration_log ORDER BY id DESC LIMIT 1').get() as { id: number; digests: string } | undefined;
  if (!row) return;
  let recorded: Record<string, { count?: unknown; sum?: unknown } | string>;
  try {
    recorded = JSON.parse(row.digests) as typeof recorded;
  } catch {
    checks.push({ check: 'migration-digests', subject: store.path, status: 'warn', detail: 'migration_log.digests is not JSON' });
    return;
  }
  let bad = 0;
  let compared = 0;
  for (const [collection, value] of Object.entries(recorded)) {
    // migrate stores each digest as its JSON text
    const d = (typeof value === 'string' ? safeJson(value) : value) as { count?: unknown; sum?: unknown } | null;
    if (d === null || typeof d !== 'object' || typeof d.count !== 'number' || typeof d.sum !== 'string') continue;
    compared++;
    const now = digests.get(collection) ?? new DigestAccumulator();
    if (now.count === d.count && hex64(now.sum) === d.sum) continue;
    bad++;
    findings.push({
      code: 'VERIFY_MIGRATION_DIGEST',
      severity: 'error',
      message: `migration ${row.id} recorded ${d.count} records (sum ${d.sum}); the table now holds ${now.count} (sum ${hex64(now.sum)})`,
      store: store.path,
      ref: collection,
    });
  }
  checks.push({
    check: 'migration-digests',
    subject: store.path,
    status: bad ? 'fail' : 'pass',
    detail: `${compared} collections compared with migration ${row.id}, ${bad} differ`,
  });
}

function checkMmkv(store: StoreRef, checks: CheckResult[], findings: Finding[]): void {
  try {
    const crc = store.companions.crc === undefined ? undefined : readFileSync(store.companions.crc);
    const inst = readMmkvInstance(readFileSync(store.localPath), crc, { name: store.path, store: store.path });
    const ok = inst.integrity.crcOk;
    checks.push({
      check: 'mmkv-crc',
      subject: store.path,
      status: ok === true ? 'pass' : ok === null ? 'warn' : 'fail',
      detail: ok === true ? `crc ok (${inst.integrity.status})` : ok === null ? 'no .crc file' : `crc mismatch (${inst.integrity.status})`,
    });
    if (ok === false) {
      findings.push({
        code: 'VERIFY_MMKV_CRC',
        severity: 'error',
        message: `CRC mismatch: ${inst.integrity.verifiedBytes} of ${inst.integrity.regionBytes} bytes verified (${inst.integrity.status})`,
        store: store.path,
      });
    }
    if (ok === null) findings.push({ code: 'VERIFY_MMKV_NO_CRC', severity: 'warn', message: 'no .crc companion', store: store.path });
  } catch (err) {
    checks.push({ check: 'mmkv-crc', subject: store.path, status: 'fail', detail: 'unreadable' });
    findings.push({ code: 'VERIFY_MMKV_UNREADABLE', severity: 'error', message: err instanceof Error ? err.message : String(err), store: store.path });
  }
}

/** Open create/update ops must point at an existing record; dependencies must exist. */
function checkQueues(snapshot: NonNullable<OpenedSource['snapshot']>, checks: CheckResult[], findings: Finding[]): void {
  const outbox = readOutbox(snapshot);
  if (outbox.queues.length === 0) return;
  const records = new Set(outbox.records.map((r) => `${r.store}\u0000${r.table}\u0000${r.recordId}`));
  const opIds = new Set(outbox.ops.map((op) => `${op.store}\u0000${op.queue}\u0000${op.id}`));
  let orphans = 0;
  let missingDeps = 0;
  for (const op of outbox.ops) {
    const open = OPEN_STATUSES.has(op.status);
    if (open && (op.op === 'create' || op.op === 'update') && op.recordId !== null && op.recordTable !== null) {
      if (!records.has(`${op.store}\u0000${op.recordTable}\u0000${op.recordId}`)) {
        orphans++;
        findings.push({
          code: 'VERIFY_QUEUE_ORPHAN',
          severity: 'error',
          message: `${op.op} op ${op.id} for ${op.collection} ${op.recordId}: no such record in ${op.recordTable}`,
          store: op.store,
          ref: `${op.queue}#${op.id}`,
        });
      }
    }
    for (const dep of op.dependsOn) {
      if (opIds.has(`${op.store}\u0000${op.queue}\u0000${dep}`)) continue;
      missingDeps++;
      findings.push({
        code: 'VERIFY_QUEUE_DEPENDENCY_MISSING',
        severity: 'error',
        message: `op ${op.id} depends on op ${dep}, which is not in the queue`,
        store: op.store,
        ref: `${op.queue}#${op.id}`,
      });
    }
  }
  for (const q of outbox.queues) {
    checks.push({
      check: 'queue-references',
      subject: `${q.store}#${q.queue}`,
      status: orphans || missingDeps ? 'fail' : 'pass',
      detail: `${q.count} ops; ${orphans} orphans, ${missingDeps} missing dependencies (all queues)`,
    });
  }
}
