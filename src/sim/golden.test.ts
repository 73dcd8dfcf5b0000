// The simulator's output is pinned to the build before the speed work (issue 7): every fixture
// scenario × algorithm × seed 1..50 must give the same history hash and verdict, and the whole
// `--json` report, JUnit file and HTML timeline must be byte-identical (traces, shrinks and checker
// messages included). A faster engine, history or checker that changes any of it fails here.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../test-support/cli.js';

const GOLDEN = join(FIXTURES, 'sim-golden', 'fixtures-seeds-1-50.txt');

function parseGolden(): { digests: Map<string, string>; runs: string[] } {
  const digests = new Map<string, string>();
  const runs: string[] = [];
  for (const line of readFileSync(GOLDEN, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(' ');
    if (parts.length === 2) digests.set(parts[0]!, parts[1]!);
    else runs.push(line);
  }
  return { digests, runs };
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

describe('simulator output matches the pre-optimisation build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncdoc-golden-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every fixture × algorithm × seed 1..50: same history hashes, verdicts, --json, JUnit and HTML bytes', async () => {
    const { digests, runs } = parseGolden();
    expect(runs.length).toBe(9 * 12 * 50);
    const junit = join(dir, 'j.xml');
    const html = join(dir, 't.html');
    const res = await runCli(['simulate', 'fixtures/scenarios', '--seeds', '1..50', '--json', '--quiet', '--junit', junit, '--html', html], { timeoutMs: 120_000 });
    expect(res.code, res.stderr).toBe(1); // some seed algorithms fail by design
    const report = JSON.parse(res.stdout) as { runs: Array<{ scenario: string; algorithm: string; seed: string; historyHash: string; verdict: string }> };
    // per run first, so a difference names the run it is in
    const got = report.runs.map((r) => [r.scenario, r.algorithm, r.seed, r.historyHash, r.verdict].join(' '));
    const firstDiff = got.findIndex((line, i) => line !== runs[i]);
    expect(firstDiff === -1 ? null : { got: got[firstDiff], want: runs[firstDiff] }).toBeNull();
    expect(got.length).toBe(runs.length);
    expect(sha256(res.stdout)).toBe(digests.get('json'));
    expect(sha256(readFileSync(junit))).toBe(digests.get('junit'));
    expect(sha256(readFileSync(html))).toBe(digests.get('html'));
  }, 180_000);
});
