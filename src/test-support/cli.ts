/**
 * Test helpers shared by every area: run the built binary as a real process, hash a file tree to
 * prove inputs are untouched, copy a fixture to a scratch folder. Test-only; never imported by src.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(REPO_ROOT, 'bin', 'syncdoc');
export const FIXTURES = join(REPO_ROOT, 'fixtures');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/syncdoc` (the compiled CLI: `npm test` builds first) with a clean colour environment. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env };
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: env as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** sha256 of every file (and link target) below `root`, keyed by relative path. */
export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = relative(root, p);
      if (st.isSymbolicLink()) out[rel] = 'link:' + readlinkSync(p);
      else if (st.isDirectory()) walk(p);
      else out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  if (lstatSync(root).isDirectory()) walk(root);
  else out['.'] = createHash('sha256').update(readFileSync(root)).digest('hex');
  return out;
}

const scratch: string[] = [];
// Each test file imports this module afresh (vitest isolates files), so this hook runs once the
// file's tests are done. Scratch folders hold copies of fixtures; they should not pile up in /tmp.
afterAll(() => {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh scratch folder under the OS temp dir, removed after the test file's tests. */
export function scratchDir(prefix = 'syncdoc-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Copies `fixtures/<rel>` into a fresh scratch folder and returns the copy's path. */
export function copyFixture(rel: string): string {
  const dest = join(scratchDir(), rel.split('/').pop() ?? 'fixture');
  cpSync(join(FIXTURES, rel), dest, { recursive: true });
  return dest;
}
