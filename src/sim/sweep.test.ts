// The sweep splits jobs into chunks that shrink as the jobs run out, queued ahead on the worker
// threads, results placed by job index: any worker count must give the same report,
// byte for byte, shrunk failures included. Runs the built CLI (the worker is the compiled file).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../test-support/cli.js';

describe('sweep across threads', () => {
  it('--workers 1, 2 and 3 give byte-identical --json over 300 seeds with failures to shrink', async () => {
    const args = ['simulate', join(FIXTURES, 'scenarios', 'standard.json'), '--algorithm', 'hlc-lww,lww-wallclock', '--seeds', '1..300', '--shrink', '3', '--json'];
    const slow = { timeoutMs: 170_000 };
    const [one, two, three] = await Promise.all([1, 2, 3].map((w) => runCli([...args, '--workers', String(w)], slow)));
    expect([one!.code, two!.code, three!.code]).toEqual([1, 1, 1]); // lww-wallclock fails some seeds
    const doc = JSON.parse(one!.stdout) as { runs: unknown[]; failures: unknown[] };
    expect(doc.runs).toHaveLength(600);
    expect(doc.failures).toHaveLength(3);
    expect(two!.stdout).toBe(one!.stdout);
    expect(three!.stdout).toBe(one!.stdout);
  }, 400_000);
});
