import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import { parseVerifyOptions, type VerifyCommandOptions } from '../cli/commands/verify.js';

const TRIPLE = join(FIXTURES, 'snapshots/triple-layer-legacy');
const SQLITE = join(TRIPLE, 'SQLite/mindtrack.db');
const EXPORT = join(TRIPLE, 'server/snapshot_happy-lynx-123_20250314T113000Z.zip');

const defaults: VerifyCommandOptions = { hash: 'xxh64', numbers: 'auto', nulls: 'null-is-absent', maxDifferences: '1000', profile: 'auto' };

describe('verify argv → options', () => {
  const cases: Array<[string, string[], Partial<VerifyCommandOptions>, RegExp | object]> = [
    ['defaults', ['a', 'b'], {}, { hash: 'xxh64', expectPending: false, maxDifferences: 1000, exclude: [] }],
    ['lists', ['a', 'b'], { exclude: 'version, note', collections: 'moods' }, { exclude: ['version', 'note'], collections: ['moods'] }],
    ['workers', ['a', 'b'], { workers: '2' }, { workers: 2 }],
    ['workers 0', ['a', 'b'], { workers: '0' }, /--workers must be a whole number ≥ 1/],
    ['bad max', ['a', 'b'], { maxDifferences: '-1' }, /--max-differences/],
    ['pending needs two', ['a'], { expectPending: true }, /compare two sources/],
    ['repair needs two', ['a'], { repairPlan: true }, /compare two sources/],
    ['empty collections', ['a', 'b'], { collections: ' , ' }, /at least one name/],
  ];
  it.each(cases)('%s', (_name, sources, over, want) => {
    const run = () => parseVerifyOptions(sources, { ...defaults, ...over });
    if (want instanceof RegExp) expect(run).toThrow(want);
    else expect(run()).toMatchObject(want);
  });
});

describe('syncdoc verify (end to end)', { timeout: 60_000 }, () => {
  it('SQLite vs Convex export: exit 1, JSON lists the 18 differences; inputs untouched', async () => {
    const before = hashTree(TRIPLE);
    const r = await runCli(['verify', SQLITE, EXPORT, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { schemaVersion: number; verdict: string; differences: Array<{ kind: string }>; counts: { differences: number } };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.verdict).toBe('mismatch');
    expect(doc.counts.differences).toBe(18);
    expect(doc.differences.filter((d) => d.kind === 'only-in-b')).toHaveLength(3);
    expect(hashTree(TRIPLE)).toEqual(before);
  });

  it('human output: tables, expected differences, repair plan, verdict line', async () => {
    const r = await runCli(['verify', SQLITE, EXPORT, '--expect-pending', '--repair-plan']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/differences \(18; 11 expected, 7 unexpected\)/);
    expect(r.stdout).toMatch(/repair plan \(18 ops that would bring b in line with a; not executed\)/);
    expect(r.stdout).toMatch(/verdict: MISMATCH: 7 unexpected differences/);
    expect(r.stdout).toContain('skipped: server-only table');
  });

  it('--redact hides free text in field values but keeps ids and numbers', async () => {
    const plain = await runCli(['verify', SQLITE, EXPORT, '--json']);
    expect(plain.stdout).toContain('edited on web');
    const r = await runCli(['verify', SQLITE, EXPORT, '--json', '--redact', '--repair-plan']);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('edited on web');
    expect(r.stdout).not.toContain('felt great');
    expect(r.stdout).toContain('‹text-');
    expect(r.stdout).toContain('a6c02ed3-0c32-4dc7-a10c-5e153160ac37');
    expect(r.stdout).toContain('"b": "1025"');
  });

  it('migrate then verify: exit 0 on match; one source passes its checks', async () => {
    const out = join(scratchDir(), 'unified.db');
    const m = await runCli(['migrate', TRIPLE, '--out', out, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const v = await runCli(['verify', TRIPLE, out]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/verdict: MATCH/);
    const one = await runCli(['verify', out]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/row-checksums .*pass/s);
    expect(one.stdout).toMatch(/verdict: PASS/);
    const snap = await runCli(['verify', TRIPLE, '--json']);
    expect(snap.code).toBe(0);
    expect((JSON.parse(snap.stdout) as { checks: Array<{ check: string; status: string }> }).checks).toContainEqual(
      expect.objectContaining({ check: 'mmkv-crc', status: 'pass' }),
    );
  });

  it('usage errors exit 2 before touching files; a missing input exits 4', async () => {
    const bad = await runCli(['verify', SQLITE, EXPORT, '--hash', 'md5']);
    expect(bad.code).toBe(2);
    const one = await runCli(['verify', '/nonexistent/x.db', '--repair-plan']);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/compare two sources/);
    const spec = await runCli(['verify', SQLITE, 'local:ftp://x']);
    expect(spec.code).toBe(2);
    const missing = await runCli(['verify', '/nonexistent/x.db']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/x\.db/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});
