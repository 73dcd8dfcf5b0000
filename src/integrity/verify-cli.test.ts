import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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
    ['migrated needs two', ['a'], { migrated: 'm.db' }, /compare two sources/],
    ['migrated', ['a', 'b'], { migrated: 'm.db' }, { migrated: 'm.db' }],
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

interface PairDoc {
  verdict: string;
  differences: Array<{ collection: string; id: string; kind: string; expected?: { op: string; queue: string } }>;
  counts: { differences: number; expected: number; unexpected: number };
}
interface ThreeWayDoc {
  mode: string;
  verdict: string;
  migrated: { kind: string };
  pairs: { aB: PairDoc; aMigrated: PairDoc; migratedB: PairDoc };
}

describe('syncdoc verify <device> <server> --migrated <db> (three sides, end to end)', { timeout: 120_000 }, () => {
  const truth = JSON.parse(readFileSync(join(TRIPLE, 'truth.json'), 'utf8')) as {
    expected_pending_ops: { ops: Array<{ table: string; id: string; op: string }> };
    outbox: { entries: Array<{ collection: string; payload: string }> };
  };
  const pendingIds = truth.expected_pending_ops.ops.map((o) => `${o.table}:${o.id}`).sort();
  const deviceQueued = new Set(truth.outbox.entries.map((e) => `${e.collection}:${(JSON.parse(e.payload) as { id: string }).id}`));
  const keys = (p: PairDoc): string[] => p.differences.map((d) => `${d.collection}:${d.id}`).sort();

  it('snapshot + migrated copy + Convex export: every device/server difference is pending somewhere; a tampered copy fails', async () => {
    const dir = scratchDir();
    const migrated = join(dir, 'unified.db');
    const m = await runCli(['migrate', TRIPLE, '--out', migrated, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const before = hashTree(TRIPLE);

    const r = await runCli(['verify', TRIPLE, EXPORT, '--migrated', migrated, '--expect-pending', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ThreeWayDoc;
    expect(doc.mode).toBe('compare-3');
    expect(doc.verdict).toBe('match');
    expect(doc.migrated.kind).toBe('unified-db');
    // the migration kept every record
    expect(doc.pairs.aMigrated.differences).toEqual([]);
    // device vs server: exactly the records migrate queued, each explained; the device's own
    // outbox explains the ones it queued, the migrated copy's sync_queue the rest
    expect(keys(doc.pairs.aB)).toEqual(pendingIds);
    for (const d of doc.pairs.aB.differences) {
      expect(d.expected?.queue).toMatch(deviceQueued.has(`${d.collection}:${d.id}`) ? /#outbox$/ : /unified\.db#sync_queue$/);
    }
    expect(doc.pairs.aB.differences.some((d) => d.expected?.queue.endsWith('#sync_queue'))).toBe(true);
    expect(keys(doc.pairs.migratedB)).toEqual(pendingIds);
    expect(doc.pairs.migratedB.counts.unexpected).toBe(0);

    // without --expect-pending the same differences are unexpected: exit 1
    const strict = await runCli(['verify', TRIPLE, EXPORT, '--migrated', migrated, '--json']);
    expect(strict.code).toBe(1);
    const sdoc = JSON.parse(strict.stdout) as ThreeWayDoc;
    expect(sdoc.pairs.aB.counts.unexpected).toBe(pendingIds.length);
    expect(sdoc.pairs.aMigrated.verdict).toBe('match');

    // a row lost in the migrated copy: only the device/migrated pair names it, and pending ops
    // never excuse it; migrated vs server sees it too (the server holds it)
    const lost = join(dir, 'lost.db');
    copyFileSync(migrated, lost);
    const db = new Database(lost);
    db.prepare('DELETE FROM exercises WHERE client_id = ?').run('b9200844-3c42-4fe8-92f3-692638216f60');
    db.close();
    const bad = await runCli(['verify', TRIPLE, EXPORT, '--migrated', lost, '--expect-pending', '--json']);
    expect(bad.code).toBe(1);
    const bdoc = JSON.parse(bad.stdout) as ThreeWayDoc;
    expect(bdoc.verdict).toBe('mismatch');
    expect(bdoc.pairs.aMigrated.differences).toEqual([{ collection: 'exercises', id: 'b9200844-3c42-4fe8-92f3-692638216f60', kind: 'only-in-a' }]);
    expect(bdoc.pairs.aB.verdict).toBe('match');
    expect(bdoc.pairs.migratedB.differences.filter((d) => !d.expected).map((d) => `${d.id}:${d.kind}`)).toEqual([
      'b9200844-3c42-4fe8-92f3-692638216f60:only-in-b',
    ]);

    const human = await runCli(['verify', TRIPLE, EXPORT, '--migrated', lost, '--expect-pending']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/== a \(device\) vs migrated/);
    expect(human.stdout).toMatch(/three-way verdict: MISMATCH \(a \(device\) vs migrated; migrated vs b \(server\)\)/);
    expect(hashTree(TRIPLE)).toEqual(before);
  });
});
