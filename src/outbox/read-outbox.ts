/**
 * `readOutbox`: every queue in an opened snapshot, normalised to OutboxOp, plus the record states
 * lint needs. Stores are visited in path order and each queue keeps its own send order, so
 * `position` is deterministic for a given snapshot. Reads only the snapshot's private copies and
 * never consults the wall clock (the simulator seeds itself from this), so equal bytes give equal output.
 */
import type { Snapshot, StoreRef } from '../snapshot/types.js';
import { OPEN_STATUSES, type OutboxOp, type OutboxQueueInfo, type OutboxRecordState, type OutboxSnapshot } from './types.js';
import { openSqlite } from '../readers/sqlite-open.js';
import { walFileMissing } from '../readers/sqlite.js';
import { isAndroidAsyncStorage, readAndroidAsyncStorage, readIosAsyncStorage, type AsyncStorageStore } from '../readers/asyncstorage.js';
import { readSqliteOutbox, type QueueEntry } from './sqlite-queues.js';
import { readReduxPersistOutbox } from './redux-persist-queue.js';
import { readMirrorQueues } from './mirror-queues.js';

export interface ReadOutboxOptions {
  /** Timestamps after this (UTC ms) are ignored when picking `newestTimestamp` (future outliers). */
  ignoreAfterMs?: number;
  /**
   * Read the state of the records the queues refer to (default true; lint needs it). Migrate only
   * needs the ops, and a million-row table's states cost more than the whole migration.
   */
  records?: boolean;
}

function entryMap(store: AsyncStorageStore): Map<string, string> {
  return new Map(store.entries.map((e) => [e.key, e.value]));
}

interface StoreOutbox {
  queues: Array<{ queue: string; shape: OutboxOp['shape']; entries: QueueEntry[]; recordTables: string[] }>;
  records: OutboxRecordState[];
  walMissing: boolean;
}

function fromRedux(entries: Map<string, string>, store: StoreRef, walMissing: boolean, withRecords: boolean): StoreOutbox {
  const redux = readReduxPersistOutbox(entries, store.path);
  return { queues: redux.queues.map((q) => ({ ...q, shape: 'redux-persist' as const })), records: withRecords ? redux.records : [], walMissing };
}

function readStore(store: StoreRef, withRecords: boolean): StoreOutbox | null {
  if (store.kind === 'asyncstorage-ios') return fromRedux(entryMap(readIosAsyncStorage(store.localPath, store.path)), store, false, withRecords);
  if (store.kind !== 'sqlite') return null;
  const walMissing = walFileMissing(store);
  const db = openSqlite(store);
  try {
    if (isAndroidAsyncStorage(db)) return fromRedux(entryMap(readAndroidAsyncStorage(db, store.path)), store, walMissing, withRecords);
    const sql = readSqliteOutbox(db, store.path, { records: withRecords });
    return { queues: sql.queues.map((q) => ({ ...q, queue: q.table })), records: sql.records, walMissing };
  } finally {
    db.close();
  }
}

export function readOutbox(snapshot: Pick<Snapshot, 'stores'>, options: ReadOutboxOptions = {}): OutboxSnapshot {
  const queues: OutboxQueueInfo[] = [];
  const ops: OutboxOp[] = [];
  const records: OutboxRecordState[] = [];
  const stores = [...snapshot.stores].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const mirrors = stores.flatMap(readMirrorQueues);
  for (const store of stores) {
    const found = readStore(store, options.records ?? true);
    if (!found || found.queues.length === 0) continue;
    for (const q of found.queues) {
      queues.push({
        store: store.path,
        queue: q.queue,
        shape: q.shape,
        count: q.entries.length,
        walMissing: found.walMissing,
        recordTables: q.recordTables,
      });
      for (const e of q.entries) ops.push({ ...e, position: ops.length });
    }
    for (const r of found.records) records.push(r); // no spread: tables can hold millions of rows
  }
  return { queues, ops, records, newestTimestamp: newestTimestamp(ops, records, options.ignoreAfterMs), mirrors };
}

function newestTimestamp(ops: OutboxOp[], records: OutboxRecordState[], ignoreAfterMs: number | undefined): number | null {
  let newest: number | null = null;
  const consider = (t: number | null): void => {
    if (t === null || (ignoreAfterMs !== undefined && t > ignoreAfterMs)) return;
    if (newest === null || t > newest) newest = t;
  };
  for (const op of ops) {
    consider(op.createdAt);
    consider(op.lastAttemptAt);
    consider(op.nextAttemptAt);
    consider(op.updatedAt);
  }
  for (const r of records) consider(r.updatedAt);
  return newest;
}

/** Ops that still have to reach a backend (pending, in flight, failed), in send order. */
export function openOps(outbox: OutboxSnapshot): OutboxOp[] {
  return outbox.ops.filter((op) => OPEN_STATUSES.has(op.status));
}
