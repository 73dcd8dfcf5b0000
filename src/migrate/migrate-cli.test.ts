import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRecordHasher, type RecordHasher } from '../integrity/index.js';
import { BIN, FIXTURES, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import { checkOutput } from './apply.js';
import { generateTripleLayerSnapshot } from './synthetic.js';
import { toMigrateOptions } from '../cli/commands/migrate.js';

const TRIPLE = join(FIXTURES, 'snapshots', 'triple-layer-legacy');
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

let hasher: RecordHasher;
beforeAll(async () => {
  hasher = await createRecordHasher();
});

describe('migrate argv → options', () => {
  it.each([
    [['snap', {}], /--out is required/],
    [['snap', { out: 'o.db', conflict: 'newest' }], /--conflict must be one of/],
    [['snap', { out: 'o.db', profile: 'realm' }], /unknown profile/],
    [['snap', { out: 'o.db', now: 'yesterday' }], /--now must be/],
    [['', { out: 'o.db' }], /snapshot path is empty/],
  ] as const)('%j is a usage error', ([snap, opts], message) => {
    expect(() => toMigrateOptions(snap, opts)).toThrow(message);
  });

  it('defaults: auto profile, lww, not dry-run; --now accepts ms and ISO', () => {
    expect(toMigrateOptions('s', { out: 'o.db' })).toEqual({ snapshot: 's', out: 'o.db', profile: 'auto', conflict: 'lww', dryRun: false, force: false });
    expect(toMigrateOptions('s', { out: 'o.db', now: '1741948408298' }).nowMs).toBe(1741948408298);
    expect(toMigrateOptions('s', { out: 'o.db', now: '2025-03-14T12:00:00Z' }).nowMs).toBe(Date.UTC(2025, 2, 14, 12));
  });
});

describe('syncdoc migrate (the built binary)', () => {
  it('rerun gives the byte-identical database; inputs stay byte-identical; --json has the report', async () => {
    const before = hashTree(TRIPLE);
    const dir = scratchDir();
    const a = await runCli(['migrate', TRIPLE, '--out', join(dir, 'a.db'), '--json']);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['migrate', TRIPLE, '--out', join(dir, 'b.db')]);
    expect(b.code, b.stderr).toBe(0);
    expect(sha(join(dir, 'a.db'))).toBe(sha(join(dir, 'b.db')));
    expect(hashTree(TRIPLE)).toEqual(before);
    const report = JSON.parse(a.stdout) as { schemaVersion: number; verdict: string; profile: string; queue: { byStatus: Record<string, number> } };
    expect(report).toMatchObject({ schemaVersion: 1, verdict: 'migrated', profile: 'triple-layer' });
    expect(report.queue.byStatus['pending']).toBe(16);
    expect(b.stdout).toMatch(/key-value cleanup plan \(printed, never run\)/);
    expect(b.stdout).toMatch(/remove mmkv\/mmkv.default mood-store/);
    expect(readdirSync(dir).sort()).toEqual(['a.db', 'b.db']);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const dir = scratchDir();
    const r = await runCli(['migrate', TRIPLE, '--out', join(dir, 'out.db'), '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dry run: nothing written/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an existing output without --force is exit 2 with a hint, and stays untouched; --force replaces it', async () => {
    const dir = scratchDir();
    const out = join(dir, 'out.db');
    expect((await runCli(['migrate', TRIPLE, '--out', out])).code).toBe(0);
    const first = sha(out);
    const again = await runCli(['migrate', join(FIXTURES, 'snapshots', 'hybrid-queue-basic'), '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect(again.stderr).toMatch(/hint: .*--force/);
    expect(again.stdout).toBe('');
    expect(sha(out)).toBe(first);
    const forced = await runCli(['migrate', join(FIXTURES, 'snapshots', 'hybrid-queue-basic'), '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(sha(out)).not.toBe(first);
  });

  it('a missing snapshot is exit 4 with the path, no stack trace', async () => {
    const r = await runCli(['migrate', join(scratchDir(), 'nope'), '--out', join(scratchDir(), 'o.db')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/nope/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

/** A tiny seeded PRNG (mulberry32): the kill points are reproducible from the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runUntilKilled(args: string[], killAfterMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

describe('crash safety', () => {
  it('SIGKILL at 24 random points: the output is absent or complete and verified; a rerun gives the same bytes', async () => {
    const seed = 20250314;
    const rand = prng(seed);
    const snap = join(scratchDir(), 'snapshot');
    await generateTripleLayerSnapshot(snap, { rows: 4000, mmkvRows: 400, serverRows: 4000 });
    const refDir = scratchDir();
    const t0 = performance.now();
    const ref = await runCli(['migrate', snap, '--out', join(refDir, 'ref.db'), '--quiet'], { timeoutMs: 120_000 });
    const fullMs = performance.now() - t0;
    expect(ref.code, ref.stderr).toBe(0);
    const want = sha(join(refDir, 'ref.db'));

    const outcomes = { absent: 0, complete: 0 };
    for (let i = 0; i < 24; i++) {
      const dir = scratchDir();
      const out = join(dir, 'out.db');
      // spread the kill points over the whole run, start-up to publish
      const at = Math.floor(rand() * fullMs * 1.1);
      const killed = await runUntilKilled(['migrate', snap, '--out', out, '--quiet'], at);
      const context = `seed ${seed}, trial ${i}, kill after ${at} ms (exit ${killed.code}, ${killed.signal})`;
      if (existsSync(out)) {
        outcomes.complete++;
        expect(checkOutput(out, hasher).ok, context).toBe(true);
        expect(sha(out), context).toBe(want);
      } else {
        outcomes.absent++;
      }
      const rerun = await runCli(['migrate', snap, '--out', out, '--quiet', '--force'], { timeoutMs: 120_000 });
      expect(rerun.code, `${context}: ${rerun.stderr}`).toBe(0);
      expect(sha(out), context).toBe(want);
      // the killed run's temporary file is cleaned up by the rerun
      expect(readdirSync(dir), context).toEqual(['out.db']);
    }
    expect(outcomes.absent + outcomes.complete).toBe(24);
  }, 600_000);
});
