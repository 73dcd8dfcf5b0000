/**
 * A small pool of scan workers (one per core by default) shared by both sides of a comparison, so
 * two 1M-row databases are digested on both cores at once. When the compiled worker script is not
 * there (running from TypeScript sources under a test runner before a build), tasks run
 * in-process: same code, same results, one core.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { WorkerRequest } from './scan-worker.js';
import type { ScanContext } from './source.js';
import { runScan, type ScanResult, type ScanTask } from './table-scan.js';

interface Pending {
  resolve: (r: ScanResult) => void;
  reject: (e: Error) => void;
}

/** The compiled worker script, next to this module in dist/, or dist/'s copy when run from src/. */
export function workerScript(): URL | undefined {
  const beside = new URL('./scan-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL(beside.href.replace(/\/src\/integrity\/scan-worker\.js$/, '/dist/integrity/scan-worker.js'));
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ req: WorkerRequest; pending: Pending }> = [];
  private readonly inflight = new Map<number, Pending>();
  private seq = 0;

  constructor(size: number, script: URL) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on('message', (msg: { seq: number; result?: ScanResult; error?: string }) => {
        const p = this.inflight.get(msg.seq);
        this.inflight.delete(msg.seq);
        this.release(w);
        if (!p) return;
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.result!);
      });
      w.on('error', (err) => {
        for (const p of this.inflight.values()) p.reject(err);
        this.inflight.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(task: ScanTask, ctx: ScanContext): Promise<ScanResult> {
    return new Promise((resolve, reject) => {
      const req: WorkerRequest = { seq: this.seq++, task, options: ctx.options, algorithm: ctx.hasher.algorithm };
      this.queue.push({ req, pending: { resolve, reject } });
      this.pump();
    });
  }

  private release(w: Worker): void {
    this.idle.push(w);
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const { req, pending } = this.queue.shift()!;
      this.inflight.set(req.seq, pending);
      w.postMessage(req);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Runs a task on the pool when there is one, else in-process on the given connection. */
export function runScanTask(task: ScanTask, ctx: ScanContext, db: Database.Database): Promise<ScanResult> {
  return ctx.pool ? ctx.pool.run(task, ctx) : Promise.resolve(runScan(db, task, ctx.hasher, ctx.rules));
}
