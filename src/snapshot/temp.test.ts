import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../test-support/cli.js';
import { makeTempDir, removeTempDir, sweepStaleTempDirs } from './temp.js';

describe('temp folders', () => {
  it('are private and named after their owner pid', () => {
    const dir = makeTempDir('syncdoc-snap-');
    try {
      expect(dir).toMatch(new RegExp(`syncdoc-snap-p${process.pid}-[A-Za-z0-9]{6}$`));
    } finally {
      removeTempDir(dir);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('left behind by a killed run are swept; those of live owners and foreign names are kept', async () => {
    const root = scratchDir();
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      const stale = join(root, `syncdoc-snap-p${deadPid}-AbC123`);
      const owned = join(root, `syncdoc-query-p${sleeper.pid}-XyZ789`);
      const foreign = join(root, `syncdoc-test-Q1w2E3`);
      for (const d of [stale, owned, foreign]) {
        mkdirSync(join(d, 'stores'), { recursive: true });
        writeFileSync(join(d, 'stores', 'copy.db'), 'private copy of a user database');
      }
      expect(sweepStaleTempDirs(root)).toEqual([stale]);
      expect([existsSync(stale), existsSync(owned), existsSync(foreign)]).toEqual([false, true, true]);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
