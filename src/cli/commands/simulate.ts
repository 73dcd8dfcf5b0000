/**
 * `syncdoc simulate <scenario|dir>`: runs the deterministic sync simulator over scenario files for
 * a matrix of algorithms × seeds, optionally across worker threads or one CI shard, and reports a
 * verdict per run and per checker. Flags are validated before any file is read (exit 2); a bad
 * scenario is exit 4; any undeclared violation is exit 1, inconclusive runs exit 3. `--json` holds
 * no wall-clock figures: timings go to stderr.
 */
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import type { SimulateOptions, SimulateReport } from '../../sim/simulate.js';
import { action, writeOut } from '../runtime.js';

export interface SimulateCommandOptions {
  algorithm?: string;
  seed?: string;
  seeds?: string;
  workers?: string;
  shard?: string;
  junit?: string;
  html?: string;
  checkDeterminism?: boolean;
  shrink: string;
}

export interface ParsedSimulateOptions extends SimulateOptions {
  junit?: string;
  html?: string;
}

function wholeNumber(flag: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${v}"`, { hint: `e.g. ${flag} ${Math.max(min, 2)}` });
  return n;
}

/** argv → options; every UsageError (exit 2) is raised here, before any file is read. */
export async function parseSimulateOptions(path: string, o: SimulateCommandOptions): Promise<ParsedSimulateOptions> {
  const { validateSimulateOptions } = await import('../../sim/simulate.js');
  const parsed: ParsedSimulateOptions = {
    path,
    workers: o.workers === undefined ? 1 : wholeNumber('--workers', o.workers, 1, 64),
    checkDeterminism: o.checkDeterminism === true,
    shrinkPerPair: wholeNumber('--shrink', o.shrink, 0, 1000),
  };
  if (o.algorithm !== undefined) {
    const list = o.algorithm.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new UsageError('--algorithm needs at least one name', { hint: '--algorithm hlc-lww,lww-wallclock' });
    parsed.algorithms = [...new Set(list)];
  }
  if (o.seed !== undefined) parsed.seed = o.seed;
  if (o.seeds !== undefined) parsed.seeds = o.seeds;
  if (o.shard !== undefined) parsed.shard = o.shard;
  if (o.junit !== undefined) parsed.junit = o.junit;
  if (o.html !== undefined) parsed.html = o.html;
  if (o.junit !== undefined && o.junit === o.html) throw new UsageError('--junit and --html must be different files');
  validateSimulateOptions(parsed);
  return parsed;
}

