/**
 * `npm run bench -- outbox`: replays 10,000 ops (5,000 records, a create and an update each)
 * against the local reference backend (the embedded server, as `--backend local` runs it) with a
 * real SQLite journal, once one op per request (the baseline) and once batched with the default
 * settings, and prints ops/s and the batched/baseline ratio. Goals: batched ≥ 10× and ≥ 20k ops/s.
 */
import { join } from 'node:path';
import { openBackend } from '../backends/open.js';
import { openSnapshot } from '../snapshot/open.js';
import { makeTempDir } from '../snapshot/temp.js';
import { readOutbox } from '../outbox/read-outbox.js';
import { openJournal } from '../outbox/journal.js';
import { planReplay, type ReplayPlan } from '../outbox/replay-plan.js';
import { replayPlan, type ReplayOptions } from '../outbox/replay.js';
import { writeSyntheticOutbox } from '../outbox/testing/synthetic-outbox.js';

const OPS = 10_000;

async function timeReplay(plan: ReplayPlan, dir: string, name: string, options: ReplayOptions): Promise<{ opsPerSec: number; requests: number }> {
  const opened = await openBackend({ kind: 'local' });
  const journal = openJournal(join(dir, `${name}.journal.sqlite`), { fingerprint: plan.fingerprint, backend: name });
  try {
    const t0 = process.hrtime.bigint();
    const result = await replayPlan(plan, opened.backend, journal, options);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (result.totals.applied !== OPS) throw new Error(`${name}: expected ${OPS} applied, got ${JSON.stringify(result.totals)}`);
    return { opsPerSec: OPS / seconds, requests: result.totals.requests };
  } finally {
    journal.close();
    await opened.backend.close();
  }
}

export async function run(): Promise<void> {
  const dir = makeTempDir('syncdoc-bench-outbox-');
  writeSyntheticOutbox(join(dir, 'app.db'), OPS / 2, 2);
  const snap = await openSnapshot(join(dir, 'app.db'));
  const plan = planReplay(readOutbox(snap).ops);
  snap.close();
  const common = { maxBatchBytes: 1024 * 1024, maxAttempts: 8, backoffBaseMs: 100, backoffMaxMs: 10_000 };
  const single = await timeReplay(plan, dir, 'single', { ...common, batchSize: 1, concurrency: 4 });
  const small = await timeReplay(plan, dir, 'batched-100', { ...common, batchSize: 100, concurrency: 4 });
  const batched = await timeReplay(plan, dir, 'batched', { ...common, batchSize: 500, concurrency: 4 });
  const line = (label: string, r: { opsPerSec: number; requests: number }): string =>
    `${label.padEnd(34)} ${Math.round(r.opsPerSec).toString().padStart(8)} ops/s  ${String(r.requests).padStart(6)} requests  ${(r.opsPerSec / single.opsPerSec).toFixed(1)}× baseline\n`;
  process.stdout.write(`replay of ${OPS} ops to the embedded local server, SQLite journal, concurrency 4\n`);
  process.stdout.write(line('one op per request (baseline)', single));
  process.stdout.write(line('batched, --batch 100', small));
  process.stdout.write(line('batched, --batch 500 (default)', batched));
  process.stdout.write(`goals: batched ≥ 10× baseline (${(batched.opsPerSec / single.opsPerSec).toFixed(1)}×), ≥ 20000 ops/s (${Math.round(batched.opsPerSec)})\n`);
}
