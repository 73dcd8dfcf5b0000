/**
 * Benchmark for `syncdoc verify`: digest a 1M-row unified `moods` table, beside a bare
 * better-sqlite3 scan of the same table and `sqlite3 <db> .sha3sum` (when the sqlite3 CLI is
 * installed), all in the same run; then verify two copies of the database against `.sha3sum` of
 * both. The database is generated in a child process so this process's peak RSS is the scan's and
 * the comparison's alone. Figures are printed as ratios; nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { compareSources, comparisonContext, createPool } from '../integrity/compare.js';
import { openRecordSource } from '../integrity/open-source.js';
import { createRecordHasher } from '../integrity/record-hash.js';
import { applyUnifiedSchema } from '../schema/index.js';
import { makeTempDir } from '../snapshot/temp.js';

const ROWS = Number(process.env['SYNCDOC_BENCH_ROWS'] ?? 1_000_000);
/** Alternating rounds of `sqlite3 .sha3sum` of both copies and a whole `syncdoc verify` process. */
const ROUNDS = Number(process.env['SYNCDOC_BENCH_ROUNDS'] ?? 3);
const MOODS = ['calm', 'happy', 'sad', 'tired', 'anxious', 'grateful', 'energetic'];
const WORDS = ['walk', 'slept', 'friend', 'work', 'rainy', 'focus', 'good', 'long', 'day', 'again', 'café', 'win'];

/** Deterministic rows (a small LCG, no Math.random), so every run digests the same data. */
function generate(path: string, rows: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  applyUnifiedSchema(db);
  const insert = db.prepare(
    `INSERT INTO moods (client_id, server_id, user_id, mood, rating, note, tags, created_at, updated_at, deleted_at, version, sync_status, row_checksum)
     VALUES (?, ?, 'u_1', ?, ?, ?, ?, ?, ?, ?, ?, 'synced', '')`,
  );
  let s = 12345;
  const next = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) {
      const id = `${hex(i, 8)}-${hex(next(65536), 4)}-4${hex(next(4096), 3)}-a${hex(next(4096), 3)}-${hex(next(2 ** 24), 6)}${hex(i, 6)}`;
      const note = Array.from({ length: 3 + next(8) }, () => WORDS[next(WORDS.length)]).join(' ');
      const tags = JSON.stringify(Array.from({ length: next(3) }, () => WORDS[next(WORDS.length)]));
      const created = 1_730_000_000_000 + i * 1000;
      insert.run(id, `j9${hex(i, 30)}`, MOODS[next(MOODS.length)], 1 + next(5), note, tags, created, created + next(1e6), next(50) === 0 ? created + 2e6 : null, 1 + next(3));
    }
  })();
  db.close();
}

interface Timing {
  wallS: number;
  /** CPU seconds (user + system) of this process, worker threads included, or of the child. */
  cpuS: number;
  /** Peak RSS in MiB of a whole child process (from /usr/bin/time), when known. */
  rssMiB?: number;
}

async function measure(fn: () => void | Promise<void>): Promise<Timing> {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  await fn();
  const u = process.cpuUsage(c);
  return { wallS: Number(process.hrtime.bigint() - t) / 1e9, cpuS: (u.user + u.system) / 1e6 };
}

/** The run with the median wall time (its CPU time with it, so the pair stays one real run). */
function median(runs: Timing[]): Timing {
  return [...runs].sort((x, y) => x.wallS - y.wallS)[(runs.length - 1) >> 1]!;
}

const rate = (rows: number, s: number): string => `${Math.round(rows / s).toLocaleString('en-US')} rows/s`;

function line(label: string, t: Timing, rows: number, base?: Timing): void {
  const ratio = base ? `  ${(t.wallS / base.wallS).toFixed(2)}× wall, ${(t.cpuS / base.cpuS).toFixed(2)}× cpu` : '';
  process.stdout.write(`${label.padEnd(54)} ${t.wallS.toFixed(2).padStart(6)} s wall ${t.cpuS.toFixed(2).padStart(6)} s cpu  ${rate(rows, t.wallS).padStart(17)}${ratio}\n`);
}

/**
 * A whole process, timed with /usr/bin/time for its CPU (user + sys, children included); without
 * /usr/bin/time, wall time stands in for both. Null when the process fails.
 */
function timedRun(cmd: string, args: string[]): Timing | null {
  const timed = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (timed.status === 0) {
    const [e, u, sy, kb] = timed.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    return { wallS: e!, cpuS: u! + sy!, rssMiB: kb! / 1024 };
  }
  const t = process.hrtime.bigint();
  if (spawnSync(cmd, args, { stdio: 'ignore' }).status !== 0) return null;
  const wallS = Number(process.hrtime.bigint() - t) / 1e9;
  return { wallS, cpuS: wallS };
}

/** `sqlite3 <db> ".sha3sum moods"`; null without the sqlite3 CLI. */
function sha3sum(path: string): Timing | null {
  if (spawnSync('sqlite3', ['--version']).status !== 0) return null;
  return timedRun('sqlite3', ['-readonly', path, '.sha3sum moods']);
}

