import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendTransportError, type Backend, type PushOp, type PushResult } from '../backends/types.js';
import { startLocalServer } from '../backends/local/server.js';
import { createHttpBackend } from '../backends/http.js';
import { scratchDir } from '../test-support/cli.js';
import { deriveIdempotencyKey } from './idempotency.js';
import { memoryJournal, openJournal, assertJournalOutsideSnapshot, type Journal } from './journal.js';
import { planReplay } from './replay-plan.js';
import { backoffDelayMs, replayPlan, type ReplayOptions } from './replay.js';
import type { OutboxOp } from './types.js';

function op(id: string, recordId: string, kind: 'create' | 'update' | 'delete', extra: Partial<OutboxOp> = {}): OutboxOp {
  return {
    id,
    shape: 'unified',
    store: 'app.db',
    queue: 'sync_queue',
    position: 0,
    seq: Number(id.replace(/\D/g, '')) || 0,
    collection: 'notes',
    recordId,
    recordTable: 'notes',
    op: kind,
    rawOp: kind,
    payload: kind === 'delete' ? null : { body: `${id}` },
    payloadText: null,
    payloadError: null,
    idempotencyKey: `key-${id}`,
    status: 'pending',
    rawStatus: 'pending',
    attempts: 0,
    maxAttempts: null,
    lastError: null,
    dependsOn: [],
    createdAt: null,
    createdAtUnit: null,
    lastAttemptAt: null,
    nextAttemptAt: null,
    deviceId: 'dev-1',
    baseVersion: null,
    updatedAt: null,
    ...extra,
  };
}

function positioned(ops: OutboxOp[]): OutboxOp[] {
  return ops.map((o, i) => ({ ...o, position: i }));
}

const FAST: ReplayOptions = { batchSize: 100, maxBatchBytes: 1 << 20, concurrency: 4, maxAttempts: 10, backoffBaseMs: 1, backoffMaxMs: 5 };

/** An in-memory backend with the reference semantics and a script of failures per request index. */
function scriptedBackend(script: (request: number, ops: PushOp[]) => PushResult[] | Error | undefined, limits?: Backend['limits']): Backend & { log: PushOp[][]; applied: Map<string, number> } {
  const log: PushOp[][] = [];
  const applied = new Map<string, number>();
  return {
    kind: 'http',
    log,
    applied,
    ...(limits ? { limits } : {}),
    async push(ops) {
      const n = log.length;
      log.push(ops);
      const scripted = script(n, ops);
      if (scripted instanceof Error) throw scripted;
      if (scripted) return scripted;
      return ops.map((o) => {
        if (applied.has(o.idempotencyKey)) return { idempotencyKey: o.idempotencyKey, status: 'duplicate' as const };
        applied.set(o.idempotencyKey, (applied.get(o.idempotencyKey) ?? 0) + 1);
        return { idempotencyKey: o.idempotencyKey, status: 'applied' as const, version: 1 };
      });
    },
    async pull() {
      return { changes: [], cursor: '', hasMore: false };
    },
    async close() {},
  };
}

describe('replay plan', () => {
  it('chains ops of one record, honours depends_on, blocks dangling/dead deps and cycles', () => {
    const plan = planReplay(
      positioned([
        op('1', 'a', 'create'),
        op('2', 'b', 'create'),
        op('3', 'a', 'update'),
        op('4', 'c', 'create', { dependsOn: ['2'] }),
        op('5', 'd', 'create', { dependsOn: ['missing'] }),
        op('6', 'e', 'create', { dependsOn: ['7'] }),
        op('7', 'f', 'create', { dependsOn: ['6'] }),
        op('8', 'g', 'create', { dependsOn: ['9'] }),
        op('9', 'h', 'create', { status: 'done' }),
        op('10', 'i', 'create', { status: 'dead', dependsOn: [] }),
        op('11', 'j', 'create', { dependsOn: ['10'] }),
      ]),
    );
    const byId = new Map(plan.nodes.map((n) => [n.op.id, n]));
    expect(byId.get('3')?.parents).toEqual([byId.get('1')?.index]);
    expect(byId.get('4')?.parents).toEqual([byId.get('2')?.index]);
    expect(byId.get('5')?.blockedReason).toContain('not in the queue');
    expect(byId.get('6')?.blockedReason).toContain('cycle');
    expect(byId.get('7')?.blockedReason).toContain('cycle');
    expect(byId.get('8')?.parents).toEqual([]);
    expect(byId.get('8')?.blockedReason).toBeNull();
    expect(byId.get('11')?.blockedReason).toContain('dead');
    expect(plan.skipped.map((s) => s.op.id)).toEqual(['9', '10']);
  });

  it('derives the same key for the same op, a different one when anything identifying changes', () => {
    const base = op('1', 'a', 'create', { idempotencyKey: null });
    const k = deriveIdempotencyKey(base);
    expect(k).toMatch(/^sd1-[0-9a-f]{40}$/);
    expect(deriveIdempotencyKey({ ...base, payload: { body: '1' } })).toBe(k);
    expect(deriveIdempotencyKey({ ...base, seq: 99 })).not.toBe(k);
    expect(deriveIdempotencyKey({ ...base, payload: { body: 'other' } })).not.toBe(k);
    expect(deriveIdempotencyKey({ ...base, deviceId: 'dev-2' })).not.toBe(k);
    expect(planReplay([base]).nodes[0]?.push.idempotencyKey).toBe(k);
  });
});

