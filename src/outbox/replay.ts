/**
 * `outbox replay`: sends a snapshot's open ops to a backend exactly once. Ops go in plan order (per
 * record, `depends_on` respected), batched by count and encoded size, several batches in flight
 * across records. Every op carries an idempotency key; the journal marks it `sent` before its
 * request leaves, so after a crash or an indefinite failure it is re-sent with the same key and the
 * backend deduplicates it. Definite transient failures and indefinite ones are retried with capped
 * exponential backoff and full jitter; conflicts and rejections are final (dead letters) and block
 * the ops that depend on them. A size/limit error halves the batch. The engine never prints.
 */
import { BackendError } from '../errors.js';
import { BackendTransportError, type Backend, type PushOp, type PushResult } from '../backends/types.js';
import { FINAL_STATES, type Journal, type JournalOutcome } from './journal.js';
import type { PlanNode, ReplayPlan } from './replay-plan.js';

export type ReplayOutcome = 'applied' | 'duplicate' | 'conflict' | 'rejected' | 'blocked' | 'indefinite' | 'unsent';

export interface ReplayOptions {
  /** Ops per request (also capped by the backend's own limit). */
  batchSize: number;
  /** Encoded bytes per request (ops' JSON); a single larger op still goes alone. */
  maxBatchBytes: number;
  /** Requests in flight at once (different records only: an op waits for its parents). */
  concurrency: number;
  /** Sends per op in this run before giving up on it (its outcome stays unknown or unsent). */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Source of jitter in [0, 1); replay is not simulation, so Math.random by default. */
  random?: () => number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Each request as it is sent (dry-run prints these). */
  onRequest?: (request: ReplayRequest) => void;
}

export interface ReplayProgress {
  total: number;
  finished: number;
  inFlight: number;
  requests: number;
}

export interface ReplayRequest {
  index: number;
  ops: PushOp[];
}

export interface ReplayOpReport {
  position: number;
  id: string;
  idempotencyKey: string;
  collection: string;
  recordId: string | null;
  op: string;
  outcome: ReplayOutcome;
  /** Requests that carried it, all runs included. */
  sends: number;
  /** Answered by an earlier run (read from the journal). */
  resumed: boolean;
  version?: number;
  reason?: string;
}

export interface ReplayResult {
  verdict: 'pass' | 'fail' | 'inconclusive';
  totals: Record<ReplayOutcome, number> & { ops: number; skipped: number; resumed: number; requests: number; batchesHalved: number };
  ops: ReplayOpReport[];
  deadLetters: ReplayOpReport[];
  skipped: Array<{ position: number; id: string; reason: string }>;
}

interface NodeState {
  outcome: ReplayOutcome | null;
  reason: string | null;
  version: number | null;
  waiting: number;
  tries: number;
  /** May the backend have applied it without us knowing (journal `sent`)? */
  maybeSent: boolean;
  sends: number;
  resumed: boolean;
  gaveUp: boolean;
}

/** Min-heap of plan indexes: the lowest (earliest in send order) ready op goes first. */
class IndexHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if ((a[p] as number) <= v) break;
      a[i] = a[p] as number;
      a[p] = v;
      i = p;
    }
  }
  peek(): number | undefined {
    return this.items[0];
  }
  pop(): number | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && (a[l] as number) < (a[m] as number)) m = l;
        if (r < a.length && (a[r] as number) < (a[m] as number)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as number, a[i] as number];
        i = m;
      }
    }
    return top;
  }
}

const SUCCESS: ReadonlySet<ReplayOutcome> = new Set(['applied', 'duplicate']);

/** Capped exponential backoff with full jitter: uniform in [0, min(cap, base·2^(try-1))], at least Retry-After. */
export function backoffDelayMs(tries: number, baseMs: number, maxMs: number, random: () => number, retryAfterMs = 0): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(tries - 1, 30)));
  return Math.max(Math.min(retryAfterMs, maxMs), Math.floor(random() * ceiling));
}

