/**
 * Publishing a verified database: one `rename(2)` from the temporary file beside the output, then
 * an fsync of the folder so the new name survives a power cut. Rename is atomic on one file system,
 * which is why the temporary file lives in the output's own folder: whoever looks at the output
 * path sees nothing (or the old file, with --force) or the complete new database, never a part.
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The temporary file for an output, named after the process so concurrent runs never share one. */
export function tempPathFor(outPath: string, pid: number): string {
  return join(dirname(outPath), `.${basename(outPath)}.syncdoc-${pid}.tmp`);
}

/** Removes temporary files a killed earlier run left beside the output (their process is gone). */
export function removeStaleTemps(outPath: string): string[] {
  const dir = dirname(outPath);
  const prefix = `.${basename(outPath)}.syncdoc-`;
  const removed: string[] = [];
  if (!existsSync(dir)) return removed;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.tmp(-journal)?$/.exec(name.slice(prefix.length));
    if (m === null || isAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function publish(tempPath: string, outPath: string): void {
  renameSync(tempPath, outPath);
  const fd = openSync(dirname(outPath), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
