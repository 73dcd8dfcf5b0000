/**
 * The replay plan: which ops are sent and what each must wait for. An op waits for the previous
 * open op of the same record (send order) and for its `depends_on` entries; a dependency that is
 * already done is satisfied, one that is dead, unknown or missing blocks the op for good, and ops
 * on a dependency cycle (or behind one) can never be sent. Pure: no I/O, no clock.
 */
import { createHash } from 'node:crypto';
import type { PushOp } from '../backends/types.js';
import { payloadHash, toPushOp } from './idempotency.js';
import { OPEN_STATUSES, type OutboxOp } from './types.js';

export interface PlanNode {
  /** Index in the plan (send order). */
  index: number;
  op: OutboxOp;
  push: PushOp;
  /** Encoded size of `push` on the wire (JSON, UTF-8). */
  sizeBytes: number;
  parents: number[];
  children: number[];
  /** Set when the op can never be sent, whatever the backend says. */
  blockedReason: string | null;
}

export interface ReplayPlan {
  nodes: PlanNode[];
  /** Entries not sent: done, dead, or with a status replay does not understand. */
  skipped: Array<{ op: OutboxOp; reason: string }>;
  /** Identifies this exact list of ops and keys; a journal belongs to one fingerprint. */
  fingerprint: string;
}

const recordOf = (op: OutboxOp): string => `${op.store}\u0000${op.recordTable ?? op.collection}\u0000${op.recordId ?? ''}`;
const queueOf = (op: OutboxOp): string => `${op.store}\u0000${op.queue}`;

export function planReplay(ops: readonly OutboxOp[]): ReplayPlan {
  const skipped: ReplayPlan['skipped'] = [];
  const nodes: PlanNode[] = [];
  for (const op of ops) {
    if (!OPEN_STATUSES.has(op.status)) {
      skipped.push({ op, reason: op.status === 'unknown' ? `status '${op.rawStatus}' is not one replay understands` : `already ${op.status}` });
      continue;
    }
    const push = toPushOp(op);
    nodes.push({ index: nodes.length, op, push, sizeBytes: Buffer.byteLength(JSON.stringify(push), 'utf8'), parents: [], children: [], blockedReason: null });
  }

  const byQueueId = new Map<string, OutboxOp>();
  for (const op of ops) byQueueId.set(`${queueOf(op)}\u0000${op.id}`, op);
  const nodeOf = new Map<OutboxOp, PlanNode>(nodes.map((n) => [n.op, n]));
  const lastOfRecord = new Map<string, PlanNode>();
  for (const node of nodes) {
    const parents = new Set<number>();
    const prev = node.op.recordId === null ? undefined : lastOfRecord.get(recordOf(node.op));
    if (prev) parents.add(prev.index);
    if (node.op.recordId !== null) lastOfRecord.set(recordOf(node.op), node);
    for (const dep of node.op.dependsOn) {
      const target = byQueueId.get(`${queueOf(node.op)}\u0000${dep}`);
      if (!target) {
        node.blockedReason ??= `depends on ${dep}, which is not in the queue`;
      } else if (target.status === 'done') {
        // already delivered before the snapshot was taken: satisfied
      } else {
        const parent = nodeOf.get(target);
        if (parent) parents.add(parent.index);
        else node.blockedReason ??= `depends on ${dep}, which is ${target.status}`;
      }
    }
    node.parents = [...parents].sort((a, b) => a - b);
    for (const p of node.parents) (nodes[p] as PlanNode).children.push(node.index);
  }

  // Kahn's algorithm: whatever is never freed sits on a cycle or behind one.
  const waiting = nodes.map((n) => n.parents.length);
  const queue = nodes.filter((n) => n.parents.length === 0).map((n) => n.index);
  let freed = 0;
  while (queue.length > 0) {
    const i = queue.pop() as number;
    freed++;
    for (const c of (nodes[i] as PlanNode).children) if (--(waiting[c] as number) === 0) queue.push(c);
  }
  if (freed < nodes.length) {
    for (const n of nodes) if ((waiting[n.index] as number) > 0) n.blockedReason ??= 'on or behind a depends_on cycle';
  }

  const fp = createHash('sha256');
  for (const n of nodes) fp.update(`${n.push.idempotencyKey}|${n.push.collection}|${n.push.recordId}|${n.push.op}|${payloadHash(n.op)}\n`);
  return { nodes, skipped, fingerprint: fp.digest('hex') };
}

