/**
 * The shrinker: given a failing run, finds a smaller event sequence (fewer user ops and faults)
 * that still fails the same way, by greedy delta debugging over the materialised workload and the
 * fault list, replaying each candidate with the same seed. Because every subsystem draws from its
 * own stream, removing an op changes the network's later draws only through the messages it no
 * longer causes. Bounded by a run budget, so it always terminates; the result is never larger
 * than the input and is re-checked before it is returned.
 */
import type { AlgorithmVariant } from './algorithms/index.js';
import { checkHistory, runVerdict, CHECKER_NAMES, type CheckerName, type CheckReport } from './checkers.js';
import type { History } from './history.js';
import type { FaultSpec, OpSpec, Scenario } from './scenario.js';
import { simulate } from './simulator.js';
import { materializeOps, withOps } from './workload.js';

export interface ShrinkResult {
  ops: OpSpec[];
  faults: FaultSpec[];
  originalSize: number;
  size: number;
  /** Candidate runs tried. */
  tries: number;
  history: History;
  report: CheckReport;
}

type Item = { op: OpSpec } | { fault: FaultSpec };

export function failingCheckers(report: CheckReport): CheckerName[] {
  return CHECKER_NAMES.filter((n) => report[n].verdict === 'fail');
}

/** Runs `scenario` with exactly these ops and faults. */
export function runReduced(scenario: Scenario, variant: AlgorithmVariant, seed: bigint, ops: OpSpec[], faults: FaultSpec[]): { history: History; report: CheckReport } {
  const reduced = withOps(scenario, ops, faults);
  const history = simulate(reduced, variant, seed, { ops });
  return { history, report: checkHistory(history, variant.algorithm.declarations) };
}

export function shrinkFailure(scenario: Scenario, variant: AlgorithmVariant, seed: bigint, budget = 250): ShrinkResult | null {
  const allOps = materializeOps(scenario, seed);
  const first = runReduced(scenario, variant, seed, allOps, scenario.faults);
  const target = new Set(failingCheckers(first.report));
  if (runVerdict(first.report) !== 'fail' || target.size === 0) return null;
  // "still fails the same way": one of the originally failing checkers still fails
  const stillFails = (report: CheckReport): boolean => failingCheckers(report).some((n) => target.has(n));

  let items: Item[] = [...allOps.map((op) => ({ op })), ...scenario.faults.map((fault) => ({ fault }))];
  let best = first;
  let tries = 0;
  const split = (list: Item[]): { ops: OpSpec[]; faults: FaultSpec[] } => ({
    ops: list.flatMap((i) => ('op' in i ? [i.op] : [])),
    faults: list.flatMap((i) => ('fault' in i ? [i.fault] : [])),
  });
  let chunk = Math.max(1, Math.floor(items.length / 2));
  while (chunk >= 1 && tries < budget) {
    let removedAny = false;
    for (let start = 0; start < items.length && tries < budget; ) {
      const candidate = [...items.slice(0, start), ...items.slice(start + chunk)];
      const { ops, faults } = split(candidate);
      tries++;
      const res = runReduced(scenario, variant, seed, ops, faults);
      if (runVerdict(res.report) === 'fail' && stillFails(res.report)) {
        items = candidate;
        best = res;
        removedAny = true;
      } else {
        start += chunk;
      }
    }
    if (chunk === 1 && !removedAny) break;
    chunk = chunk === 1 ? 1 : Math.max(1, Math.floor(chunk / 2));
  }
  const { ops, faults } = split(items);
  return {
    ops, faults,
    originalSize: allOps.length + scenario.faults.length,
    size: ops.length + faults.length,
    tries,
    history: best.history,
    report: best.report,
  };
}