function renderHuman(report: SimulateReport, renderTable: (head: string[], rows: Array<Array<string | number>>) => string): string {
  const out: string[] = [];
  const s = report.summary;
  out.push(
    `simulate: ${report.scenarios.length} scenario(s) × ${report.algorithms.length} algorithm(s) × ${report.seeds.count} seed(s)` +
      ` (seeds ${report.seeds.from}..${report.seeds.to}${report.seeds.shard ? `, shard ${report.seeds.shard}` : ''}) = ${s.runs} run(s)`,
  );
  const rows: Array<Array<string | number>> = [];
  const groups = new Map<string, SimulateReport['runs']>();
  for (const r of report.runs) {
    const k = `${r.scenario}\u0000${r.algorithm}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [r]);
    else g.push(r);
  }
  for (const [k, runs] of groups) {
    const [scenario, algorithm] = k.split('\u0000') as [string, string];
    const failing = new Set<string>();
    const declared = new Set<string>();
    for (const r of runs) for (const [c, v] of Object.entries(r.checkers)) (v === 'fail' ? failing : v === 'declared' ? declared : new Set()).add(c);
    rows.push([
      scenario, algorithm,
      runs.filter((r) => r.verdict === 'pass').length,
      runs.filter((r) => r.verdict === 'fail').length,
      runs.filter((r) => r.verdict === 'unknown').length,
      [...failing].join(', ') + (declared.size > 0 ? `${failing.size > 0 ? '; ' : ''}declared: ${[...declared].join(', ')}` : ''),
    ]);
  }
  out.push(renderTable(['scenario', 'algorithm', 'pass', 'fail', 'unknown', 'failing checkers'], rows));
  for (const f of report.failures) {
    out.push('', `✗ ${f.scenario} · ${f.algorithm} · seed ${f.seed}`, `  reproduce: ${f.reproduce}`);
    for (const v of f.violations.slice(0, 5)) out.push(`  ${v.declared ? 'declared' : 'violation'} ${v.checker}: ${v.message}`);
    if (f.shrunk !== null) {
      out.push(`  shrunk to ${f.shrunk.size} of ${f.shrunk.originalSize} ops and faults (${f.shrunk.tries} replays):`);
      for (const op of f.shrunk.ops) out.push(`    ${op.at}ms ${op.device} ${op.op} ${op.collection}/${op.id}${op.op === 'delete' ? '' : ' ' + JSON.stringify(op.fields)}`);
      for (const fault of f.shrunk.faults) out.push(`    fault ${JSON.stringify(fault)}`);
    }
    out.push('  trace:', ...f.trace.trimEnd().split('\n').map((l) => '    ' + l));
  }
  if (s.nondeterministic > 0) out.push('', `NONDETERMINISM: ${s.nondeterministic} run(s) gave a different history hash the second time (a bug in syncdoc or an algorithm plug-in)`);
  out.push('', `verdict: ${report.verdict} — ${s.pass} pass, ${s.fail} fail, ${s.unknown} unknown${s.withDeclared > 0 ? `, ${s.withDeclared} with declared violations` : ''}`);
  return out.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('run the deterministic sync simulator over scenario files: algorithms × seeds, checkers, shrunk failures')
    .argument('<scenario>', 'a scenario .json file or a folder of them')
    .option('--algorithm <names>', 'comma-separated algorithms (default: all, each with its +no-idempotency variant)')
    .option('--seed <n>', 'run one seed')
    .option('--seeds <a..b>', 'run an inclusive range of seeds (default 1..10)')
    .option('--workers <n>', 'worker threads (results are identical for any number)')
    .option('--shard <i/n>', 'run only the i-th of n contiguous slices of the seeds (CI matrix)')
    .option('--junit <file>', 'write a JUnit XML report (one testcase per run)')
    .option('--html <file>', 'write a self-contained HTML timeline of the shrunk failures')
    .option('--check-determinism', 'run every seed twice and compare history hashes')
    .option('--shrink <n>', 'failing seeds to shrink per scenario and algorithm (lowest first)', '1')
    .action(
      action<[string], SimulateCommandOptions>(async ([path], opts, globals) => {
        const parsed = await parseSimulateOptions(path, opts);
        const [{ runSimulation }, { renderJson }, { renderTable }, { createLogger }] = await Promise.all([
          import('../../sim/simulate.js'),
          import('../../output/json.js'),
          import('../../output/style.js'),
          import('../../output/logger.js'),
        ]);
        const logger = createLogger(globals);
        const spinner = await logger.spinner('simulating');
        const started = performance.now();
        let report: SimulateReport;
        try {
          report = await runSimulation({ ...parsed, onProgress: (done, total) => spinner.text(`simulating ${done}/${total}`) });
        } finally {
          spinner.stop();
        }
        const seconds = (performance.now() - started) / 1000;
        logger.info(`simulated ${report.summary.runs} run(s) in ${seconds.toFixed(2)} s with ${parsed.workers ?? 1} worker(s)`);
        const { mkdirSync, writeFileSync } = await import('node:fs');
        const { dirname } = await import('node:path');
        const write = (file: string, text: string): void => {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, text);
        };
        if (parsed.junit !== undefined) {
          const { renderJunit } = await import('../../sim/junit.js');
          write(parsed.junit, renderJunit(report.runs, report.failures));
          logger.info(`wrote JUnit report ${parsed.junit}`);
        }
        if (parsed.html !== undefined) {
          const { renderTimelineHtml } = await import('../../sim/html-timeline.js');
          const heading = `syncdoc simulate — ${report.summary.fail} failing run(s) of ${report.summary.runs}`;
          write(parsed.html, renderTimelineHtml(report.failures.map((f) => ({ ...f.timeline, trace: f.trace })), heading));
          logger.info(`wrote HTML timeline ${parsed.html}`);
        }
        if (globals.json) {
          // the timeline is drawing data for --html; JSON keeps the trace and the shrunk ops
          await writeOut(renderJson({ ...report, failures: report.failures.map(({ timeline: _t, ...rest }) => rest) }));
        } else {
          await writeOut(renderHuman(report, renderTable));
        }
        return report.verdict === 'fail' ? ExitCode.problems : report.verdict === 'unknown' ? ExitCode.inconclusive : ExitCode.ok;
      }),
    );
}
