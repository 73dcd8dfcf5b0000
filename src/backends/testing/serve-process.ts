/**
 * Test support: runs `syncdoc serve` as a real child process (the built bin/syncdoc) and returns
 * its URL once it printed it. Used by the contract suite's `http` run and by the fault tests that
 * need the server outside the test process. Needs `npx tsc -p .` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'bin', 'syncdoc');

export interface ServeProcess {
  url: string;
  /** What it printed on stdout before it was ready. */
  stdout: string;
  child: ChildProcess;
  /** SIGTERM, then the exit code (130: serve stops only by signal). */
  stop(): Promise<number | null>;
}

export function startServeProcess(args: string[] = []): Promise<ServeProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      // a bare URL line, or (with --json) one complete JSON document holding it
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const complete = out.startsWith('{') ? out.endsWith('}\n') : out.endsWith('\n');
      if (url && complete) {
        resolvePromise({
          url,
          stdout: out,
          child,
          stop: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.once('error', reject);
    void exited.then((code) => {
      if (!/^http/.test(out)) reject(new Error(`syncdoc serve exited (${code}) before printing its URL: ${err}`));
    });
  });
}
