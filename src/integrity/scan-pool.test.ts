import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../test-support/cli.js';
import { comparisonContext } from './compare.js';
import { createRecordHasher } from './record-hash.js';
import { ScanPool, runScanTask, workerScript } from './scan-pool.js';
import type { ScanTask } from './table-scan.js';

async function setup(): Promise<{ db: Database.Database; task: ScanTask; dir: string }> {
  const dir = scratchDir();
  const dbPath = join(dir, 't.db');
  const db = new Database(dbPath);
  db.exec("CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3);");
  const task: ScanTask = {
    mode: 'digest',
    dbPath,
    spec: { collection: 't', table: 't', idSql: '"id"', columns: [{ sql: '"v"', field: 'v', kind: 'integer' }], hasRowid: true },
    range: null,
  };
  return { db, task, dir };
}

describe('scan pool', () => {
  it('workers give the same digest as an in-process scan', async () => {
    const { db, task } = await setup();
    const ctx = { ...comparisonContext({}, false), hasher: await createRecordHasher() };
    const inline = await runScanTask(task, ctx, db);
    const script = workerScript();
    expect(script, 'build first: the worker script runs from dist/').toBeDefined();
    const pool = new ScanPool(2, script!);
    try {
      expect(await runScanTask(task, { ...ctx, pool }, db)).toEqual(inline);
    } finally {
      await pool.close();
    }
  });

  it('a background task waits until no other task does', async () => {
    const { task } = await setup();
    const ctx = { ...comparisonContext({}, false), hasher: await createRecordHasher() };
    const pool = new ScanPool(1, workerScript()!);
    const order: string[] = [];
    const run = (name: string, background: boolean): Promise<void> => pool.run(task, ctx, { background }).then(() => void order.push(name));
    try {
      // the first takes the only worker; of the rest, the foreground ones go first, each in turn
      await Promise.all([run('first', false), run('ahead-1', true), run('ahead-2', true), run('second', false), run('third', false)]);
      expect(order).toEqual(['first', 'second', 'third', 'ahead-1', 'ahead-2']);
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies does not hang the scan: the task reruns in-process', async () => {
    const { db, task, dir } = await setup();
    const broken = join(dir, 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('cannot load');\n");
    const pool = new ScanPool(1, pathToFileURL(broken));
    const ctx = { ...comparisonContext({}, false), hasher: await createRecordHasher() };
    try {
      const viaBroken = await runScanTask(task, { ...ctx, pool }, db);
      expect(viaBroken).toEqual(await runScanTask(task, ctx, db));
      await expect(pool.run(task, ctx)).rejects.toThrow(/scan worker unavailable/);
    } finally {
      await pool.close();
    }
  });
});
