/**
 * A sweep: scenarios × algorithms × seeds, run on the main thread or across worker threads, then
 * the first failing seeds of each (scenario, algorithm) shrunk. Jobs are enumerated in one fixed
 * order and results are placed by job index, so the report is byte-identical for any worker count;
 * `--shard i/n` takes a contiguous slice of the seed list, so shards partition the seeds exactly.
 */
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import { getAlgorithm } from './algorithms/index.js';
import { parseSeed } from './prng.js';
import { runJob, shrinkJob, type FailureDetail, type Job, type RunRecord } from './run-job.js';
import type { LoadedScenario } from './scenario.js';

/** Most seeds one sweep may name (a bound on outside input). */
export const MAX_SEEDS = 10_000_000;

export interface SeedPlan {
  /** The seeds this process runs (after sharding), as decimal strings, ascending. */
  seeds: string[];
  from: string;
  to: string;
  shard: { index: number; count: number } | null;
}

/** Parses `--seed N` / `--seeds A..B` / `--shard I/N` into the seeds to run. Throws UsageError. */
export function planSeeds(opts: { seed?: string; seeds?: string; shard?: string }): SeedPlan {
  if (opts.seed !== undefined && opts.seeds !== undefined) throw new UsageError('--seed and --seeds are mutually exclusive', { hint: 'use --seed N for one seed or --seeds A..B for a range' });
  let from: bigint;
  let to: bigint;
  if (opts.seed !== undefined) {
    const s = parseSeed(opts.seed);
    if (s === undefined) throw new UsageError(`--seed must be a non-negative integer below 2^64, got ${JSON.stringify(opts.seed)}`);
    from = to = s;
  } else {
    const text = opts.seeds ?? '1..10';
    const m = /^(\d+)\.\.(\d+)$/.exec(text);
    const a = m ? parseSeed(m[1]!) : undefined;
    const b = m ? parseSeed(m[2]!) : undefined;
    if (a === undefined || b === undefined) throw new UsageError(`--seeds must look like A..B (inclusive), got ${JSON.stringify(text)}`, { hint: 'e.g. --seeds 1..1000' });
    if (b < a) throw new UsageError(`--seeds ${text}: the range is empty (B < A)`);
    if (b - a + 1n > BigInt(MAX_SEEDS)) throw new UsageError(`--seeds ${text}: more than ${MAX_SEEDS} seeds`, { hint: 'split the range with --shard across CI jobs' });
    from = a;
    to = b;
  }
  let shard: SeedPlan['shard'] = null;
  if (opts.shard !== undefined) {
    const m = /^(\d{1,4})\/(\d{1,4})$/.exec(opts.shard);
    const index = m ? Number(m[1]) : 0;
    const count = m ? Number(m[2]) : 0;
    if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard must be I/N with 1 ≤ I ≤ N, got ${JSON.stringify(opts.shard)}`, { hint: 'e.g. --shard 2/4 in the second of four CI jobs' });
    shard = { index, count };
  }
  const total = Number(to - from + 1n);
  const lo = shard === null ? 0 : Math.floor(((shard.index - 1) * total) / shard.count);
  const hi = shard === null ? total : Math.floor((shard.index * total) / shard.count);
  const seeds: string[] = [];
  for (let i = lo; i < hi; i++) seeds.push((from + BigInt(i)).toString());
  return { seeds, from: from.toString(), to: to.toString(), shard };
}

export interface SweepOptions {
  scenarios: LoadedScenario[];
  algorithms: string[];
  seeds: string[];
  workers: number;
  checkDeterminism: boolean;
  /** Failing runs to shrink per (scenario, algorithm), lowest seeds first. */
  shrinkPerPair: number;
  shrinkBudget: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SweepResult {
  runs: RunRecord[];
  failures: FailureDetail[];
}

export function enumerateJobs(scenarios: readonly LoadedScenario[], algorithms: readonly string[], seeds: readonly string[]): Job[] {
  for (const a of algorithms) getAlgorithm(a); // validate names before any work
  const jobs: Job[] = [];
  scenarios.forEach((_sc, s) => {
    for (const algorithm of algorithms) for (const seed of seeds) jobs.push({ s, algorithm, seed });
  });
  return jobs;
}

/** Run chunks a worker holds: the next is queued while one runs (a shrink, long and alone, is not: queued, it could wait behind another while a worker idles). */
const AHEAD = 2;
/** Largest chunk of runs: few messages while much is left. */
const MAX_CHUNK = 256;

/**
 * Runs jobs on `workers` threads (or inline for 1), results in job order. Each worker holds a chunk
 * queued behind the one it runs, so it never waits on a round trip through the main thread; chunks
 * shrink as the jobs run out (a share of what is left), so the workers finish together instead of
 * one waiting out the other's last big chunk. Results go by job index: how the jobs were split and
 * which worker ran them never shows.
 */
async function runPool<R>(
  kind: 'run' | 'shrink',
  jobs: Job[],
  opts: SweepOptions,
  inline: (job: Job) => R,
  onDone: (n: number) => void,
): Promise<R[]> {
  const results = new Array<R>(jobs.length);
  let next = 0;
  /** The next chunk's [start, end), or undefined when every job is taken. */
  const take = (): [number, number] | undefined => {
    if (next >= jobs.length) return undefined;
    const size = kind === 'shrink' ? 1 : Math.max(1, Math.min(MAX_CHUNK, Math.ceil((jobs.length - next) / (4 * opts.workers))));
    const start = next;
    next = Math.min(jobs.length, next + size);
    return [start, next];
  };
  if (opts.workers <= 1 || jobs.length <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      results[i] = inline(jobs[i]!);
      onDone(1);
    }
    return results;
  }

  const url = new URL('./worker.js', import.meta.url);
  const workers: Worker[] = [];
  let failure: unknown;
  let outstanding = 0;
  let settle: (() => void) | undefined;
  const fail = (err: unknown): void => {
    if (failure === undefined) failure = err;
    settle?.();
  };
  /** Sends `w` the next chunk, if any; true if it did. */
  const feed = (w: Worker): boolean => {
    const range = failure === undefined ? take() : undefined;
    if (range === undefined) return false;
    outstanding++;
    w.postMessage({ start: range[0], kind, jobs: jobs.slice(range[0], range[1]) });
    return true;
  };
  try {
    for (let i = 0; i < Math.min(opts.workers, jobs.length); i++) {
      const w = new Worker(url, { workerData: { scenarios: opts.scenarios, checkDeterminism: opts.checkDeterminism, shrinkBudget: opts.shrinkBudget } });
      workers.push(w);
      let mine = 0; // chunks this worker holds
      w.on('message', (msg: { start: number; results?: R[]; error?: string }) => {
        if (failure !== undefined) return;
        if (msg.error !== undefined || msg.results === undefined) {
          fail(new Error(`simulation worker failed: ${msg.error ?? 'no results'}`));
          return;
        }
        for (let j = 0; j < msg.results.length; j++) results[msg.start + j] = msg.results[j]!;
        outstanding--;
        mine--;
        onDone(msg.results.length);
        if (feed(w)) mine++;
        if (outstanding === 0) settle?.();
      });
      w.on('error', fail);
      w.on('exit', () => {
        if (mine > 0) fail(new Error('simulation worker exited with work outstanding'));
      });
      for (let k = kind === 'shrink' ? 1 : AHEAD; k > 0; k--) if (feed(w)) mine++;
    }
    await new Promise<void>((resolve) => {
      settle = resolve;
    });
    if (failure !== undefined) throw failure;
    return results;
  } finally {
    for (const w of workers) void w.terminate();
  }
}

export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const jobs = enumerateJobs(opts.scenarios, opts.algorithms, opts.seeds);
  let done = 0;
  const total = jobs.length;
  const progress = (n: number): void => {
    done += n;
    opts.onProgress?.(done, total);
  };
  const runs = await runPool('run', jobs, opts, (j) => runJob(opts.scenarios, j, opts.checkDeterminism), progress);
  // shrink the lowest failing seeds of each (scenario, algorithm): chosen after all runs are in,
  // so the choice does not depend on which worker finished first
  const perPair = new Map<string, number>();
  const toShrink: Job[] = [];
  runs.forEach((r, i) => {
    if (r.verdict !== 'fail') return;
    const pair = `${jobs[i]!.s}\u0000${r.algorithm}`;
    const n = perPair.get(pair) ?? 0;
    if (n >= opts.shrinkPerPair) return;
    perPair.set(pair, n + 1);
    toShrink.push(jobs[i]!);
  });
  const failures = await runPool('shrink', toShrink, opts, (j) => shrinkJob(opts.scenarios, j, opts.shrinkBudget), () => {});
  for (const r of runs) delete r.steps;
  return { runs, failures };
}
