/**
 * The bundled snapshot fixtures are ground truth: every file is listed with its sha256 in the
 * folder's truth.json. A test (or a command) that opens a fixture in place instead of a copy would
 * change a file or leave a stray -wal/-shm beside it; this catches both.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './test-support/cli.js';

const SNAPSHOTS = join(FIXTURES, 'snapshots');

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

describe('snapshot fixtures are untouched', () => {
  const folders = readdirSync(SNAPSHOTS).filter((n) => statSync(join(SNAPSHOTS, n)).isDirectory());
  it.each(folders)('%s: exactly the files truth.json lists, with their sha256', (folder) => {
    const root = join(SNAPSHOTS, folder);
    const truth = JSON.parse(readFileSync(join(root, 'truth.json'), 'utf8')) as { files: Array<{ path: string; sha256: string }> };
    const expected = [...truth.files.map((f) => f.path), 'truth.json'].sort();
    expect(listFiles(root)).toEqual(expected);
    for (const f of truth.files) {
      const sha = createHash('sha256').update(readFileSync(join(root, f.path))).digest('hex');
      expect(sha, f.path).toBe(f.sha256);
    }
  });
});