export async function replayPlan(plan: ReplayPlan, backend: Backend, journal: Journal, options: ReplayOptions): Promise<ReplayResult> {
  const nodes = plan.nodes;
  const random = options.random ?? Math.random;
  const journaled = journal.load();
  const st: NodeState[] = nodes.map((n) => {
    const j = journaled.get(n.push.idempotencyKey);
    const final = j !== undefined && FINAL_STATES.has(j.state);
    return {
      outcome: final ? (j.state as ReplayOutcome) : null,
      reason: final ? j.reason : null,
      version: j?.version ?? null,
      waiting: 0,
      tries: 0,
      maybeSent: j?.state === 'sent',
      sends: j?.sends ?? 0,
      resumed: final,
      gaveUp: false,
    };
  });
  const state = (i: number): NodeState => st[i] as NodeState;
  const node = (i: number): PlanNode => nodes[i] as PlanNode;

  const block = (root: number, why: string): void => {
    const queue = [...node(root).children];
    while (queue.length > 0) {
      const c = queue.shift() as number;
      const s = state(c);
      if (s.outcome !== null) continue;
      s.outcome = 'blocked';
      s.reason = why;
      queue.push(...node(c).children);
    }
  };

  // Initial state: plan-time blocks, parents already answered by an earlier run.
  for (const n of nodes) {
    const s = state(n.index);
    if (n.blockedReason !== null && s.outcome === null) {
      s.outcome = 'blocked';
      s.reason = n.blockedReason;
    }
  }
  for (const n of nodes) {
    const s = state(n.index);
    if (s.outcome === 'blocked' || s.outcome === 'conflict' || s.outcome === 'rejected') {
      block(n.index, `waits for entry ${n.op.id} (${s.outcome}${s.reason ? `: ${s.reason}` : ''})`);
    }
  }
  const ready = new IndexHeap();
  for (const n of nodes) {
    const s = state(n.index);
    s.waiting = n.parents.filter((p) => !SUCCESS.has(state(p).outcome as ReplayOutcome)).length;
    if (s.outcome === null && s.waiting === 0) ready.push(n.index);
  }

  let requests = 0;
  let answered = 0;
  let unreachable = 0;
  let inFlight = 0;
  let delayed = 0;
  let batchesHalved = 0;
  const backendCap = backend.limits?.maxOpsPerPush ?? Number.POSITIVE_INFINITY;
  let countCap = Math.max(1, Math.min(options.batchSize, backendCap));
  const byteCap = Math.max(1, Math.min(options.maxBatchBytes, backend.limits?.maxBodyBytes ?? Number.POSITIVE_INFINITY));
  let wake: (() => void) | null = null;
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const progress = (): void =>
    options.onProgress?.({ total: nodes.length, finished: st.filter((s) => s.outcome !== null || s.gaveUp).length, inFlight, requests });

  const succeed = (i: number, outcome: 'applied' | 'duplicate', version: number | null): void => {
    const s = state(i);
    s.outcome = outcome;
    s.version = version;
    s.maybeSent = false;
    for (const c of node(i).children) {
      const cs = state(c);
      if (--cs.waiting === 0 && cs.outcome === null) ready.push(c);
    }
  };
  const fail = (i: number, outcome: 'conflict' | 'rejected', reason: string): void => {
    const s = state(i);
    s.outcome = outcome;
    s.reason = reason;
    s.maybeSent = false;
    block(i, `waits for entry ${node(i).op.id} (${outcome}: ${reason})`);
  };
  const retryLater = (batch: number[], reason: string, retryAfterMs: number | undefined): void => {
    const again: number[] = [];
    for (const i of batch) {
      const s = state(i);
      s.reason = reason;
      if (s.tries >= options.maxAttempts) s.gaveUp = true;
      else again.push(i);
    }
    if (again.length === 0) return;
    const tries = Math.max(...again.map((i) => state(i).tries));
    delayed++;
    setTimeout(() => {
      delayed--;
      for (const i of again) ready.push(i);
      poke();
    }, backoffDelayMs(tries, options.backoffBaseMs, options.backoffMaxMs, random, retryAfterMs));
  };

  const takeBatch = (): number[] => {
    const batch: number[] = [];
    let bytes = 0;
    while (ready.size > 0 && batch.length < countCap) {
      const next = ready.peek() as number;
      const size = node(next).sizeBytes + 1;
      if (batch.length > 0 && bytes + size > byteCap) break;
      ready.pop();
      batch.push(next);
      bytes += size;
    }
    return batch;
  };

  const send = async (batch: number[]): Promise<void> => {
    const ops = batch.map((i) => node(i).push);
    // whether an earlier request may already have applied each op: a definite failure of this one
    // says nothing about that earlier one
    const prior = new Map(batch.map((i) => [i, state(i).maybeSent]));
    const notApplied = (which: number[]): void => {
      const sure = which.filter((i) => prior.get(i) !== true);
      for (const i of which) state(i).maybeSent = prior.get(i) === true;
      journal.record(sure.map((i) => ({ key: node(i).push.idempotencyKey, state: 'pending' })));
    };
    journal.markSent(ops.map((o) => o.idempotencyKey));
    for (const i of batch) {
      const s = state(i);
      s.tries++;
      s.sends++;
      s.maybeSent = true;
    }
    options.onRequest?.({ index: requests, ops });
    requests++;
    let results: PushResult[];
    try {
      results = await backend.push(ops);
      if (results.length !== ops.length) {
        throw new BackendTransportError(`backend answered ${results.length} results for ${ops.length} ops`, false, { protocol: true });
      }
    } catch (err) {
      const e = err instanceof BackendTransportError ? err : new BackendTransportError(err instanceof Error ? err.message : String(err), false);
      if (e.details.tooLarge) {
        if (batch.length > 1) {
          // not the op's fault: undo the try, shrink every later batch, send both halves again
          batchesHalved++;
          countCap = Math.max(1, Math.floor(batch.length / 2));
          for (const i of batch) state(i).tries--;
          notApplied(batch);
          for (const i of batch) ready.push(i);
          return;
        }
        const i = batch[0] as number;
        fail(i, 'rejected', `too large for the backend: ${e.message}`);
        journal.record([{ key: node(i).push.idempotencyKey, state: 'rejected', reason: state(i).reason }]);
        return;
      }
      if (e.definite) {
        if (e.details.unreachable) unreachable++;
        notApplied(batch);
      }
      retryLater(batch, e.message, e.details.retryAfterMs);
      return;
    }
    answered++;
    const outcomes: JournalOutcome[] = [];
    const retry: number[] = [];
    let retryAfter: number | undefined;
    results.forEach((r, k) => {
      const i = batch[k] as number;
      const key = node(i).push.idempotencyKey;
      switch (r.status) {
        case 'applied':
        case 'duplicate':
          succeed(i, r.status, r.version ?? null);
          outcomes.push({ key, state: r.status, version: r.version ?? null });
          break;
        case 'conflict':
        case 'rejected':
          fail(i, r.status, r.reason);
          outcomes.push({ key, state: r.status, reason: r.reason });
          break;
        case 'retry':
          retry.push(i);
          retryAfter = Math.max(retryAfter ?? 0, r.retryAfterMs ?? 0);
          state(i).reason = r.reason;
          break;
      }
    });
    journal.record(outcomes);
    if (retry.length > 0) notApplied(retry);
    if (retry.length > 0) retryLater(retry, state(retry[0] as number).reason ?? 'retry', retryAfter);
  };

  progress();
  for (;;) {
    while (inFlight < options.concurrency && ready.size > 0) {
      const batch = takeBatch();
      inFlight++;
      void send(batch).finally(() => {
        inFlight--;
        progress();
        poke();
      });
    }
    if (inFlight === 0 && ready.size === 0 && delayed === 0) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }

  if (requests > 0 && answered === 0 && unreachable === requests) {
    throw new BackendError('the backend is unreachable: nothing was sent', {
      code: 'E_BACKEND_UNREACHABLE',
      hint: 'check --url and that the server is running (`syncdoc serve`); rerun to resume from the journal',
    });
  }
  return buildResult(plan, st, requests, batchesHalved);
}

