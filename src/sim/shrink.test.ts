import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../test-support/cli.js';
import { getAlgorithm } from './algorithms/index.js';
import { checkHistory, runVerdict } from './checkers.js';
import { historyHash } from './history.js';
import { loadScenarioFile } from './scenario.js';
import { failingCheckers, runReduced, shrinkFailure } from './shrink.js';
import { simulate } from './simulator.js';
import { materializeOps, withOps } from './workload.js';

const standard = loadScenarioFile(join(FIXTURES, 'scenarios', 'standard.json')).scenario;
const FLAWED = ['lww-wallclock', 'server-wins', 'mobile-wins', 'vector-clock', 'field-merge+no-idempotency', 'hlc-lww+no-idempotency'];

describe('shrinking', () => {
  it('a scenario with its generator replaced by the materialised ops replays the same history', () => {
    for (const seed of [1n, 2n, 99n]) {
      const variant = getAlgorithm('hlc-lww');
      const original = simulate(standard, variant, seed);
      const fixed = simulate(withOps(standard, materializeOps(standard, seed)), variant, seed);
      expect(historyHash(fixed)).toBe(historyHash(original));
    }
  });

  it('property: a shrunk counterexample is never larger than the original and still fails', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FLAWED), fc.bigInt({ min: 1n, max: 1n << 40n }), (algorithm, seed) => {
        const variant = getAlgorithm(algorithm);
        const original = checkHistory(simulate(standard, variant, seed), variant.algorithm.declarations);
        fc.pre(runVerdict(original) === 'fail');
        const shrunk = shrinkFailure(standard, variant, seed, 60);
        expect(shrunk).not.toBeNull();
        const originalSize = materializeOps(standard, seed).length + standard.faults.length;
        expect(shrunk!.originalSize).toBe(originalSize);
        expect(shrunk!.size).toBe(shrunk!.ops.length + shrunk!.faults.length);
        expect(shrunk!.size).toBeLessThanOrEqual(originalSize);
        // replayed from scratch, the shrunk sequence fails one of the checkers that failed originally
        const again = runReduced(standard, variant, seed, shrunk!.ops, shrunk!.faults);
        expect(runVerdict(again.report)).toBe('fail');
        expect(failingCheckers(again.report).some((c) => failingCheckers(original).includes(c))).toBe(true);
        expect(historyHash(again.history)).toBe(historyHash(shrunk!.history));
      }),
      { numRuns: 12 },
    );
  });

  it('actually shrinks: the skewed-clock failure needs one op of two', () => {
    const { scenario } = loadScenarioFile(join(FIXTURES, 'scenarios', 'causal-overwrite-under-skew.json'));
    const shrunk = shrinkFailure(scenario, getAlgorithm('lww-wallclock'), 1n)!;
    expect(shrunk.originalSize).toBe(2);
    expect(shrunk.size).toBe(1);
    expect(shrunk.ops[0]).toMatchObject({ device: 'tablet', op: 'update' });
  });

  it('returns null for a passing run', () => {
    expect(shrinkFailure(standard, getAlgorithm('hlc-lww'), 1n)).toBeNull();
  });
});
