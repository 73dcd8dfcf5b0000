/**
 * Private temporary folders (mode 0700) for archive extraction and SQLite copies.
 * Every folder made here is removed on normal exit, on error and on Ctrl-C (main installs the
 * signal handler), so nothing of a user's snapshot is left behind in /tmp. A SIGKILLed run cannot
 * clean up after itself, so folder names carry the owner's pid and the next run removes the
 * folders of owners that no longer exist.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;
let swept = false;

/** `<prefix>p<pid>-XXXXXX`, the name mkdtemp gives a folder made by makeTempDir. */
const OWNED = /^syncdoc-[a-z0-9-]*?p(\d+)-[A-Za-z0-9]{6}$/;
/** Bounds the sweep's work in a /tmp crowded with other entries. */
const SWEEP_MAX_ENTRIES = 100_000;

export function makeTempDir(prefix = 'syncdoc-'): string {
  if (!swept) {
    swept = true;
    sweepStaleTempDirs();
  }
  const dir = mkdtempSync(join(tmpdir(), `${prefix}p${process.pid}-`));
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

/**
 * Removes syncdoc temp folders whose owner process is gone (it was killed before it could clean
 * up). Only folders of this user; a live owner (or one we may not signal) keeps its folder.
 * Returns the folders removed.
 */
export function sweepStaleTempDirs(root: string = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names.slice(0, SWEEP_MAX_ENTRIES)) {
    const pid = Number(OWNED.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    const dir = join(root, name);
    try {
      const st = statSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // another run may be sweeping the same folder: nothing to do
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
