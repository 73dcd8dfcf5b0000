/**
 * Start-up cost of the CLI: `syncdoc --help` against `node -e 0`, measured in the same run with the
 * two commands interleaved (so machine load hits both alike), reported as medians and their ratio.
 * The budget is 1.5× Node's own start-up; commands load their modules lazily to stay inside it.
 * Prints figures only; nothing here asserts a timing.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'syncdoc');
const RUNS = 30;

/** One timed run; a failed run (e.g. dist/ being rebuilt underneath) is retried, then reported. */
function timeOnce(args: string[]): number {
  let stderr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const start = process.hrtime.bigint();
    const res = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (res.status === 0) return ms;
    stderr = res.stderr;
  }
  throw new Error(`node ${args.join(' ')} failed 3 times: ${stderr.trim()}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export async function run(): Promise<void> {
  const baseline: number[] = [];
  const help: number[] = [];
  timeOnce(['-e', '0']); // warm the file cache before measuring
  timeOnce([BIN, '--help']);
  for (let i = 0; i < RUNS; i++) {
    baseline.push(timeOnce(['-e', '0']));
    help.push(timeOnce([BIN, '--help']));
  }
  const b = median(baseline);
  const h = median(help);
  process.stdout.write(
    `start-up (${RUNS} interleaved runs each, medians): node -e 0 ${b.toFixed(1)} ms; syncdoc --help ${h.toFixed(1)} ms; ratio ${(h / b).toFixed(2)} (budget 1.50)\n`,
  );
}
