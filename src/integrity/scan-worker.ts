/**
 * Worker-thread entry for table scans: receives `ScanTask`s, runs them with `runScan` against a
 * read-only connection it keeps per database file, and posts the typed arrays back (transferred,
 * not copied). It holds no state beyond those connections and the hasher.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { resolveRules } from './canonical.js';
import { createRecordHasher, type HashAlgorithm } from './record-hash.js';
import { runScan, type ScanTask } from './table-scan.js';
import type { ScanContext } from './source.js';

export interface WorkerRequest {
  seq: number;
  task: ScanTask;
  options: ScanContext['options'];
  algorithm: HashAlgorithm;
}

const dbs = new Map<string, Database.Database>();

parentPort?.on('message', (msg: WorkerRequest | 'close') => {
  if (msg === 'close') {
    for (const db of dbs.values()) db.close();
    parentPort?.close();
    return;
  }
  void handle(msg);
});

async function handle({ seq, task, options, algorithm }: WorkerRequest): Promise<void> {
  try {
    let db = dbs.get(task.dbPath);
    if (!db) {
      db = new Database(task.dbPath, { readonly: true, fileMustExist: true });
      dbs.set(task.dbPath, db);
    }
    const result = runScan(db, task, await createRecordHasher(algorithm), resolveRules(options));
    const transfer =
      result.mode === 'digest'
        ? [result.counts.buffer, result.sums.buffer]
        : result.mode === 'hashes'
          ? [result.hashes.buffer]
          : result.mode === 'rowids'
            ? [result.rowids.buffer]
            : result.mode === 'query'
              ? []
              : [result.hex.buffer, result.buckets.buffer, result.counts.buffer, result.sums.buffer];
    parentPort?.postMessage({ seq, result }, transfer as ArrayBuffer[]);
  } catch (err) {
    parentPort?.postMessage({ seq, error: err instanceof Error ? err.message : String(err) });
  }
}
