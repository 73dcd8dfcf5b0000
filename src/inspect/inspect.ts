/**
 * `inspectSnapshot`: what a snapshot holds and what state sync is in, as one typed report. It opens
 * the snapshot (or takes one already open), inspects every SQLite store, lists the other stores
 * (MMKV, AsyncStorage, Convex export: decoded by their own commands), reads every queue through the
 * outbox module, then measures queue ages from the newest timestamp in the data. Never prints, never exits: the CLI renders the report and turns
 * its verdict into an exit code.
 */
import { hasErrors, sortFindings, type Finding } from '../findings.js';
import { redactorFor } from '../privacy/redact.js';
import { openSnapshot } from '../snapshot/open.js';
import type { Snapshot, StoreRef } from '../snapshot/types.js';
import { formatAge } from '../outbox/list.js';
import { readOutbox } from '../outbox/read-outbox.js';
import type { OutboxSnapshot } from '../outbox/types.js';
import { messageOf } from '../readers/sqlite.js';
import { summariseQueues } from './queues.js';
import type { InspectReport, QueueReport, StoreReport, TimestampSource } from './report.js';
import { inspectSqliteStore } from './sqlite-store.js';
import { inspectKeyValueStores } from './cross-layer.js';

export interface InspectOptions {
  /** Replace free text in record content with stable placeholders. */
  redact?: boolean;
  /** Cap on archive extraction when `input` is a path (default 4 GiB). */
  maxExtractBytes?: number;
  /** Max keys listed per table and change kind in the WAL-only rows (counts stay complete). */
  walRowLimit?: number;
}

export async function inspectSnapshot(input: string | Snapshot, opts: InspectOptions = {}): Promise<InspectReport> {
  const snapshot =
    typeof input === 'string'
      ? await openSnapshot(input, opts.maxExtractBytes === undefined ? {} : { maxExtractBytes: opts.maxExtractBytes })
      : input;
  try {
    return inspectOpened(snapshot, opts);
  } finally {
    if (typeof input === 'string') snapshot.close();
  }
}

function inspectOpened(snapshot: Snapshot, opts: InspectOptions): InspectReport {
  const redactor = redactorFor(opts.redact === true);
  const mmkvStores = snapshot.stores.filter((s) => s.kind === 'mmkv').length;
  const findings: Finding[] = [...snapshot.findings];
  const stores: StoreReport[] = [];
  const newest: { value: TimestampSource | null } = { value: null };
  const consider = (ms: number | null, source: string): void => {
    if (ms !== null && (newest.value === null || ms > newest.value.ms)) newest.value = { ms, iso: new Date(ms).toISOString(), source };
  };

  for (const store of snapshot.stores) {
    const report = baseReport(store);
    stores.push(report);
    if (store.kind === 'sqlite') {
      const result = inspectSqliteStore(store, { mmkvStores, redactor, walRowLimit: opts.walRowLimit ?? 1000 });
      findings.push(...result.findings);
      report.flavours = result.flavours;
      if (!result.report) continue; // unreadable: already an error finding
      report.sqlite = result.report;
      if (result.newest) consider(result.newest.ms, `${store.path} ${result.newest.table}.${result.newest.column}`);
    }
    if (store.kind === 'sqlite' || store.kind === 'asyncstorage-ios') {
      const outbox = readStoreOutbox(store, findings);
      if (!outbox) continue;
      report.queues = summariseQueues(outbox);
      for (const op of outbox.ops) {
        consider(op.createdAt, `${store.path} ${op.queue} op ${op.id}`);
        consider(op.lastAttemptAt, `${store.path} ${op.queue} op ${op.id}`);
      }
    }
  }

  // MMKV / AsyncStorage summaries and SQLite ↔ key-value duplicates: src/inspect/cross-layer.ts.
  const keyValue = inspectKeyValueStores(snapshot);
  findings.push(...keyValue.findings);
  for (const kv of keyValue.stores) {
    const report = stores.find((s) => s.path === kv.store);
    if (report) report.keyValue = kv;
  }

  const newestTimestamp = newest.value;
  for (const s of stores) {
    for (const q of s.queues) {
      if (q.oldestPending && q.oldestPending.createdAtMs !== null && newestTimestamp) {
        q.oldestPending.ageMs = newestTimestamp.ms - q.oldestPending.createdAtMs;
      }
      queueFindings(s.path, q, findings);
    }
  }

  const sorted = sortFindings(findings);
  return {
    verdict: hasErrors(sorted) ? 'problems' : 'ok',
    snapshot: { input: snapshot.input, container: snapshot.container },
    stores,
    newestTimestamp,
    crossLayer: keyValue.crossLayer,
    findings: sorted,
  };
}

/** The store's queues through the outbox module; a queue that cannot be read is a finding. */
function readStoreOutbox(store: StoreRef, findings: Finding[]): OutboxSnapshot | null {
  try {
    return readOutbox({ stores: [store] });
  } catch (err) {
    findings.push({
      code: 'QUEUE_UNREADABLE',
      severity: 'warn',
      message: `cannot read the sync queue: ${messageOf(err)}`,
      store: store.path,
    });
    return null;
  }
}

function baseReport(store: StoreRef): StoreReport {
  return {
    kind: store.kind,
    path: store.path,
    sizeBytes: store.sizeBytes,
    sha256: store.sha256,
    companions: Object.keys(store.companions).sort(),
    flavours: [],
    queues: [],
  };
}

function queueFindings(store: string, q: QueueReport, findings: Finding[]): void {
  if (q.depth > 0) {
    const age =
      q.oldestPending?.ageMs != null
        ? `; the oldest waits since ${formatAge(q.oldestPending.ageMs)} before the newest timestamp in the snapshot`
        : '';
    findings.push({
      code: 'QUEUE_PENDING_OPS',
      severity: 'info',
      message: `${q.depth} op(s) not yet delivered${age}`,
      store,
      ref: q.queue,
    });
  }
  if (q.failed > 0) {
    findings.push({
      code: 'QUEUE_FAILED_OPS',
      severity: 'warn',
      message: `${q.failed} undelivered op(s) failed or carry an error`,
      store,
      ref: q.queue,
    });
  }
}
