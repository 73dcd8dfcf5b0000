// `syncdoc simulate` end to end: argv → options as a table (usage errors exit 2 before any file is
// read), then the real binary: exit codes, byte-identical JSON across runs and worker counts,
// shards that partition the seeds exactly, --check-determinism, and a JUnit file that parses and
// names every failing run with a command that really reproduces it.
import { XMLParser } from 'fast-xml-parser';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSyncdocError } from '../../errors.js';
import { FIXTURES, REPO_ROOT, runCli, scratchDir } from '../../test-support/cli.js';
import { parseSimulateOptions, type SimulateCommandOptions } from './simulate.js';

const SCENARIOS = join(FIXTURES, 'scenarios');
const SKEW = join(SCENARIOS, 'causal-overwrite-under-skew.json');

interface RunJson {
  scenario: string;
  algorithm: string;
  seed: string;
  verdict: string;
  checkers: Record<string, string>;
  historyHash: string;
  reproduce?: string;
  determinism?: string;
}
interface ReportJson {
  schemaVersion: number;
  verdict: string;
  runs: RunJson[];
  failures: Array<{ seed: string; reproduce: string; shrunk: { size: number; originalSize: number } | null; trace: string }>;
}

describe('parseSimulateOptions (argv → options)', () => {
  const base: SimulateCommandOptions = { shrink: '1' };
  const usage: Array<[string, Partial<SimulateCommandOptions>, RegExp]> = [
    ['seed not a number', { seed: 'x' }, /--seed must be a non-negative integer/],
    ['seed and seeds', { seed: '1', seeds: '1..2' }, /mutually exclusive/],
    ['empty range', { seeds: '5..1' }, /range is empty/],
    ['bad range', { seeds: '1-5' }, /--seeds must look like A\.\.B/],
    ['shard beyond count', { shard: '3/2' }, /--shard must be I\/N/],
    ['shard zero', { shard: '0/2' }, /--shard must be I\/N/],
    ['zero workers', { workers: '0' }, /--workers must be a whole number from 1/],
    ['unknown algorithm', { algorithm: 'lww,hlc-lww' }, /unknown algorithm "lww"/],
    ['empty algorithm list', { algorithm: ' , ' }, /--algorithm needs at least one name/],
    ['bad shrink', { shrink: '-1' }, /--shrink must be a whole number/],
    ['same output files', { junit: 'a.xml', html: 'a.xml' }, /must be different files/],
  ];
  it.each(usage)('%s → usage error (exit 2)', async (_name, o, re) => {
    const err = await parseSimulateOptions('does-not-matter.json', { ...base, ...o }).catch((e: unknown) => e);
    expect(isSyncdocError(err) && err.exitCode).toBe(2);
    expect((err as Error).message).toMatch(re);
  });
  it('accepts the documented forms', async () => {
    const p = await parseSimulateOptions('x', { ...base, algorithm: 'hlc-lww, lww-wallclock+no-idempotency,hlc-lww', seeds: '3..9', shard: '2/3', workers: '2' });
    expect(p).toMatchObject({ path: 'x', algorithms: ['hlc-lww', 'lww-wallclock+no-idempotency'], seeds: '3..9', shard: '2/3', workers: 2, shrinkPerPair: 1 });
  });
});