function buildResult(plan: ReplayPlan, st: NodeState[], requests: number, batchesHalved: number): ReplayResult {
  const totals = { ops: plan.nodes.length, applied: 0, duplicate: 0, conflict: 0, rejected: 0, blocked: 0, indefinite: 0, unsent: 0, skipped: plan.skipped.length, resumed: 0, requests, batchesHalved };
  const ops: ReplayOpReport[] = plan.nodes.map((n) => {
    const s = st[n.index] as NodeState;
    const outcome: ReplayOutcome = s.outcome ?? (s.maybeSent ? 'indefinite' : 'unsent');
    totals[outcome]++;
    if (s.resumed) totals.resumed++;
    const reason = s.outcome === null && !s.gaveUp ? 'a dependency was not delivered' : s.reason;
    return {
      position: n.op.position,
      id: n.op.id,
      idempotencyKey: n.push.idempotencyKey,
      collection: n.op.collection,
      recordId: n.op.recordId,
      op: n.push.op,
      outcome,
      sends: s.sends,
      resumed: s.resumed,
      ...(s.version !== null ? { version: s.version } : {}),
      ...(reason && !SUCCESS.has(outcome) ? { reason } : {}),
    };
  });
  const deadLetters = ops.filter((o) => o.outcome === 'conflict' || o.outcome === 'rejected');
  const verdict = totals.conflict + totals.rejected + totals.blocked > 0 ? 'fail' : totals.indefinite + totals.unsent > 0 ? 'inconclusive' : 'pass';
  return {
    verdict,
    totals,
    ops,
    deadLetters,
    skipped: plan.skipped.map((s) => ({ position: s.op.position, id: s.op.id, reason: s.reason })),
  };
}
