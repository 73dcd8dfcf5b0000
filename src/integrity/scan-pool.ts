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
  /** Tasks that run only when no other task waits (work done ahead, which nothing awaits yet). */
  private readonly background: Array<{ req: WorkerRequest; pending: Pending }> = [];
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
      // A worker that dies (failed to load, crashed) breaks the pool: every waiting task is
      // rejected as "unavailable" and `runScanTask` reruns it in-process, so nothing hangs.
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`scan worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private failure: Error | undefined;
  private closing = false;

  private fail(err: Error): void {
    this.failure ??= new WorkerUnavailableError(err.message);
    for (const p of this.inflight.values()) p.reject(this.failure);
    this.inflight.clear();
    for (const q of [...this.queue.splice(0), ...this.background.splice(0)]) q.pending.reject(this.failure);
  }

  /** Runs a task on the first free worker; a `background` one only when no other task waits. */
  run(task: ScanTask, ctx: ScanContext, opts: { background?: boolean } = {}): Promise<ScanResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const req: WorkerRequest = { seq: this.seq++, task, options: ctx.options, algorithm: ctx.hasher.algorithm };
      (opts.background === true ? this.background : this.queue).push({ req, pending: { resolve, reject } });
      this.pump();
    });
  }

  private release(w: Worker): void {
    this.idle.push(w);
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length + this.background.length > 0) {
      const w = this.idle.pop()!;
      const { req, pending } = (this.queue.length > 0 ? this.queue : this.background).shift()!;
      this.inflight.set(req.seq, pending);
      w.postMessage(req);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The pool cannot run tasks any more (a worker died); the task itself did not fail. */
export class WorkerUnavailableError extends Error {
  constructor(message: string) {
    super(`scan worker unavailable: ${message}`);
    this.name = 'WorkerUnavailableError';
  }
}

/** Runs a task on the pool when there is one, else in-process on the given connection. */
export async function runScanTask(task: ScanTask, ctx: ScanContext, db: Database.Database): Promise<ScanResult> {
  if (ctx.pool) {
    try {
      return await ctx.pool.run(task, ctx);
    } catch (err) {
      if (!(err instanceof WorkerUnavailableError)) throw err;
    }
  }
  return runScan(db, task, ctx.hasher, ctx.rules);
}
