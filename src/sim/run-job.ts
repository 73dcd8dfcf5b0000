/**
 * One unit of sweep work, identical in the main thread and in a worker: run a (scenario,
 * algorithm, seed) and judge it, or shrink a failing one and build its trace and timeline. Results
 * are plain data with no wall-clock content, so where a job ran never shows in the report.
 */
import { getAlgorithm } from './algorithms/index.js';
import { CHECKER_NAMES, checkHistory, runVerdict, type CheckerName, type CheckReport, type Verdict, type Violation } from './checkers.js';
import { historyHash } from './history.js';
import { timelineData, type TimelineData } from './html-timeline.js';
import type { FaultSpec, LoadedScenario, OpSpec } from './scenario.js';
import { shrinkFailure } from './shrink.js';
import { simulate } from './simulator.js';
import { renderTrace } from './trace.js';

export interface Job {
  /** Index into the sweep's scenario list. */
  s: number;
  algorithm: string;
  seed: string;
}

export interface RunRecord {
  scenario: string;
  algorithm: string;
  seed: string;
  verdict: 'pass' | 'fail' | 'unknown';
  checkers: Record<CheckerName, Verdict>;
  historyHash: string;
  /** Conflicts the algorithm detected (vector clocks). */
  conflicts: number;
  /** Present on failing runs: the command that replays this run. */
  reproduce?: string;
  /** First violation of a failing run, one line. */
  firstViolation?: string;
  /** With --check-determinism: whether a second run gave the same history hash. */
  determinism?: 'pass' | 'fail';
  /** Simulated events processed (benchmark only; dropped from reports). */
  steps?: number;
}

/** A violation as reports carry it: without the write ids (the trace names them). */
export type ViolationDetail = Omit<Violation, 'lost' | 'kept'>;

export interface FailureDetail {
  scenario: string;
  algorithm: string;
  seed: string;
  reproduce: string;
  violations: ViolationDetail[];
  shrunk: { originalSize: number; size: number; tries: number; ops: OpSpec[]; faults: FaultSpec[] } | null;
  trace: string;
  timeline: TimelineData;
}

const MAX_VIOLATIONS = 20;

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function reproduceCommand(file: string, algorithm: string, seed: string): string {
  return `syncdoc simulate ${shellQuote(file)} --algorithm ${algorithm} --seed ${seed}`;
}

function violations(report: CheckReport): ViolationDetail[] {
  const out: ViolationDetail[] = [];
  for (const name of CHECKER_NAMES) {
    for (const v of report[name].violations) {
      if (out.length >= MAX_VIOLATIONS) return out;
      const { lost: _lost, kept: _kept, ...detail } = v;
      out.push(detail);
    }
  }
  return out;
}

export function runJob(scenarios: readonly LoadedScenario[], job: Job, checkDeterminism: boolean): RunRecord {
  const { file, scenario } = scenarios[job.s]!;
  const variant = getAlgorithm(job.algorithm);
  const seed = BigInt(job.seed);
  const history = simulate(scenario, variant, seed);
  const report = checkHistory(history, variant.algorithm.declarations);
  const verdict = runVerdict(report);
  const checkers = {} as Record<CheckerName, Verdict>;
  for (const name of CHECKER_NAMES) checkers[name] = report[name].verdict;
  const hash = historyHash(history);
  const rec: RunRecord = { scenario: scenario.name, algorithm: job.algorithm, seed: job.seed, verdict, checkers, historyHash: hash, conflicts: history.conflicts, steps: history.steps };
  if (verdict === 'fail') {
    rec.reproduce = reproduceCommand(file, job.algorithm, job.seed);
    const first = violations(report).find((v) => v.declared === undefined);
    if (first !== undefined) rec.firstViolation = `${first.checker}: ${first.message}`;
  }
  if (checkDeterminism) {
    // a second, independent run of the same inputs must give the same history, bit for bit
    rec.determinism = historyHash(simulate(scenario, variant, seed)) === hash ? 'pass' : 'fail';
  }
  return rec;
}

export function shrinkJob(scenarios: readonly LoadedScenario[], job: Job, budget: number): FailureDetail {
  const { file, scenario } = scenarios[job.s]!;
  const variant = getAlgorithm(job.algorithm);
  const seed = BigInt(job.seed);
  const reproduce = reproduceCommand(file, job.algorithm, job.seed);
  const title = `${scenario.name} · ${job.algorithm} · seed ${job.seed}`;
  const shrunk = shrinkFailure(scenario, variant, seed, budget);
  if (shrunk === null) {
    // not failing after all (cannot happen for a run judged failing; kept total for safety)
    const history = simulate(scenario, variant, seed);
    const report = checkHistory(history, variant.algorithm.declarations);
    return { scenario: scenario.name, algorithm: job.algorithm, seed: job.seed, reproduce, violations: violations(report), shrunk: null, trace: renderTrace(history, report), timeline: timelineData(history, report, title, reproduce) };
  }
  return {
    scenario: scenario.name,
    algorithm: job.algorithm,
    seed: job.seed,
    reproduce,
    violations: violations(shrunk.report),
    shrunk: { originalSize: shrunk.originalSize, size: shrunk.size, tries: shrunk.tries, ops: shrunk.ops, faults: shrunk.faults },
    trace: renderTrace(shrunk.history, shrunk.report),
    timeline: timelineData(shrunk.history, shrunk.report, `${title} (shrunk to ${shrunk.size} of ${shrunk.originalSize} ops and faults)`, reproduce),
  };
}