describe('replay engine', () => {
  it('sends each record in order and a child only after its parent succeeded', async () => {
    const ops = positioned([op('1', 'a', 'create'), op('2', 'a', 'update'), op('3', 'b', 'create', { dependsOn: ['2'] }), op('4', 'c', 'create')]);
    const backend = scriptedBackend(() => undefined);
    const result = await replayPlan(planReplay(ops), backend, memoryJournal(), FAST);
    expect(result.verdict).toBe('pass');
    expect(backend.log.map((b) => b.map((o) => o.idempotencyKey))).toEqual([['key-1', 'key-4'], ['key-2'], ['key-3']]);
  });

  it('a rejected parent blocks its children (dead letter + blocked, exit class fail)', async () => {
    const ops = positioned([op('1', 'a', 'create'), op('2', 'a', 'update'), op('3', 'b', 'create', { dependsOn: ['1'] }), op('4', 'c', 'create')]);
    const backend = scriptedBackend((_n, batch) =>
      batch.some((o) => o.idempotencyKey === 'key-1')
        ? batch.map((o) => (o.idempotencyKey === 'key-1' ? { idempotencyKey: o.idempotencyKey, status: 'rejected' as const, reason: 'latitude out of range' } : { idempotencyKey: o.idempotencyKey, status: 'applied' as const, version: 1 }))
        : undefined,
    );
    const result = await replayPlan(planReplay(ops), backend, memoryJournal(), FAST);
    expect(result.verdict).toBe('fail');
    expect(result.ops.map((o) => o.outcome)).toEqual(['rejected', 'blocked', 'blocked', 'applied']);
    expect(result.deadLetters.map((d) => d.id)).toEqual(['1']);
    expect(result.ops[1]?.reason).toContain('latitude');
    expect(backend.log.flat().map((o) => o.idempotencyKey).sort()).toEqual(['key-1', 'key-4']);
  });

  it('retries definite and indefinite failures with the same keys; the server applies each op once', async () => {
    const ops = positioned(Array.from({ length: 30 }, (_, i) => op(String(i + 1), `r${i}`, 'create')));
    // request 0: applied then the answer is lost (indefinite); 1: 503; 2: per-op retry for half
    const inner = scriptedBackend(() => undefined);
    let n = 0;
    const backend: Backend = {
      ...inner,
      async push(batch) {
        const i = n++;
        if (i === 0) {
          await inner.push(batch);
          throw new BackendTransportError('socket hang up', false);
        }
        if (i === 1) throw new BackendTransportError('HTTP 503', true, { status: 503, transient: true });
        if (i === 2) return batch.map((o, k) => (k % 2 ? { idempotencyKey: o.idempotencyKey, status: 'retry' as const, reason: 'busy' } : { idempotencyKey: o.idempotencyKey, status: 'applied' as const, version: 1 }));
        return inner.push(batch);
      },
    };
    const result = await replayPlan(planReplay(ops), backend, memoryJournal(), { ...FAST, batchSize: 10, concurrency: 1 });
    expect(result.verdict).toBe('pass');
    expect(result.totals.applied + result.totals.duplicate).toBe(30);
    expect(result.totals.duplicate).toBeGreaterThan(0); // the lost answer's ops came back as duplicates
    expect([...inner.applied.values()].every((c) => c === 1)).toBe(true);
  });

  it('gives up after --max-attempts: sent ops are indefinite, never-sent ones unsent (inconclusive)', async () => {
    const ops = positioned([op('1', 'a', 'create'), op('2', 'a', 'update')]);
    const backend = scriptedBackend(() => new BackendTransportError('timeout', false, { timedOut: true }));
    const result = await replayPlan(planReplay(ops), backend, memoryJournal(), { ...FAST, maxAttempts: 3 });
    expect(result.verdict).toBe('inconclusive');
    expect(result.ops.map((o) => o.outcome)).toEqual(['indefinite', 'unsent']);
    expect(backend.log).toHaveLength(3);
  });

  it('halves a batch on a size/limit error until it fits', async () => {
    const ops = positioned(Array.from({ length: 40 }, (_, i) => op(String(i + 1), `r${i}`, 'create')));
    const backend = scriptedBackend((_n, batch) => (batch.length > 10 ? new BackendTransportError('HTTP 413', true, { status: 413, tooLarge: true }) : undefined));
    const result = await replayPlan(planReplay(ops), backend, memoryJournal(), { ...FAST, batchSize: 40, concurrency: 1 });
    expect(result.verdict).toBe('pass');
    expect(result.totals.batchesHalved).toBe(2);
    expect(backend.log.map((b) => b.length)).toEqual([40, 20, 10, 10, 10, 10]);
  });

  it('caps batches by encoded size', async () => {
    const big = 'x'.repeat(1000);
    const ops = positioned(Array.from({ length: 10 }, (_, i) => op(String(i + 1), `r${i}`, 'create', { payload: { body: big } })));
    const backend = scriptedBackend(() => undefined);
    await replayPlan(planReplay(ops), backend, memoryJournal(), { ...FAST, maxBatchBytes: 3500, concurrency: 1 });
    expect(backend.log.map((b) => b.length)).toEqual([3, 3, 3, 1]);
  });

  it('a single op over the limit is a dead letter', async () => {
    const ops = positioned([op('1', 'a', 'create')]);
    const backend = scriptedBackend(() => new BackendTransportError('HTTP 413', true, { status: 413, tooLarge: true }));
    const result = await replayPlan(planReplay(ops), backend, memoryJournal(), FAST);
    expect(result.ops[0]?.outcome).toBe('rejected');
    expect(result.deadLetters).toHaveLength(1);
  });

  it('throws a backend error (exit 5) when the backend is unreachable before anything was sent', async () => {
    const ops = positioned([op('1', 'a', 'create')]);
    const backend = scriptedBackend(() => new BackendTransportError('ECONNREFUSED', true, { unreachable: true }));
    await expect(replayPlan(planReplay(ops), backend, memoryJournal(), { ...FAST, maxAttempts: 2 })).rejects.toMatchObject({ exitCode: 5 });
  });

  it('backoff: full jitter under a capped exponential ceiling, at least Retry-After', () => {
    expect(backoffDelayMs(1, 100, 10_000, () => 0.999)).toBe(99);
    expect(backoffDelayMs(4, 100, 10_000, () => 0.5)).toBe(400);
    expect(backoffDelayMs(30, 100, 10_000, () => 0.999)).toBe(9990);
    expect(backoffDelayMs(3, 100, 10_000, () => 0)).toBe(0);
    expect(backoffDelayMs(3, 100, 10_000, () => 0, 250)).toBe(250);
  });
});

