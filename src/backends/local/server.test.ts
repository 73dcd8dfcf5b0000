/**
 * The local reference server at the HTTP level: limits answered 413, bad requests 400, routes,
 * persistence of records and the idempotency ledger across restarts, counters, and the
 * `syncdoc serve` command as a real process.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, scratchDir } from '../../test-support/cli.js';
import { createHttpBackend } from '../http.js';
import { startServeProcess } from '../testing/serve-process.js';
import type { PushOp } from '../types.js';
import { startLocalServer, type LocalServer } from './server.js';

const running: LocalServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});
async function start(options: Parameters<typeof startLocalServer>[0] = {}): Promise<LocalServer> {
  const s = await startLocalServer(options);
  running.push(s);
  return s;
}

const create = (id: string, payload: Record<string, unknown> = {}): PushOp => ({ idempotencyKey: `k-${id}`, collection: 'c', recordId: id, op: 'create', payload });

async function post(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: await res.json() };
}

describe('local server', { timeout: 60_000 }, () => {
  it('answers 413 for too many ops or too large a body, and 400 for a body that is not {ops:[…]}', async () => {
    const s = await start({ limits: { maxOpsPerPush: 3, maxBodyBytes: 2000 } });
    expect(await post(`${s.url}/push`, JSON.stringify({ ops: [create('a'), create('b'), create('c'), create('d')] }))).toMatchObject({
      status: 413,
      json: { error: { code: 'too_many_ops', maxOpsPerPush: 3 } },
    });
    expect((await post(`${s.url}/push`, JSON.stringify({ ops: [create('a', { text: 'x'.repeat(3000) })] }))).status).toBe(413);
    expect((await post(`${s.url}/push`, '{"ops":')).status).toBe(400);
    expect((await post(`${s.url}/push`, '{"ops":{}}')).status).toBe(400);
    expect((await post(`${s.url}/push`, 'null')).status).toBe(400);
    // nothing above was applied; the server still works
    expect(s.stats()).toEqual({ applied: 0, duplicate: 0, conflict: 0, rejected: 0 });
    expect((await post(`${s.url}/push`, JSON.stringify({ ops: [create('a')] }))).json).toEqual({ results: [{ idempotencyKey: 'k-a', status: 'applied', version: 1 }] });
  });

  it('serves GET and POST /pull, checks cursor and limit, and clamps the limit', async () => {
    const s = await start({ limits: { maxPullLimit: 2 } });
    await createHttpBackend({ url: s.url }).push([create('a'), create('b'), create('c')]);
    const get = await fetch(`${s.url}/pull?cursor=1&limit=50`);
    expect(await get.json()).toMatchObject({ changes: [{ recordId: 'b' }, { recordId: 'c' }], cursor: '3', hasMore: false });
    expect((await post(`${s.url}/pull`, '{}')).json).toMatchObject({ changes: [{ recordId: 'a' }, { recordId: 'b' }], cursor: '2', hasMore: true });
    expect((await fetch(`${s.url}/pull?cursor=abc`)).status).toBe(400);
    expect((await fetch(`${s.url}/pull?limit=0`)).status).toBe(400);
    expect((await fetch(`${s.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${s.url}/push`)).status).toBe(405);
    expect(await (await fetch(`${s.url}/health`)).json()).toMatchObject({ ok: true, protocol: 1 });
  });

  it('never answers 500 for any single op, whatever its shape (fuzzed)', async () => {
    const s = await start();
    const backend = createHttpBackend({ url: s.url });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.anything(), fc.record({ idempotencyKey: fc.string(), collection: fc.string(), recordId: fc.string(), op: fc.constantFrom('create', 'update', 'delete', 'x'), payload: fc.anything() }, { requiredKeys: [] })), { maxLength: 5 }), async (ops) => {
        const results = await backend.push(ops as PushOp[]);
        expect(results).toHaveLength(ops.length);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps records and the idempotency ledger across a restart on the same database', async () => {
    const dbPath = join(scratchDir(), 'sync.db');
    const first = await startLocalServer({ dbPath });
    await createHttpBackend({ url: first.url }).push([create('a'), create('b')]);
    await first.close();
    expect(existsSync(dbPath)).toBe(true);
    const second = await start({ dbPath });
    const backend = createHttpBackend({ url: second.url });
    expect((await backend.push([create('a'), create('c')])).map((r) => r.status)).toEqual(['duplicate', 'applied']);
    expect((await backend.pull(null, 10)).changes.map((c) => c.recordId)).toEqual(['a', 'b', 'c']);
    expect(second.stats()).toEqual({ applied: 1, duplicate: 1, conflict: 0, rejected: 0 });
  });

  it('removes its temporary database on close', async () => {
    const s = await startLocalServer();
    expect(existsSync(s.dbPath)).toBe(true);
    await s.close();
    expect(existsSync(s.dbPath)).toBe(false);
  });

  it('fails to start on a port in use', async () => {
    const s = await start();
    await expect(startLocalServer({ port: s.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('syncdoc serve', { timeout: 60_000 }, () => {
  it('prints its URL, serves the protocol on --db, and exits 130 on SIGTERM leaving the data', async () => {
    const dbPath = join(scratchDir(), 'serve.db');
    const proc = await startServeProcess(['--db', dbPath]);
    const backend = createHttpBackend({ url: proc.url });
    expect((await backend.push([create('a')]))[0]?.status).toBe('applied');
    expect(await proc.stop()).toBe(130);
    const again = await start({ dbPath });
    expect((await createHttpBackend({ url: again.url }).push([create('a')]))[0]?.status).toBe('duplicate');
  });

  it('prints one JSON document with --json', async () => {
    const proc = await startServeProcess(['--json']);
    const doc = JSON.parse(proc.stdout) as Record<string, unknown>;
    expect(doc).toEqual({ schemaVersion: 1, url: proc.url, port: Number(new URL(proc.url).port), db: null });
    expect(await proc.stop()).toBe(130);
  });

  it('answers a --db that is not a SQLite database with exit 4, leaving the file alone', async () => {
    const notDb = join(scratchDir(), 'notes.txt');
    writeFileSync(notDb, 'not a database, just text that is long enough to have a header'.repeat(4));
    const before = readFileSync(notDb);
    const run = await runCli(['serve', '--db', notDb]);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^error: cannot use the database: .*notes\.txt\nhint: /);
    expect(readFileSync(notDb)).toEqual(before);
  });

  it('rejects a bad --port with exit 2 and a port in use with exit 5', async () => {
    const bad = await runCli(['serve', '--port', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error: --port must be an integer/);
    expect(bad.stdout).toBe('');
    const s = await start();
    const busy = await runCli(['serve', '--port', String(s.port)]);
    expect(busy.code).toBe(5);
    expect(busy.stderr).toMatch(/port \d+ is in use/);
    expect(busy.stderr).toMatch(/hint:/);
  });
});

