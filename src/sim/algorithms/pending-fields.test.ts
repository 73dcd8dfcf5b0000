// `readsPendingFields: false` lets the engine skip building the pending-fields set for a pull: it
// must then be true that the algorithm's pullApply gives the same record whatever the set says.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../test-support/cli.js';
import { historyHash } from '../history.js';
import { loadScenarioFile } from '../scenario.js';
import { simulate } from '../simulator.js';
import { ALGORITHM_NAMES, getAlgorithm, type Algorithm } from './index.js';

const standard = loadScenarioFile(join(FIXTURES, 'scenarios', 'standard.json')).scenario;

describe('readsPendingFields', () => {
  for (const name of ALGORITHM_NAMES.filter((n) => !getAlgorithm(n).algorithm.readsPendingFields)) {
    it(`${name}: pullApply ignores the pending fields, and the run is the same with them built`, () => {
      const variant = getAlgorithm(name);
      const alg = variant.algorithm;
      let calls = 0;
      let withPending = 0;
      const checking: Algorithm = {
        ...alg,
        readsPendingFields: true,
        pullApply(ctx, local, remote, pending) {
          calls++;
          if (pending !== null) withPending++;
          const got = alg.pullApply(ctx, local, remote, pending);
          expect(JSON.stringify(alg.pullApply(ctx, local, remote, null))).toBe(JSON.stringify(got));
          return got;
        },
      };
      for (let seed = 1n; seed <= 10n; seed++) {
        const h = simulate(standard, { ...variant, algorithm: checking }, seed);
        expect(historyHash(h)).toBe(historyHash(simulate(standard, variant, seed)));
      }
      expect(calls).toBeGreaterThan(0);
      expect(withPending).toBeGreaterThan(0);
    });
  }
});