describe('replay journal against the local reference server', () => {
  it('a rerun with the same journal sends nothing; a lost journal is caught by the server ledger', async () => {
    const server = await startLocalServer();
    try {
      const ops = positioned(Array.from({ length: 50 }, (_, i) => op(String(i + 1), `r${i % 20}`, i < 20 ? 'create' : 'update')));
      const plan = planReplay(ops);
      const identity = { fingerprint: plan.fingerprint, backend: `local ${server.url}` };
      const path = join(scratchDir(), 'journal.sqlite');
      const client = createHttpBackend({ url: server.url, kind: 'local' });
      const first = await withJournal(path, identity, (j) => replayPlan(plan, client, j, FAST));
      expect(first.totals.applied).toBe(50);
      const again = await withJournal(path, identity, (j) => replayPlan(plan, client, j, FAST));
      expect(again.totals.requests).toBe(0);
      expect(again.totals.resumed).toBe(50);
      const fresh = await replayPlan(plan, client, memoryJournal(), FAST);
      expect(fresh.totals.duplicate).toBe(50);
      expect(server.stats().applied).toBe(50);
      // another outbox cannot reuse the journal
      expect(() => openJournal(path, { ...identity, fingerprint: 'other' })).toThrow(/another outbox/);
    } finally {
      await server.close();
    }
  });

  it('locks the journal: a second replay on it fails (exit 5) instead of double-sending', () => {
    const path = join(scratchDir(), 'locked.sqlite');
    const identity = { fingerprint: 'f', backend: 'b' };
    const first = openJournal(path, identity);
    try {
      expect(() => openJournal(path, identity)).toThrow(expect.objectContaining({ code: 'E_JOURNAL_LOCKED', exitCode: 5 }));
    } finally {
      first.close();
    }
    openJournal(path, identity).close();
  });

  it('refuses a journal inside the snapshot', () => {
    const snap = scratchDir();
    expect(() => assertJournalOutsideSnapshot(join(snap, 'j.sqlite'), snap)).toThrow(/inside the snapshot/);
    expect(() => assertJournalOutsideSnapshot(join(snap, 'app.db-wal'), join(snap, 'app.db'))).toThrow(/inside the snapshot/);
    expect(() => assertJournalOutsideSnapshot(join(snap, '..', 'j.sqlite'), snap)).not.toThrow();
  });
});

async function withJournal<T>(path: string, identity: { fingerprint: string; backend: string }, fn: (j: Journal) => Promise<T>): Promise<T> {
  const j = openJournal(path, identity);
  try {
    return await fn(j);
  } finally {
    j.close();
  }
}
