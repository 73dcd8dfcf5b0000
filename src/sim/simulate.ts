/**
 * `simulate` as a domain function: load and validate scenarios, run the sweep, and return a typed
 * report with a verdict. The CLI renders it (table or JSON) and writes the JUnit and HTML files
 * from it; nothing here prints or reads a clock.
 */
import { ALGORITHM_NAMES, getAlgorithm } from './algorithms/index.js';
import type { FailureDetail, RunRecord } from './run-job.js';
import { loadScenarios } from './scenario.js';
import { planSeeds, runSweep } from './sweep.js';

export interface SimulateOptions {
  path: string;
  algorithms?: string[];
  seed?: string;
  seeds?: string;
  shard?: string;
  workers?: number;
  checkDeterminism?: boolean;
  shrinkPerPair?: number;
  shrinkBudget?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SimulateReport {
  verdict: 'pass' | 'fail' | 'unknown';
  scenarios: Array<{ name: string; file: string }>;
  algorithms: string[];
  seeds: { from: string; to: string; count: number; shard: string | null };
  summary: { runs: number; pass: number; fail: number; unknown: number; withDeclared: number; nondeterministic: number };
  runs: RunRecord[];
  failures: FailureDetail[];
}

/** Validates algorithm names and seed flags (UsageError, exit 2) before any file is read. */
export function validateSimulateOptions(opts: SimulateOptions): { algorithms: string[]; plan: ReturnType<typeof planSeeds> } {
  const algorithms = opts.algorithms ?? [...ALGORITHM_NAMES];
  for (const a of algorithms) getAlgorithm(a);
  return { algorithms, plan: planSeeds(opts) };
}

export async function runSimulation(opts: SimulateOptions): Promise<SimulateReport> {
  const { algorithms, plan } = validateSimulateOptions(opts);
  const { expandFromSnapshot } = await import('./from-snapshot.js');
  const scenarios = await Promise.all(loadScenarios(opts.path).map(expandFromSnapshot));
  const { runs, failures } = await runSweep({
    scenarios,
    algorithms,
    seeds: plan.seeds,
    workers: opts.workers ?? 1,
    checkDeterminism: opts.checkDeterminism ?? false,
    shrinkPerPair: opts.shrinkPerPair ?? 1,
    shrinkBudget: opts.shrinkBudget ?? 250,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const nondeterministic = runs.filter((r) => r.determinism === 'fail').length;
  const summary = {
    runs: runs.length,
    pass: runs.filter((r) => r.verdict === 'pass').length,
    fail: runs.filter((r) => r.verdict === 'fail').length,
    unknown: runs.filter((r) => r.verdict === 'unknown').length,
    withDeclared: runs.filter((r) => Object.values(r.checkers).includes('declared')).length,
    nondeterministic,
  };
  const verdict = summary.fail > 0 || nondeterministic > 0 ? 'fail' : summary.unknown > 0 ? 'unknown' : 'pass';
  return {
    verdict,
    scenarios: scenarios.map((s) => ({ name: s.scenario.name, file: s.file })),
    algorithms,
    seeds: { from: plan.from, to: plan.to, count: plan.seeds.length, shard: plan.shard === null ? null : `${plan.shard.index}/${plan.shard.count}` },
    summary,
    runs,
    failures,
  };
}
