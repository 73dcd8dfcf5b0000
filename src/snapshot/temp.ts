/**
 * Private temporary folders (mode 0700) for archive extraction and SQLite copies.
 * Every folder made here is removed on normal exit, on error and on Ctrl-C (main installs the
 * signal handler), so nothing of a user's snapshot is left behind in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;

export function makeTempDir(prefix = 'syncdoc-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.add(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', removeAllTempDirs);
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

export function removeAllTempDirs(): void {
  for (const dir of [...live]) {
    try {
      removeTempDir(dir);
    } catch {
      // best effort at exit: a folder we cannot remove must not mask the real outcome
    }
  }
}
