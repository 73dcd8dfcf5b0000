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
function rawCopy(legacy: string, out: string): number {
  const start = performance.now();
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
  return performance.now() - start;
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
  const report = await migrateSnapshot({ snapshot: snap, out: join(dir, 'unified.db'), profile: 'auto', conflict: 'lww', dryRun: false, force: false });
  const migrateMs = performance.now() - t;
  const after = rawCopy(join(snap, 'SQLite', 'mindtrack.db'), join(dir, 'raw-2.db'));
  const ceilingMs = Math.min(before, after);
  say(`ceiling runs: ${Math.round(before)} ms before, ${Math.round(after)} ms after the migration\n`);
  const migrated = report.collections.reduce((n, c) => n + c.migrated, 0);
  say(`ceiling  raw prepared inserts: ${rows.toLocaleString('en-US')} rows in ${Math.round(ceilingMs)} ms = ${rate(rows, ceilingMs)}\n`);
  say(
    `migrate  plan+apply+verify+publish: ${migrated.toLocaleString('en-US')} rows in ${Math.round(migrateMs)} ms = ${rate(rows, migrateMs)}\n`,
  );
  say(`ratio    ${(ceilingMs / migrateMs).toFixed(2)}x of the ceiling (goal >= 0.80x)\n`);
}