export async function run(): Promise<void> {
  const dir = makeTempDir('syncdoc-bench-verify-');
  const a = join(dir, 'a.db');
  const b = join(dir, 'b.db');
  const gen = await measure(() => {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--generate', a, String(ROWS)], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error('generating the benchmark database failed');
  });
  copyFileSync(a, b);
  process.stdout.write(
    `${ROWS.toLocaleString('en-US')} rows in the unified moods table (${(statSync(a).size / 2 ** 20).toFixed(0)} MiB), generated in ${gen.wallS.toFixed(1)} s; ` +
      `${availableParallelism()} cores; load average ${loadavg()[0]!.toFixed(1)} (other processes share the cores: compare ratios, not seconds)\n`,
  );

  const scan = await measure(() => {
    const db = new Database(a, { readonly: true });
    let n = 0;
    for (const _row of db.prepare('SELECT client_id, user_id, mood, rating, note, tags, created_at, updated_at, deleted_at, version FROM moods').raw().iterate()) n++;
    db.close();
    if (n !== ROWS) throw new Error(`scan saw ${n} rows`);
  });
  const sha = sha3sum(a);
  const hasher = await createRecordHasher();
  const opened = await openRecordSource(a);
  const digestWith = async (workers: number): Promise<Timing> => {
    const pool = createPool(workers);
    const ctx = { ...comparisonContext({}, false), hasher, ...(pool ? { pool } : {}) };
    try {
      return await measure(async () => {
        const d = await opened.source.digest('moods', ctx);
        if (d.count !== ROWS) throw new Error(`digest saw ${d.count} rows`);
      });
    } finally {
      await pool?.close();
    }
  };
  const one = await digestWith(1);
  const both = await digestWith(availableParallelism());
  await opened.source.close();

  process.stdout.write('\ndigest of one copy (ratios against sqlite3 .sha3sum of the same table):\n');
  line('bare better-sqlite3 raw scan (no hashing)', scan, ROWS, sha ?? undefined);
  if (sha === null) process.stdout.write('sqlite3 .sha3sum: skipped, the sqlite3 CLI is not installed (apt-get install sqlite3)\n');
  else line('sqlite3 <db> ".sha3sum moods"', sha, ROWS);
  line('syncdoc digest, 1 thread', one, ROWS, sha ?? scan);
  line(`syncdoc digest, ${availableParallelism()} worker threads`, both, ROWS, sha ?? scan);
  process.stdout.write(`  syncdoc 1 thread vs the bare scan: ${(one.cpuS / scan.cpuS).toFixed(2)}× cpu\n`);

  // Verify two copies end to end as the CLI does: open (each file linked into a private folder), digest both, compare.
  let verdict = '';
  let openT: Timing = { wallS: 0, cpuS: 0 };
  const verify = await measure(async () => {
    let sa: Awaited<ReturnType<typeof openRecordSource>> | undefined;
    let sb: typeof sa;
    openT = await measure(async () => {
      sa = await openRecordSource(a);
      sb = await openRecordSource(b);
    });
    try {
      verdict = (await compareSources(sa!.source, sb!.source)).verdict;
    } finally {
      await sa?.source.close();
      await sb?.source.close();
    }
  });
  // The goal compares whole processes: the CLI run pays Node's start-up, module loading and a cold
  // JIT, which the in-process figure above (warmed by the digest runs) does not. Both sides are
  // timed in alternating rounds (order flipped each round) and compared by their medians, as
  // other processes on a shared machine make any single run of either unreliable.
  const cliArgs = [fileURLToPath(new URL('../../bin/syncdoc', import.meta.url)), 'verify', a, b];
  const shaRuns: Timing[] = [];
  const cliRuns: Timing[] = [];
  const shaPair = (): Timing | null => {
    const [x, y] = [sha3sum(a), sha3sum(b)];
    return x && y ? { wallS: x.wallS + y.wallS, cpuS: x.cpuS + y.cpuS } : null;
  };
  const cliRun = (): Timing => {
    const t = timedRun(process.execPath, cliArgs);
    if (t === null) throw new Error('syncdoc verify a b (whole process) did not report a match');
    return t;
  };
  for (let round = 0; round < ROUNDS; round++) {
    const pair = round % 2 === 0 ? [shaPair, cliRun] : [cliRun, shaPair];
    for (const run of pair) {
      const t = run();
      if (t) (run === cliRun ? cliRuns : shaRuns).push(t);
    }
  }
  process.stdout.write('\nverify two copies (ratios against sqlite3 .sha3sum of both):\n');
  const shaBoth = shaRuns.length > 0 ? median(shaRuns) : undefined;
  if (shaBoth) line(`sqlite3 .sha3sum of a, then of b (median of ${shaRuns.length})`, shaBoth, 2 * ROWS);
  line(`syncdoc verify a b (${verdict}), in this process`, verify, 2 * ROWS, shaBoth);
  line('  of which: opening a and b', openT, 2 * ROWS);
  line(`syncdoc verify a b, whole CLI process (median of ${cliRuns.length})`, median(cliRuns), 2 * ROWS, shaBoth);
  const spread = (runs: Timing[]): string => runs.map((t) => `${t.wallS.toFixed(2)}/${t.cpuS.toFixed(2)}`).join('  ');
  if (shaBoth) process.stdout.write(`  each round, wall/cpu s: sqlite3 ${spread(shaRuns)}; syncdoc ${spread(cliRuns)}\n`);
  const rss = cliRuns.flatMap((t) => (t.rssMiB === undefined ? [] : [t.rssMiB]));
  if (rss.length > 0) process.stdout.write(`peak RSS of the whole CLI process (worker threads included), max of ${rss.length} runs: ${Math.max(...rss).toFixed(0)} MiB\n`);
  process.stdout.write(`load average now ${loadavg()[0]!.toFixed(1)}\n`);
  process.stdout.write(`peak RSS of this process (scans and verify; the database was generated in a child): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
}

// `node dist/bench/verify.js --generate <path> <rows>`: the child that builds the database.
if (process.argv[2] === '--generate' && import.meta.url === `file://${process.argv[1]}`) {
  generate(process.argv[3]!, Number(process.argv[4]));
}
