/**
 * Simulator speed, as ratios against baselines measured in the same run: (1) simulated events per
 * second of the real engine on the standard scenario (hlc-lww, one thread), beside a bare event loop
 * that only pops a binary heap and draws from the same PRNG (goal: ≥ 30 % of it); (2) wall time of a
 * 10,000-seed sweep of the standard scenario on 2 worker threads, the way CI runs it (goal: ≤ 60 s),
 * beside the same sweep's single-thread time. Prints figures only; nothing asserts a timing.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getAlgorithm } from '../sim/algorithms/index.js';
import { checkHistory } from '../sim/checkers.js';
import { EventQueue } from '../sim/event-queue.js';
import { historyHash } from '../sim/history.js';
import { Rng } from '../sim/prng.js';
import { loadScenarioFile } from '../sim/scenario.js';
import { simulate } from '../sim/simulator.js';
import { runSweep } from '../sim/sweep.js';

const STANDARD = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'scenarios', 'standard.json');

/** The floor: pop the earliest event, draw a delay, schedule the next one. Nothing else. */
function bareLoop(events: number): number {
  const q = new EventQueue<{ id: number }>();
  const rng = new Rng(1n, 'bench');
  for (let i = 0; i < 64; i++) q.push(rng.int(1000), { id: i });
  let sink = 0;
  for (let n = 0; n < events; n++) {
    const t = q.peekTime();
    const ev = q.pop();
    sink += ev.id;
    q.push(t + 1 + rng.int(100), ev);
  }
  return sink;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function run(): Promise<void> {
  const { file, scenario } = loadScenarioFile(STANDARD);
  const variant = getAlgorithm('hlc-lww');

  // warm both up so the JIT has compiled the hot paths before either is timed
  bareLoop(200_000);
  for (let s = 1n; s <= 50n; s++) simulate(scenario, variant, s);

  // interleave the two measurements in rounds, so machine load hits both alike
  let bareEvents = 0;
  let bareTime = 0;
  let simEvents = 0;
  let simTime = 0;
  let fullTime = 0;
  let fullEvents = 0;
  let seed = 1000n;
  for (let round = 0; round < 5; round++) {
    let t = process.hrtime.bigint();
    bareLoop(1_000_000);
    bareTime += seconds(t);
    bareEvents += 1_000_000;

    t = process.hrtime.bigint();
    for (let i = 0; i < 60; i++) simEvents += simulate(scenario, variant, seed++).steps;
    simTime += seconds(t);

    // the same, plus what every sweep run also does: six checkers and the history hash
    t = process.hrtime.bigint();
    for (let i = 0; i < 60; i++) {
      const h = simulate(scenario, variant, seed++);
      checkHistory(h, variant.algorithm.declarations);
      historyHash(h);
      fullEvents += h.steps;
    }
    fullTime += seconds(t);
  }
  const bareRate = bareEvents / bareTime;
  const simRate = simEvents / simTime;
  const fullRate = fullEvents / fullTime;
  const line = (label: string, rate: number): string =>
    `${label.padEnd(44)} ${(rate / 1e6).toFixed(2).padStart(6)} M events/s  ${((100 * rate) / bareRate).toFixed(1).padStart(5)} % of bare`;
  process.stdout.write(`${line('bare binary heap + PRNG loop (baseline)', bareRate)}\n`);
  process.stdout.write(`${line('simulator, standard scenario, hlc-lww', simRate)}   (goal ≥ 30 %)\n`);
  process.stdout.write(`${line('simulator + checkers + history hash', fullRate)}\n`);
  process.stdout.write(`  (${simEvents} simulated events over ${(simEvents / 300).toFixed(0)} events/run on average)\n`);

  // the CI shape: 10,000 seeds of the standard scenario, one algorithm, 2 worker threads
  const sweep = async (workers: number, count: number): Promise<number> => {
    const seeds = Array.from({ length: count }, (_, i) => String(i + 1));
    const t = process.hrtime.bigint();
    const res = await runSweep({ scenarios: [{ file, scenario }], algorithms: ['hlc-lww'], seeds, workers, checkDeterminism: false, shrinkPerPair: 1, shrinkBudget: 250 });
    const s = seconds(t);
    const failed = res.runs.filter((r) => r.verdict !== 'pass').length;
    if (failed > 0) process.stdout.write(`  warning: ${failed} run(s) did not pass\n`);
    return s;
  };
  const one = await sweep(1, 2_000);
  const two = await sweep(2, 10_000);
  process.stdout.write(`sweep, 1 thread, 2,000 seeds:                ${one.toFixed(2).padStart(7)} s  (${(2000 / one).toFixed(0)} runs/s; 10,000 seeds ≈ ${(5 * one).toFixed(1)} s)\n`);
  process.stdout.write(`sweep, 2 workers, 10,000 seeds:              ${two.toFixed(2).padStart(7)} s  (goal ≤ 60 s; ${((5 * one) / two).toFixed(2)}× the 1-thread rate)\n`);
}