describe('syncdoc simulate (binary)', () => {
  it('exit 0 when the reference passes, 1 on an undeclared violation, with the reproduce command', async () => {
    const ok = await runCli(['simulate', SCENARIOS, '--algorithm', 'hlc-lww', '--seeds', '1..3']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/verdict: pass/);
    const bad = await runCli(['simulate', SKEW, '--algorithm', 'lww-wallclock', '--seed', '4']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`reproduce: syncdoc simulate ${SKEW} --algorithm lww-wallclock --seed 4`);
    expect(bad.stdout).toMatch(/shrunk to 1 of 2 ops and faults/);
    expect(bad.stdout).toMatch(/VIOLATION no-lost-write/);
    expect(bad.stderr).toMatch(/simulated 1 run\(s\) in [\d.]+ s/); // timings on stderr only
  });

  it('a declared violation does not fail the run (mobile-wins vs a web edit)', async () => {
    const r = await runCli(['simulate', join(SCENARIOS, 'mobile-wins-web-edit.json'), '--algorithm', 'mobile-wins', '--seeds', '1..3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ReportJson;
    expect(doc.runs.map((x) => x.checkers['no-lost-write'])).toEqual(['declared', 'declared', 'declared']);
  });

  it('exit 3 when the heal budget runs out (inconclusive), exit 4 on a bad scenario, 2 on a bad flag', async () => {
    const dir = scratchDir();
    // seed 1: the tablet's 4000 ms edit is pushed by ~4.4 s, the phone's next pull is at ~4.6 s;
    // healing from 4550 ms with a 1 ms budget ends with outboxes drained but the phone behind
    const doc = JSON.parse(readFileSync(SKEW, 'utf8')) as { heal: { afterMs: number; budgetMs: number } };
    doc.heal = { afterMs: 4550, budgetMs: 1 };
    writeFileSync(join(dir, 'tight.json'), JSON.stringify(doc));
    const tight = await runCli(['simulate', join(dir, 'tight.json'), '--algorithm', 'hlc-lww', '--seed', '1', '--json']);
    expect(tight.code, tight.stderr).toBe(3);
    expect((JSON.parse(tight.stdout) as ReportJson).runs[0]!.checkers).toMatchObject({ convergence: 'unknown', 'outbox-drained': 'pass' });

    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...doc, network: { lossRatio: 0.1 } }));
    const bad = await runCli(['simulate', join(dir, 'bad.json')]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain(`error: invalid scenario at $.network.lossRatio: expected a ratio string "n/d", got number 0.1: ${join(dir, 'bad.json')}`);
    expect(bad.stderr).toMatch(/hint: ratios are strings/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace

    const flag = await runCli(['simulate', SKEW, '--seeds', '9..1']);
    expect(flag.code).toBe(2);
    expect(flag.stdout).toBe('');
  });

  it('same inputs ⇒ byte-identical --json across processes and across --workers 1 and 2', async () => {
    const args = ['simulate', SCENARIOS, '--seeds', '1..4', '--json'];
    const slow = { timeoutMs: 170_000 }; // a killed process would show as code null, never as a diff
    const a = await runCli([...args, '--workers', '1'], slow);
    const [b, c] = await Promise.all([runCli([...args, '--workers', '1'], slow), runCli([...args, '--workers', '2'], slow)]);
    expect([a.code, b.code, c.code]).toEqual([1, 1, 1]); // the flawed algorithms fail
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).toBe(a.stdout);
    const doc = JSON.parse(a.stdout) as ReportJson;
    expect(doc.schemaVersion).toBe(1);
    expect(doc.runs.length).toBe(readdirSync(SCENARIOS).filter((f) => f.endsWith('.json')).length * 12 * 4);
    for (const r of doc.runs) {
      expect(Object.keys(r).slice(0, 6)).toEqual(['scenario', 'algorithm', 'seed', 'verdict', 'checkers', 'historyHash']);
      expect(r.historyHash).toMatch(/^[0-9a-f]{64}$/);
    }
    // nothing that looks like a wall-clock figure
    expect(a.stdout).not.toMatch(/"(elapsed|duration|time|timing|seconds|wallMs)\w*"/i);
  }, 400_000);

  it('--shard 1/2 and 2/2 together cover exactly the seeds of the unsharded run', async () => {
    const args = ['simulate', SCENARIOS, '--algorithm', 'hlc-lww,mobile-wins', '--seeds', '10..20', '--json'];
    const slow = { timeoutMs: 110_000 };
    const [all, s1, s2] = await Promise.all([runCli(args, slow), runCli([...args, '--shard', '1/2'], slow), runCli([...args, '--shard', '2/2'], slow)]);
    expect([all.code, s1.code, s2.code]).toEqual([1, 1, 1]);
    const runs = (r: { stdout: string }): RunJson[] => (JSON.parse(r.stdout) as ReportJson).runs;
    const key = (r: RunJson): string => `${r.scenario} ${r.algorithm} ${r.seed}`;
    const seeds1 = new Set(runs(s1).map((r) => r.seed));
    const seeds2 = new Set(runs(s2).map((r) => r.seed));
    expect([...seeds1].filter((s) => seeds2.has(s))).toEqual([]); // disjoint
    expect([...seeds1, ...seeds2].map(Number).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    // and every run is the same run, hash for hash
    const merged = new Map([...runs(s1), ...runs(s2)].map((r) => [key(r), JSON.stringify(r)]));
    expect(new Map(runs(all).map((r) => [key(r), JSON.stringify(r)]))).toEqual(merged);
  }, 240_000);

  it('--check-determinism runs every seed twice and compares history hashes', async () => {
    const r = await runCli(['simulate', join(SCENARIOS, 'standard.json'), '--algorithm', 'hlc-lww,vector-clock', '--seeds', '1..5', '--check-determinism', '--workers', '2', '--json']);
    const doc = JSON.parse(r.stdout) as ReportJson & { summary: { nondeterministic: number } };
    expect(doc.runs).toHaveLength(10);
    expect(doc.runs.every((x) => x.determinism === 'pass')).toBe(true);
    expect(doc.summary.nondeterministic).toBe(0);
  }, 120_000);

  it('writes a JUnit file that parses and names each failing run with a reproduce command that reproduces it', async () => {
    const dir = scratchDir();
    const junit = join(dir, 'reports', 'sim.xml');
    const r = await runCli(['simulate', SKEW, '--algorithm', 'lww-wallclock,hlc-lww', '--seeds', '1..3', '--junit', junit, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as ReportJson;
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' });
    const xml = parser.parse(readFileSync(junit, 'utf8')) as {
      testsuites: { tests: string; failures: string; testsuite: Array<{ name: string; testcase: Array<{ name: string; classname: string; failure?: { message: string; '#text': string } }> }> };
    };
    expect(xml.testsuites.tests).toBe('6');
    expect(xml.testsuites.failures).toBe('3');
    const cases = xml.testsuites.testsuite.flatMap((s) => s.testcase);
    expect(cases).toHaveLength(6);
    const failing = cases.filter((c) => c.failure !== undefined);
    expect(failing.map((c) => c.name)).toEqual(['lww-wallclock seed 1', 'lww-wallclock seed 2', 'lww-wallclock seed 3']);
    for (const c of failing) {
      const seed = c.name.split(' ').pop()!;
      const cmd = `syncdoc simulate ${SKEW} --algorithm lww-wallclock --seed ${seed}`;
      expect(c.failure!.message).toContain(`reproduce: ${cmd}`);
      expect(c.failure!['#text']).toContain('no-lost-write');
    }
    // the printed command really reproduces the run: same verdict, same history hash
    const cmd = failing[1]!.failure!.message.split('reproduce: syncdoc ')[1]!.split(' ');
    const again = await runCli([...cmd, '--json']);
    expect(again.code).toBe(1);
    const rerun = (JSON.parse(again.stdout) as ReportJson).runs[0]!;
    expect(rerun.historyHash).toBe(report.runs.find((x) => x.algorithm === 'lww-wallclock' && x.seed === '2')!.historyHash);
  }, 120_000);

  it('the README’s "Use in CI" job runs as written (matrix substituted, fewer seeds)', async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- section:simulate -->'), readme.indexOf('<!-- end:simulate -->'));
    const yaml = section.slice(section.indexOf('#### Use in CI'));
    expect(yaml).toMatch(/matrix:\s+shard: \[1, 2, 3, 4\]/);
    expect(yaml).toMatch(/uses: actions\/upload-artifact@v4[\s\S]*path: reports\/simulate-\$\{\{ matrix\.shard \}\}\.xml/);
    expect(yaml).toMatch(/if: failure\(\)[\s\S]*path: reports\/simulate-\$\{\{ matrix\.shard \}\}\.html/);
    const line = /run: (node bin\/syncdoc simulate .*)/.exec(yaml)![1]!;
    const dir = scratchDir();
    const argv = line
      .replaceAll('${{ matrix.shard }}', '3')
      .replace('--seeds 1..10000', '--seeds 1..40')
      .split(' ')
      .slice(2) // "node bin/syncdoc"
      .map((a) => (a.startsWith('reports/') ? join(dir, a) : a));
    const r = await runCli(argv, { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    const junit = readFileSync(join(dir, 'reports', 'simulate-3.xml'), 'utf8');
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit) as { testsuites: { tests: string; failures: string } };
    const scenarios = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json')).length;
    expect(parsed.testsuites.tests).toBe(String(scenarios * 10)); // shard 3/4 of 40 seeds
    expect(parsed.testsuites.failures).toBe('0');
    expect(readFileSync(join(dir, 'reports', 'simulate-3.html'), 'utf8')).toContain('No failing runs.');
  }, 120_000);
});
