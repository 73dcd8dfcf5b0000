/**
 * `npm run bench -- migrate`: migrates a generated triple-layer snapshot (1M SQLite rows by default,
 * plus an MMKV Zustand store holding newer copies of some of them) and prints rows/s beside the
 * ceiling measured in the same run: raw better-sqlite3 prepared inserts of the same rows into the
 * same unified table, in one transaction. SYNCDOC_BENCH_MIGRATE_ROWS changes the size.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateTripleLayerSnapshot } from '../migrate/synthetic.js';
import { migrateSnapshot } from '../migrate/run.js';
import { APPLY_CACHE_KIB } from '../migrate/apply.js';
import { applyUnifiedSchema } from '../schema/index.js';
import { makeTempDir } from '../snapshot/temp.js';

function rate(rows: number, ms: number): string {
  return `${Math.round(rows / (ms / 1000)).toLocaleString('en-US')} rows/s`;
}

/**
 * The ceiling: read the legacy rows and insert them, unchanged but for column names, with one
 * prepared statement, into the same unified table with the same write settings as migrate's apply.
 */
/** Wall and CPU (user + system, worker threads included) milliseconds of one timed step. */
interface Timing {
  ms: number;
  cpuMs: number;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
}

function rawCopy(legacy: string, out: string): Timing {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const src = new Database(legacy, { readonly: true });
  const dst = new Database(out);
  dst.pragma('journal_mode = OFF');
  dst.pragma('synchronous = OFF');
  dst.pragma(`cache_size = -${APPLY_CACHE_KIB}`);
  applyUnifiedSchema(dst);
  const ins = dst.prepare(
    'INSERT INTO moods (client_id, server_id, user_id, mood, rating, note, tags, created_at, updated_at, deleted_at, version, vector_clock, sync_status, row_checksum) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
  );
  let n = 0;
  dst.transaction(() => {
    for (const r of src.prepare('SELECT id, server_id, user_id, mood, rating, note, tags_json, created_at, updated_at, version, sync_status FROM moods').raw().iterate() as Iterable<unknown[]>) {
      ins.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], null, r[9], null, r[10], '');
      n++;
    }
  })();
  src.close();
  dst.close();
  void n;
  return { ms: performance.now() - start, cpuMs: cpuMsSince(cpu) };
}

export async function run(): Promise<void> {
  const say = (line: string): void => void process.stdout.write(line);
  const rows = Number(process.env['SYNCDOC_BENCH_MIGRATE_ROWS'] ?? 1_000_000);
  const dir = makeTempDir('syncdoc-bench-migrate-');
  const snap = join(dir, 'snapshot');
  let t = performance.now();
  await generateTripleLayerSnapshot(snap, { rows, mmkvRows: Math.min(5000, rows), serverRows: 0 });
  say(`generated ${rows.toLocaleString('en-US')}-row triple-layer snapshot (SQLite + MMKV store of ${Math.min(5000, rows)} copies) in ${Math.round(performance.now() - t)} ms\n`);

  // the ceiling runs before and after the migration (the machine's load drifts); the faster counts
  const before = rawCopy(join(snap, 'SQLite', 'mindtrack.db'), join(dir, 'raw-1.db'));
  t = performance.now();
  const cpu = process.cpuUsage();
  const phases: string[] = [];
  let phaseStart = { at: performance.now(), cpu: process.cpuUsage(), name: 'open' };
  const endPhase = (next: string): void => {
    phases.push(`${phaseStart.name} ${Math.round(performance.now() - phaseStart.at)} ms (${Math.round(cpuMsSince(phaseStart.cpu))} ms cpu)`);
    phaseStart = { at: performance.now(), cpu: process.cpuUsage(), name: next };
  };
  const report = await migrateSnapshot({
    snapshot: snap,
    out: join(dir, 'unified.db'),
    profile: 'auto',
    conflict: 'lww',
    dryRun: false,
    force: false,
    hooks: { onPhase: endPhase },
  });
  endPhase('');
  const migrate: Timing = { ms: performance.now() - t, cpuMs: cpuMsSince(cpu) };
  const after = rawCopy(join(snap, 'SQLite', 'mindtrack.db'), join(dir, 'raw-2.db'));
  const ceiling = before.ms <= after.ms ? before : after;
  say(`ceiling runs: ${Math.round(before.ms)} ms before, ${Math.round(after.ms)} ms after the migration\n`);
  const migrated = report.collections.reduce((n, c) => n + c.migrated, 0);
  say(`ceiling  raw prepared inserts: ${rows.toLocaleString('en-US')} rows in ${Math.round(ceiling.ms)} ms (${Math.round(ceiling.cpuMs)} ms cpu) = ${rate(rows, ceiling.ms)}\n`);
  say(
    `migrate  plan+apply+verify+publish: ${migrated.toLocaleString('en-US')} rows in ${Math.round(migrate.ms)} ms (${Math.round(migrate.cpuMs)} ms cpu) = ${rate(rows, migrate.ms)}\n`,
  );
  say(`         phases: ${phases.join(', ')}\n`);
  say(`ratio    ${(ceiling.ms / migrate.ms).toFixed(2)}x of the ceiling by wall time, ${(ceiling.cpuMs / migrate.cpuMs).toFixed(2)}x by cpu time (goal >= 0.80x)\n`);
  say(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB\n`);
}

