/**
 * End-to-end runs of the built binary (`npx tsc -p .` first): exit codes, stdout/stderr, inputs
 * unmodified, --dry-run sending nothing (counted by a real server behind a counting proxy).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../backends/local/server.js';
import { startFaultProxy, type FaultProxy } from '../backends/testing/fault-proxy.js';
import { copyFixture, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import { writeSyntheticOutbox } from './testing/synthetic-outbox.js';

let server: LocalServer;
let proxy: FaultProxy;
beforeAll(async () => {
  server = await startLocalServer();
  // a proxy with no faults: it only counts the requests that reach the server
  proxy = await startFaultProxy({ upstream: server.url, seed: 1 });
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

describe('syncdoc outbox lint / list', () => {
  it('lint exits 1 on planted errors and names the planted ids in --json', async () => {
    const copy = copyFixture('snapshots/hybrid-queue-basic');
    const r = await runCli(['outbox', 'lint', copy, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { schemaVersion: number; verdict: string; findings: Array<{ code: string; ops: string[]; records: string[] }> };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.verdict).toBe('fail');
    const blocked = doc.findings.find((f) => f.code === 'OUTBOX_BLOCKED_BY_FAILED');
    expect(blocked?.ops).toEqual(['1e0b932b-1373-41bb-af2d-3ee05d853328', 'ac151f47-b331-4045-ba29-589754c70fcb', '9b9ad27a-bd9e-40f8-b98c-1b1c801c24d3']);
  });

  it('lint exits 0 on a clean queue, with findings as text on stdout', async () => {
    const r = await runCli(['outbox', 'lint', copyFixture('snapshots/drizzle-expo-wal')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OUTBOX_RETRYING');
    expect(r.stdout).toMatch(/pass: 0 error finding/);
  });

  it('list shows open ops in send order with ages from the newest snapshot timestamp', async () => {
    const r = await runCli(['outbox', 'list', copyFixture('snapshots/triple-layer-legacy'), '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ops: Array<{ id: string; ageMs: number; status: string }>; newestTimestamp: number };
    expect(doc.ops.map((o) => o.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    expect(doc.ops.every((o) => o.ageMs >= 0)).toBe(true);
    expect(doc.ops[10]?.ageMs).toBe(0);
  });

  it('list --payloads --redact hides free text but keeps ids', async () => {
    const r = await runCli(['outbox', 'list', copyFixture('snapshots/triple-layer-legacy'), '--payloads', '--redact', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('friend long busy rainy');
    expect(r.stdout).toContain('fe8d57ba-23d2-4992-968c-be9d2cca84ca');
  });
});

describe('syncdoc outbox replay', () => {
  it('usage errors exit 2 before touching anything', async () => {
    const copy = copyFixture('snapshots/drizzle-expo-wal');
    for (const args of [[], ['--backend', 'ftp'], ['--backend', 'http'], ['--backend', 'local', '--batch', '0'], ['--backend', 'local', '--url', 'not a url']]) {
      const r = await runCli(['outbox', 'replay', copy, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
    }
  });

  it('--dry-run prints the requests in order and sends nothing; the snapshot stays byte-identical', async () => {
    const dir = scratchDir();
    writeSyntheticOutbox(join(dir, 'app.db'), 5, 2);
    const before = hashTree(dir);
    const requestsBefore = proxy.counts().requests;
    const statsBefore = server.stats();
    const r = await runCli(['outbox', 'replay', dir, '--backend', 'local', '--url', proxy.url, '--dry-run', '--batch', '4', '--redact']);
    expect(r.code).toBe(0);
    expect(proxy.counts().requests).toBe(requestsBefore);
    expect(server.stats()).toEqual(statsBefore);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('request '))).toEqual(['request 1: 4 op(s)', 'request 2: 4 op(s)', 'request 3: 2 op(s)']);
    const keys = lines.filter((l) => l.startsWith('  ')).map((l) => /key=(\S+)/.exec(l)?.[1]);
    expect(keys).toEqual(Array.from({ length: 10 }, (_, i) => `key-${i + 1}`));
    expect(r.stdout).not.toContain('written on the device');
    expect(hashTree(dir)).toEqual(before);
  });

  it('replays to a real server: exit 0, journal in SYNCDOC_HOME, rerun sends nothing; snapshot unchanged', async () => {
    const dir = scratchDir();
    const home = scratchDir();
    const synthetic = writeSyntheticOutbox(join(dir, 'app.db'), 30, 3, 'replay_ok');
    const before = hashTree(dir);
    const env = { SYNCDOC_HOME: home };
    const r = await runCli(['outbox', 'replay', dir, '--backend', 'http', '--url', server.url, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { verdict: string; journal: string; totals: Record<string, number> };
    expect(doc.verdict).toBe('pass');
    expect(doc.totals['applied']).toBe(synthetic.ops);
    expect(doc.journal.startsWith(join(home, 'journals'))).toBe(true);
    expect(readdirSync(join(home, 'journals')).some((f) => f.endsWith('.sqlite'))).toBe(true);
    const again = await runCli(['outbox', 'replay', dir, '--backend', 'http', '--url', server.url, '--json'], { env });
    expect(again.code).toBe(0);
    const doc2 = JSON.parse(again.stdout) as { totals: Record<string, number> };
    expect(doc2.totals['requests']).toBe(0);
    expect(doc2.totals['resumed']).toBe(synthetic.ops);
    expect(hashTree(dir)).toEqual(before);
    expect(existsSync(join(dir, 'app.db-wal'))).toBe(false);
  });

  it('exit 1 when ops are in conflict (updates of records the server never had), with dead letters', async () => {
    const copy = copyFixture('snapshots/drizzle-expo-wal');
    const before = hashTree(copy);
    const r = await runCli(['outbox', 'replay', copy, '--backend', 'local']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/5 applied, 0 duplicate, 3 conflict/);
    expect(r.stdout).toContain('dead letters');
    expect(hashTree(copy)).toEqual(before);
  });

  it('exit 3 when outcomes stay unknown (every answer lost), exit 5 when the backend is unreachable', async () => {
    const dir = scratchDir();
    writeSyntheticOutbox(join(dir, 'app.db'), 3, 1, 'replay_lost');
    const lossy = await startFaultProxy({ upstream: server.url, seed: 7, dropResponse: 1 });
    try {
      const r = await runCli(['outbox', 'replay', dir, '--backend', 'http', '--url', lossy.url, '--max-attempts', '2', '--backoff-base-ms', '1', '--backoff-max-ms', '2', '--journal', join(scratchDir(), 'j.sqlite')]);
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('indefinite');
    } finally {
      await lossy.close();
    }
    const closed = await startLocalServer();
    const deadUrl = closed.url;
    await closed.close();
    const r5 = await runCli(['outbox', 'replay', dir, '--backend', 'http', '--url', deadUrl, '--max-attempts', '2', '--backoff-base-ms', '1', '--backoff-max-ms', '2', '--journal', join(scratchDir(), 'j.sqlite')]);
    expect(r5.code).toBe(5);
    expect(r5.stderr).toMatch(/unreachable/);
  });

  it('refuses a journal inside the snapshot (exit 2)', async () => {
    const copy = copyFixture('snapshots/drizzle-expo-wal');
    const r = await runCli(['outbox', 'replay', copy, '--backend', 'local', '--journal', join(copy, 'journal.sqlite')]);
    expect(r.code).toBe(2);
    expect(existsSync(join(copy, 'journal.sqlite'))).toBe(false);
  });
});
