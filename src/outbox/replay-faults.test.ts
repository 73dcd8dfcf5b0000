/**
 * The exactly-once acceptance test, per backend kind: 5,000 ops replayed by the real binary
 * through the seeded fault proxy (≥ 20 % requests dropped, ≥ 20 % responses dropped after the
 * server applied them, ≥ 5 % delivered twice, ≥ 5 % answered 5xx), the replay process SIGKILLed
 * three times mid-run and resumed from its journal. The server must end with exactly the expected
 * records at exactly the expected versions (an op applied twice would bump a version; a lost one
 * would leave it short), and the snapshot must be byte-identical. Needs `npx tsc -p .` first.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpBackend } from '../backends/http.js';
import { startLocalServer } from '../backends/local/server.js';
import { startConvexTestServer } from '../backends/testing/convex-server.js';
import { startFaultProxy, type FaultProxy } from '../backends/testing/fault-proxy.js';
import { startServeProcess } from '../backends/testing/serve-process.js';
import type { Backend, Change } from '../backends/types.js';
import { BIN, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import { writeSyntheticOutbox } from './testing/synthetic-outbox.js';

const OPS_PER_RECORD = 2;
const KILLS = 3;
// Seed 2024 keeps every prefix of ≥ 120 fault decisions above the budget (requests dropped ≥ 20 %,
// responses dropped ≥ 20 %, delivered twice ≥ 5 %, 5xx ≥ 5 %), however many requests a run takes.
const SEED = 2024;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

interface Upstream {
  url: string;
  /** Paths whose requests get faults (the push endpoint). */
  paths: string[];
  /** A client straight to the server (no proxy) to read what it holds. */
  direct(): Promise<Backend>;
}

/** 2,500 records × 2 ops = 5,000 ops per backend kind; each run is killed after that many more requests. */
const KINDS: Array<{ kind: 'local' | 'http' | 'convex'; records: number; killAfterRequests: number; start(): Promise<Upstream> }> = [
  {
    kind: 'local',
    records: 2500,
    killAfterRequests: 60,
    async start() {
      const s = await startLocalServer();
      closers.push(() => s.close());
      return { url: s.url, paths: ['/push'], direct: async () => createHttpBackend({ url: s.url }) };
    },
  },
  {
    kind: 'http',
    records: 2500,
    killAfterRequests: 60,
    async start() {
      const p = await startServeProcess();
      closers.push(() => p.stop());
      return { url: p.url, paths: ['/push'], direct: async () => createHttpBackend({ url: p.url }) };
    },
  },
  {
    kind: 'convex',
    records: 2500,
    killAfterRequests: 60,
    async start() {
      const s = await startConvexTestServer();
      closers.push(() => s.close());
      const { createConvexBackend } = await import('../backends/convex.js');
      return { url: s.url, paths: ['/api/mutation'], direct: async () => createConvexBackend({ url: s.url }) };
    },
  },
];

async function pullAll(backend: Backend): Promise<Change[]> {
  const changes: Change[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const p = await backend.pull(cursor, 500);
    changes.push(...p.changes);
    cursor = p.cursor;
    if (!p.hasMore) return changes;
  }
  throw new Error('pull did not finish');
}

/** Starts the replay, waits until it has made `requests` more requests, then SIGKILLs it. */
function runAndKill(args: string[], proxy: FaultProxy, requests: number): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const start = proxy.counts().requests;
    let killed = false;
    const timer = setInterval(() => {
      if (proxy.counts().requests >= start + requests && child.exitCode === null) {
        killed = child.kill('SIGKILL');
      }
    }, 5);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(timer);
      resolve({ killed, code, stderr });
    });
  });
}

describe('replay through faults and SIGKILLs: exactly once', () => {
  for (const { kind, records, killAfterRequests, start } of KINDS) {
    it(`${kind}: ${records * OPS_PER_RECORD} ops, faults, ${KILLS} kills, resumed → exact server state`, { timeout: 240_000 }, async () => {
      const dir = scratchDir();
      const outbox = writeSyntheticOutbox(join(dir, 'app.db'), records, OPS_PER_RECORD, `faults_${kind}`);
      expect(outbox.ops).toBe(records * OPS_PER_RECORD);
      const before = hashTree(dir);
      const upstream = await start();
      const proxy = await startFaultProxy({
        upstream: upstream.url,
        seed: SEED,
        paths: upstream.paths,
        dropRequest: 0.25,
        dropResponse: 0.25,
        deliverTwice: 0.07,
        answer500: 0.04,
        answer503: 0.03,
      });
      closers.push(() => proxy.close());
      const journal = join(scratchDir(), 'replay-journal.sqlite');
      const args = [
        'outbox', 'replay', dir, '--backend', kind, '--url', proxy.url, '--journal', journal,
        '--batch', '10', '--concurrency', '4', '--max-attempts', '1000',
        '--backoff-base-ms', '2', '--backoff-max-ms', '20', '--timeout-ms', '10000',
      ];

      for (let k = 0; k < KILLS; k++) {
        const run = await runAndKill(args, proxy, killAfterRequests);
        expect(run.killed, `replay run ${k + 1} ended by itself (code ${run.code}) before it could be killed: ${run.stderr}`).toBe(true);
      }
      const final = await runCli([...args, '--json'], { timeoutMs: 200_000 });
      expect(final.code, final.stderr).toBe(0);
      const report = JSON.parse(final.stdout) as { verdict: string; totals: Record<string, number> };
      expect(report.verdict).toBe('pass');
      expect(report.totals['applied']! + report.totals['duplicate']!).toBe(outbox.ops);
      expect(report.totals['resumed']).toBeGreaterThan(0);

      const counts = proxy.counts();
      const n = counts.requests;
      expect(n).toBeGreaterThanOrEqual(120);
      expect(counts.dropRequest / n).toBeGreaterThanOrEqual(0.2);
      expect(counts.dropResponse / n).toBeGreaterThanOrEqual(0.2);
      expect(counts.deliverTwice / n).toBeGreaterThanOrEqual(0.05);
      expect((counts.answer500 + counts.answer503) / n).toBeGreaterThanOrEqual(0.05);

      const changes = (await pullAll(await upstream.direct())).filter((c) => c.collection === `faults_${kind}`);
      const byId = new Map(changes.map((c) => [c.recordId, c]));
      expect(byId.size).toBe(changes.length); // one change per record
      expect(changes).toHaveLength(records); // nothing lost, nothing extra
      let wrong = 0;
      for (const [id, want] of outbox.expected) {
        const got = byId.get(id);
        // version = ops applied to the record: an op applied twice or lost shows here
        if (!got || got.version !== want.version || got.deleted || JSON.stringify(pick(got.data, want.data)) !== JSON.stringify(want.data)) wrong++;
      }
      expect(wrong).toBe(0);
      expect(hashTree(dir)).toEqual(before);
    });
  }
});

function pick(data: Record<string, unknown> | null, like: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(like).map((k) => [k, data?.[k]]));
}
