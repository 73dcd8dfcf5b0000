/**
 * Worker-thread entry for sweeps: receives the validated scenarios once, then chunks of jobs, and
 * answers each chunk with its results in job order (the next chunk is queued while one runs). It
 * holds no state between chunks beyond the scenarios, so which worker ran a chunk cannot change a
 * result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runJob, shrinkJob, type Job } from './run-job.js';
import type { LoadedScenario } from './scenario.js';

interface Init {
  scenarios: LoadedScenario[];
  checkDeterminism: boolean;
  shrinkBudget: number;
}
/** `start`: the index of the chunk's first job in the sweep, echoed back to place the results. */
export type WorkerRequest = { start: number; kind: 'run' | 'shrink'; jobs: Job[] };

const init = workerData as Init;
parentPort!.on('message', (req: WorkerRequest) => {
  try {
    const results =
      req.kind === 'run'
        ? req.jobs.map((j) => runJob(init.scenarios, j, init.checkDeterminism))
        : req.jobs.map((j) => shrinkJob(init.scenarios, j, init.shrinkBudget));
    parentPort!.postMessage({ start: req.start, results });
  } catch (err) {
    parentPort!.postMessage({ start: req.start, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});
