/**
 * Worker-thread entry for `planMigration`: receives one legacy input, plans it with a hasher of the
 * same algorithm, and posts the plan back. It holds no state; `plan-thread.ts` starts and ends it.
 */
import { parentPort } from 'node:worker_threads';
import { createRecordHasher, type HashAlgorithm } from '../integrity/record-hash.js';
import { planMigration, type PlanExtras } from './plan.js';
import type { LegacyInput, PlanOptions } from './types.js';

export interface PlanRequest {
  input: LegacyInput;
  opts: PlanOptions;
  extras: PlanExtras;
  algorithm: HashAlgorithm;
}

parentPort?.on('message', (req: PlanRequest) => {
  void (async () => {
    try {
      const plan = planMigration(req.input, req.opts, await createRecordHasher(req.algorithm), req.extras);
      parentPort?.postMessage({ plan });
    } catch (err) {
      parentPort?.postMessage({ error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
