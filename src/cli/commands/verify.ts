/**
 * `syncdoc verify <a> [<b>]`: with one source, the checks a store passes or fails alone; with two,
 * a top-down digest comparison down to the exact differing records. Flags are validated before any
 * file or network is touched; the domain (src/integrity) returns a report with a verdict, rendered
 * as tables or `--json`; exit 0 on match/pass, 1 on mismatch/fail.
 */
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { Option } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import type { CheckReport } from '../../integrity/checks.js';
import type { CompareReport, Difference } from '../../integrity/compare.js';
import type { ThreeWayReport } from '../../integrity/three-way.js';
import type { renderFindings as RenderFindings, renderTable as RenderTable } from '../../output/style.js';
import { action, writeOut } from '../runtime.js';

export interface VerifyCommandOptions {
  hash: string;
  numbers: string;
  nulls: string;
  exclude?: string;
  include?: string;
  collections?: string;
  expectPending?: boolean;
  repairPlan?: boolean;
  workers?: string;
  maxDifferences: string;
  profile: string;
  migrated?: string;
}

export interface ParsedVerifyOptions {
  hash: 'xxh64' | 'sha256';
  numbers: 'auto' | 'value' | 'typed';
  nulls: 'null-is-absent' | 'distinct';
  exclude: string[];
  include: string[];
  collections?: string[];
  expectPending: boolean;
  repairPlan: boolean;
  workers?: number;
  maxDifferences: number;
  profile: string;
  /** The migrated copy of a, compared with a and with b as a third side. */
  migrated?: string;
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function positiveInt(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${name} must be a whole number ≥ ${min}, got "${v}"`, { hint: `e.g. ${name} ${Math.max(min, 2)}` });
  }
  return n;
}

/** argv → typed options; every UsageError (exit 2) is raised here, before any I/O. */
export function parseVerifyOptions(sources: string[], o: VerifyCommandOptions): ParsedVerifyOptions {
  const two = sources.length === 2;
  if (!two && (o.expectPending || o.repairPlan || o.collections !== undefined || o.migrated !== undefined)) {
    throw new UsageError('--expect-pending, --repair-plan, --collections and --migrated compare two sources', {
      hint: 'syncdoc verify <device> <server> --migrated <unified.db> --expect-pending',
    });
  }
  const parsed: ParsedVerifyOptions = {
    hash: o.hash as ParsedVerifyOptions['hash'],
    numbers: o.numbers as ParsedVerifyOptions['numbers'],
    nulls: o.nulls as ParsedVerifyOptions['nulls'],
    exclude: list(o.exclude),
    include: list(o.include),
    expectPending: o.expectPending === true,
    repairPlan: o.repairPlan === true,
    maxDifferences: positiveInt('--max-differences', o.maxDifferences, 0),
    profile: o.profile,
  };
  if (o.collections !== undefined) {
    parsed.collections = list(o.collections);
    if (parsed.collections.length === 0) throw new UsageError('--collections needs at least one name', { hint: '--collections moods,exercises' });
  }
  if (o.migrated !== undefined) {
    if (o.migrated.trim() === '') throw new UsageError('--migrated needs a path', { hint: '--migrated unified.db' });
    parsed.migrated = o.migrated;
  }
  if (o.workers !== undefined) parsed.workers = positiveInt('--workers', o.workers, 1);
  return parsed;
}

export function register(program: Command): void {
  program
    .command('verify')
    .description('check one source, or compare two (snapshot, unified db, Convex export, live backend) down to the differing records')
    .argument('<a>', 'snapshot folder/archive, SQLite or unified database, Convex export .zip, or local:URL / http(s)://URL / convex:URL')
    .argument('[b]', 'the second source, compared with a')
    .addOption(new Option('--hash <algorithm>', 'record hash').choices(['xxh64', 'sha256']).default('xxh64'))
    .addOption(
      new Option('--numbers <rule>', 'int64 vs float64: compare by value, or typed (auto: typed when both sources are Convex)')
        .choices(['auto', 'value', 'typed'])
        .default('auto'),
    )
    .addOption(new Option('--nulls <rule>', 'null vs absent field').choices(['null-is-absent', 'distinct']).default('null-is-absent'))
    .option('--exclude <fields>', 'comma-separated fields to leave out of the comparison (besides the sync-only ones)')
    .option('--include <fields>', 'comma-separated sync-only fields to compare after all (e.g. serverId,syncStatus)')
    .option('--collections <names>', 'compare only these collections (two sources)')
    .option('--expect-pending', 'report differences explained by pending outbox ops as expected, not as mismatches')
    .option('--migrated <db>', "a's migrated copy as a third side: compared with a (strictly) and with b (pending ops of its sync_queue)")
    .option('--repair-plan', 'print the ops that would bring b in line with a (never executed)')
    .option('--workers <n>', 'worker threads for SQLite scans (default: one per core)')
    .option('--max-differences <n>', 'differences listed in full (all are counted)', '1000')
    .option('--profile <name>', 'migrate profile for snapshot folders/archives (auto, a profile name or a .json file)', 'auto')
    .action(
      action<[string, string | undefined], VerifyCommandOptions>(async ([a, b], raw, globals) => {
        const given = b === undefined ? [a] : [a, b];
        const opts = parseVerifyOptions(given, raw);
        const sources = opts.migrated === undefined ? given : [...given, opts.migrated];
        const { parseBackendSpec, openRecordSource } = await import('../../integrity/open-source.js');
        for (const s of sources) parseBackendSpec(s); // bad backend specs are usage errors: before any I/O
        const { renderJson } = await import('../../output/json.js');
        const { createLogger } = await import('../../output/logger.js');
        const { createStyle, renderFindings, renderTable } = await import('../../output/style.js');
        const logger = createLogger(globals);
        const style = createStyle(globals);
        const spinner = await logger.spinner(`reading ${sources.join(' and ')}`);
        const opened = [];
        try {
          for (const s of sources) opened.push(await openRecordSource(s, { profile: opts.profile }));
          if (opened.length === 1) {
            const { checkSource } = await import('../../integrity/checks.js');
            spinner.text('checking');
            const report = await checkSource(opened[0]!, { ...opts });
            spinner.stop();
            await writeOut(globals.json ? renderJson(report) : renderCheckReport(report, { style, renderFindings, renderTable }));
            return report.verdict === 'pass' ? ExitCode.ok : ExitCode.problems;
          }
          if (opened.length === 3) {
            const { compareThreeWay } = await import('../../integrity/three-way.js');
            spinner.text('comparing digests (three sides)');
            const report = await compareThreeWay(opened[0]!.source, opened[1]!.source, opened[2]!.source, { ...opts, redact: globals.redact });
            report.findings.push(...opened.flatMap((o) => o.findings));
            spinner.stop();
            await writeOut(globals.json ? renderJson(report) : renderThreeWayReport(report, { style, renderFindings, renderTable }));
            return report.verdict === 'match' ? ExitCode.ok : ExitCode.problems;
          }
          const { compareSources } = await import('../../integrity/compare.js');
          spinner.text('comparing digests');
          const report = await compareSources(opened[0]!.source, opened[1]!.source, { ...opts, redact: globals.redact });
          report.findings.unshift(...opened.flatMap((o) => o.findings));
          spinner.stop();
          await writeOut(globals.json ? renderJson(report) : renderCompareReport(report, { style, renderFindings, renderTable }));
          return report.verdict === 'match' ? ExitCode.ok : ExitCode.problems;
        } finally {
          spinner.stop();
          for (const o of opened) await o.source.close();
        }
      }),
    );
}

/** The output helpers, passed in so this module's top level stays free of chalk and cli-table3. */
export interface Renderers {
  style: ChalkInstance;
  renderTable: typeof RenderTable;
  renderFindings: typeof RenderFindings;
}

const sourceLine = (tag: string, s: CompareReport['a']): string => `${tag}: ${s.label} (${s.kind}; ${s.mapping})`;

export function renderCompareReport(r: CompareReport, { style, renderTable, renderFindings }: Renderers): string {
  const out: string[] = [
    sourceLine('a', r.a),
    sourceLine('b', r.b),
    style.dim(`rules: hash ${r.rules.hash}, numbers ${r.rules.numbers}, nulls ${r.rules.nulls}, excluded ${r.rules.exclude.join(', ')}`),
    '',
    renderTable(
      ['collection', 'status', 'a records', 'b records', 'a sum', 'b sum', 'buckets', 'differences'],
      r.collections.map((c) => [
        c.collection,
        c.status === 'match' ? style.green(c.status) : c.status === 'skipped' ? style.dim(`${c.status}: ${c.reason ?? ''}`) : style.red(c.status),
        c.a?.count ?? '-',
        c.b?.count ?? '-',
        c.a?.sum ?? '-',
        c.b?.sum ?? '-',
        c.mismatchedBuckets,
        c.differences,
      ]),
    ),
  ];
  if (r.differences.length > 0) {
    out.push('', `differences (${r.counts.differences}; ${r.counts.expected} expected, ${r.counts.unexpected} unexpected):`);
    out.push(renderTable(['collection', 'id', 'kind', 'fields (a → b)', 'expected'], r.differences.map((d) => differenceRow(d))));
  }
  if (r.repairPlan) {
    out.push('', `repair plan (${r.repairPlan.length} ops that would bring b in line with a; not executed):`);
    out.push(
      r.repairPlan.length === 0
        ? '  (nothing to do)'
        : renderTable(['op', 'collection', 'record', 'idempotency key'], r.repairPlan.map((op) => [op.op, op.collection, op.recordId, op.idempotencyKey])),
    );
  }
  if (r.findings.length > 0) out.push('', renderFindings(r.findings, style).trimEnd());
  const verdict =
    r.verdict === 'match'
      ? style.green(`MATCH${r.counts.expected ? ` (${r.counts.expected} differences explained by pending ops)` : ''}`)
      : style.red(`MISMATCH: ${r.counts.unexpected} unexpected difference${r.counts.unexpected === 1 ? '' : 's'}`);
  out.push('', `verdict: ${verdict}`);
  return out.join('\n') + '\n';
}

/** The three pairs one after another, each as a two-source report, then the overall verdict. */
export function renderThreeWayReport(r: ThreeWayReport, renderers: Renderers): string {
  const { style, renderFindings } = renderers;
  const sections: Array<[string, CompareReport]> = [
    ['a (device) vs b (server)', r.pairs.aB],
    ['a (device) vs migrated: the migration kept every record (pending ops explain nothing here)', r.pairs.aMigrated],
    ['migrated vs b (server)', r.pairs.migratedB],
  ];
  const out: string[] = [sourceLine('a', r.a), sourceLine('b', r.b), sourceLine('migrated', r.migrated)];
  for (const [title, pair] of sections) {
    out.push('', style.bold(`== ${title} ==`), renderCompareReport(pair, renderers).trimEnd());
  }
  if (r.findings.length > 0) out.push('', renderFindings(r.findings, style).trimEnd());
  const failed = sections.filter(([, p]) => p.verdict !== 'match').map(([t]) => t.split(':')[0]!);
  out.push('', `three-way verdict: ${r.verdict === 'match' ? style.green('MATCH') : style.red(`MISMATCH (${failed.join('; ')})`)}`);
  return out.join('\n') + '\n';
}

function differenceRow(d: Difference): string[] {
  const fields = (d.fields ?? []).map((f) => `${f.field}: ${f.a ?? '∅'} → ${f.b ?? '∅'}`).join('\n');
  return [d.collection, d.id, d.kind, fields, d.expected ? `${d.expected.op ?? '?'} (${d.expected.queue})` : ''];
}

export function renderCheckReport(r: CheckReport, { style, renderTable, renderFindings }: Renderers): string {
  const paint = (s: string): string => (s === 'pass' ? style.green(s) : s === 'warn' ? style.yellow(s) : style.red(s));
  const out: string[] = [
    `source: ${r.source.label} (${r.source.kind}; ${r.source.mapping})`,
    '',
    r.collections.length === 0
      ? 'no collections'
      : renderTable(['collection', 'records', 'digest (sum mod 2^64)'], r.collections.map((c) => [c.collection, c.count, c.sum])),
    '',
    r.checks.length === 0
      ? 'no store-level checks apply to this source'
      : renderTable(['check', 'subject', 'status', 'detail'], r.checks.map((c) => [c.check, c.subject, paint(c.status), c.detail])),
    '',
    renderFindings(r.findings, style).trimEnd(),
    '',
    `verdict: ${r.verdict === 'pass' ? style.green('PASS') : style.red('FAIL')}`,
  ];
  return out.join('\n') + '\n';
}
