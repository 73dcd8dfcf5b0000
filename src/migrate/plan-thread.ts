/**
 * Planning on a worker thread, so that a large migration's bulk copy (which needs only what the
 * load found, not the plan) is written by the main thread while the plan is computed. The plan is
 * the same object `planMigration` returns in-process: the input crosses the thread boundary by
 * structured clone, which is faithful for plain data only, so an input holding anything else (a
 * Buffer, a class instance) is planned in-process; so is any input the worker fails on (the
 * in-process run then throws the real error).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RecordHasher } from '../integrity/index.js';
import { planMigration, type PlanExtras } from './plan.js';
import type { PlanRequest } from './plan-worker.js';
import type { LegacyInput, MigrationPlan, PlanOptions } from './types.js';

/** The compiled worker script, next to this module in dist/, or dist/'s copy when run from src/. */
function plannerScript(): URL | undefined {
  const beside = new URL('./plan-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL(beside.href.replace(/\/src\/migrate\/plan-worker\.js$/, '/dist/migrate/plan-worker.js'));
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

/** Whether structured clone gives back an equal value: primitives, arrays and plain objects only. */
export function plainData(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'function' || typeof v === 'symbol') return false;
      continue;
    }
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    for (const k in v) stack.push((v as Record<string, unknown>)[k]);
  }
  return true;
}

export class Planner {
  private readonly worker: Worker | undefined;
  private gone = false;

  /** Starts the worker now (its start-up overlaps the reading), or none if the script is missing. */
  constructor() {
    const script = plannerScript();
    this.worker = script === undefined ? undefined : new Worker(script);
    // a worker that fails to start or dies is an 'exit': the plan is then made in-process
    this.worker?.on('error', () => undefined);
    this.worker?.on('exit', () => (this.gone = true));
  }

  /** `planMigration(input, …)`, on the worker when it can be. One plan per planner. */
  async plan(input: LegacyInput, opts: PlanOptions, hasher: RecordHasher, extras: PlanExtras = {}): Promise<MigrationPlan> {
    const here = (): MigrationPlan => planMigration(input, opts, hasher, extras);
    const w = this.worker;
    if (w === undefined || this.gone || !plainData(input)) return here();
    // planning reads a bulk copy's collection and count only: its SQL and id lists stay here
    const bulk = input.bulk.map((b) => ({ ...b, params: [], exclusions: [], generalRowids: null }));
    const req: PlanRequest = { input: { ...input, bulk }, opts, extras, algorithm: hasher.algorithm };
    const reply = await new Promise<{ plan?: MigrationPlan; error?: string }>((resolve) => {
      const exited = (): void => resolve({ error: 'the planning worker exited' });
      w.once('message', (msg: { plan?: MigrationPlan; error?: string }) => {
        w.off('exit', exited);
        resolve(msg);
      });
      w.once('exit', exited);
      w.postMessage(req);
    });
    if (reply.plan === undefined) return here();
    // what the plan passes through from the input stays the caller's own objects (apply keys the
    // bulk copies' hashes by their identity)
    return { ...reply.plan, bulk: input.bulk };
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}
