/**
 * `outbox lint`: the checks that explain why an outbox does not drain or would corrupt the server
 * when it does (duplicates, orphans, ordering, dependencies, retry budgets, sequence numbers,
 * timestamps, payloads, records whose changes never reached the queue). Pure: it takes the
 * normalised outbox and a clock and returns findings; each names the queue entries (`ops`) and
 * records (`records`) involved, so a developer can go straight to the rows.
 */
import type { Finding } from '../findings.js';
import { hasErrors, sortFindings } from '../findings.js';
import { NO_REDACTION, type Redactor } from '../privacy/redact.js';
import { FINDING_CODES } from './finding-codes.js';
import { findPrototypeKeys } from './payload.js';
import { canonicalJson } from './idempotency.js';
import { formatAge } from './list.js';
import { OPEN_STATUSES, type OutboxOp, type OutboxQueueInfo, type OutboxRecordState, type OutboxSnapshot } from './types.js';

export interface OutboxFinding extends Finding {
  /** Ids of the queue entries involved, in send order. */
  ops: string[];
  /** Ids of the records involved. */
  records: string[];
}

export interface LintOptions {
  /** The lint clock (UTC ms) for "in the future"; the command passes the wall clock. */
  nowMs: number;
  /** Retry budget assumed for queues that do not record one (WatermelonDB, Drizzle). */
  defaultMaxAttempts?: number;
  /** Allowed clock skew before a timestamp counts as future. */
  futureSkewMs?: number;
  redactor?: Redactor;
}

export interface OutboxLintReport {
  verdict: 'pass' | 'fail';
  queues: OutboxQueueInfo[];
  totals: { ops: number; open: number; byStatus: Record<string, number> };
  findings: OutboxFinding[];
}

export const DEFAULT_MAX_ATTEMPTS = 5;

const isOpen = (op: OutboxOp): boolean => OPEN_STATUSES.has(op.status);
const queueKey = (op: { store: string; queue: string }): string => `${op.store}\u0000${op.queue}`;
const recordKey = (store: string, table: string, recordId: string): string => `${store}\u0000${table}\u0000${recordId}`;
const opRecordKey = (op: OutboxOp): string => recordKey(op.store, op.recordTable ?? op.collection, op.recordId ?? '');

function uniq(values: Array<string | null>): string[] {
  return [...new Set(values.filter((v): v is string => v !== null && v !== ''))];
}

function groupBy<T>(items: T[], key: (item: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Which of two vector clocks is newer; `concurrent` when neither is ≤ the other component-wise. */
export function compareClocks(a: Record<string, number>, b: Record<string, number>): 'equal' | 'before' | 'after' | 'concurrent' {
  let less = false;
  let greater = false;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[k] ?? 0;
    const y = b[k] ?? 0;
    if (x < y) less = true;
    if (x > y) greater = true;
  }
  return less && greater ? 'concurrent' : less ? 'before' : greater ? 'after' : 'equal';
}

class Collector {
  readonly findings: OutboxFinding[] = [];
  add(code: keyof typeof FINDING_CODES & string, ops: OutboxOp[], message: string, extra: { records?: string[]; store?: string; ref?: string } = {}): void {
    const def = FINDING_CODES[code];
    if (!def) throw new Error(`unknown finding code ${code}`);
    const first = ops[0];
    const sorted = [...ops].sort((a, b) => a.position - b.position);
    this.findings.push({
      code,
      severity: def.severity,
      message,
      ...(extra.store ?? first?.store ? { store: extra.store ?? first?.store } : {}),
      ...(extra.ref ?? first?.queue ? { ref: extra.ref ?? first?.queue } : {}),
      ops: uniq(sorted.map((o) => o.id)),
      records: extra.records ?? uniq(sorted.map((o) => o.recordId)),
    });
  }
}

export function lintOutbox(outbox: OutboxSnapshot, options: LintOptions): OutboxLintReport {
  const c = new Collector();
  const redact = options.redactor ?? NO_REDACTION;
  const defaultMax = options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const open = outbox.ops.filter(isOpen);
  const byQueue = groupBy(outbox.ops, queueKey);

  checkDuplicates(c, outbox.ops);
  checkRecordOrder(c, open);
  checkOrphansAndRecords(c, outbox, open);
  for (const ops of byQueue.values()) {
    checkDependencies(c, ops, defaultMax);
    checkSequence(c, ops);
    checkUnits(c, ops);
  }
  for (const op of outbox.ops) checkEntry(c, op, options, defaultMax, redact, outbox.newestTimestamp);
  for (const q of outbox.queues) {
    if (!q.walMissing) continue;
    const ops = open.filter((o) => o.store === q.store && o.queue === q.queue);
    c.add(
      'OUTBOX_WAL_MISSING',
      ops,
      `${q.store} is in WAL mode but its -wal is missing: the newest writes are gone, so these ${ops.length} queued op(s) may already have been sent (replaying them could duplicate creates) and newer ops may be lost; get the -wal from the device before replaying`,
      { store: q.store, ref: q.queue },
    );
  }

  checkMirrors(c, outbox, open);

  const byStatus: Record<string, number> = {};
  for (const op of outbox.ops) byStatus[op.status] = (byStatus[op.status] ?? 0) + 1;
  const findings = sortFindings(c.findings);
  return {
    verdict: hasErrors(findings) ? 'fail' : 'pass',
    queues: outbox.queues,
    totals: { ops: outbox.ops.length, open: open.length, byStatus },
    findings,
  };
}

function checkDuplicates(c: Collector, ops: OutboxOp[]): void {
  for (const [key, group] of groupBy(ops, (o) => o.idempotencyKey)) {
    if (group.length > 1) c.add('OUTBOX_DUPLICATE_KEY', group, `${group.length} queue entries share the idempotency key ${key}`);
  }
  const sameOp = groupBy(ops, (o) =>
    o.recordId === null || o.op === null ? null : `${opRecordKey(o)}\u0000${o.op}\u0000${o.payload ? canonicalJson(o.payload) : (o.payloadText ?? '')}`,
  );
  for (const group of sameOp.values()) {
    if (group.length < 2 || !group.some(isOpen)) continue;
    const keys = uniq(group.map((o) => o.idempotencyKey));
    const first = group[0] as OutboxOp;
    const what = `${first.op} of ${first.collection} ${first.recordId}`;
    if (keys.length > 1) {
      c.add('OUTBOX_DUPLICATE_OP_REKEYED', group, `the same ${what} (same payload) is queued ${group.length} times under different idempotency keys: the server will apply it ${group.length} times`);
    } else if (keys.length === 0) {
      c.add('OUTBOX_DUPLICATE_OP', group, `the same ${what} (same payload) is queued ${group.length} times (double enqueue)`);
    }
    // one shared key: already reported as OUTBOX_DUPLICATE_KEY
  }
}

function checkRecordOrder(c: Collector, open: OutboxOp[]): void {
  for (const ops of groupBy(open, (o) => (o.recordId === null ? null : opRecordKey(o))).values()) {
    const createAt = ops.findIndex((o) => o.op === 'create');
    if (createAt > 0) {
      const early = ops.slice(0, createAt).filter((o) => o.op === 'update' || o.op === 'delete');
      if (early.length > 0) {
        const create = ops[createAt] as OutboxOp;
        c.add('OUTBOX_BEFORE_CREATE', [...early, create], `${early.length} ${early.map((o) => o.op).join('/')} op(s) for ${create.collection} ${create.recordId} are ordered before its create (entry ${create.id}): the server will reject or misapply them`);
      }
    }
    const deleteAt = ops.findIndex((o) => o.op === 'delete');
    if (deleteAt >= 0 && deleteAt < ops.length - 1) {
      const del = ops[deleteAt] as OutboxOp;
      const after = ops.slice(deleteAt + 1);
      c.add('OUTBOX_AFTER_DELETE', [del, ...after], `${after.length} op(s) for ${del.collection} ${del.recordId} come after its delete (entry ${del.id}): they would resurrect or touch a deleted record`);
    }
  }
}

function checkOrphansAndRecords(c: Collector, outbox: OutboxSnapshot, open: OutboxOp[]): void {
  const records = new Map<string, OutboxRecordState>();
  const tablesRead = new Set<string>();
  for (const r of outbox.records) {
    records.set(recordKey(r.store, r.table, r.recordId), r);
    tablesRead.add(`${r.store}\u0000${r.table}`);
  }
  for (const q of outbox.queues) for (const t of q.recordTables) tablesRead.add(`${q.store}\u0000${t}`);
  const openByRecord = groupBy(open, (o) => (o.recordTable === null || o.recordId === null ? null : recordKey(o.store, o.recordTable, o.recordId)));

  for (const op of open) {
    if (op.recordTable === null || op.recordId === null || op.op === null || op.op === 'delete') continue;
    if (!tablesRead.has(`${op.store}\u0000${op.recordTable}`)) continue;
    const rec = records.get(recordKey(op.store, op.recordTable, op.recordId));
    if (!rec) {
      c.add('OUTBOX_ORPHAN', [op], `${op.op} queued (entry ${op.id}) for ${op.collection} ${op.recordId}, which is not in ${op.recordTable}: the record was removed without a delete op`);
      continue;
    }
    if (op.op === 'update' && rec.vectorClock) {
      const opClock = op.payload?.['vector_clock'] ?? op.payload?.['vectorClock'];
      if (opClock && typeof opClock === 'object' && !Array.isArray(opClock)) {
        const clock = Object.fromEntries(Object.entries(opClock).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
        if (compareClocks(clock, rec.vectorClock) === 'concurrent') {
          c.add('OUTBOX_CLOCK_CONCURRENT', [op], `the queued update's vector clock ${JSON.stringify(clock)} and the ${op.collection} row's ${JSON.stringify(rec.vectorClock)} are concurrent: another device edited ${op.recordId} and replaying this op would overwrite that edit`);
        }
      }
    }
  }

  for (const rec of outbox.records) {
    const queued = openByRecord.get(recordKey(rec.store, rec.table, rec.recordId)) ?? [];
    const flag = rec.localStatus !== null ? `_status='${rec.localStatus}'` : rec.syncStatus !== null ? `sync status '${rec.syncStatus}'` : 'dirty flag';
    // WatermelonDB marks deletions in _status only; an app sync status left at 'synced' is expected then
    if (rec.dirty === true && rec.syncStatus === 'synced' && rec.localStatus !== 'deleted') {
      c.add('OUTBOX_STATUS_MISMATCH', queued, `${rec.table} ${rec.recordId} has local changes (${rec.localStatus !== null ? flag : 'isDirty'}) but its sync status says 'synced'${queued.length ? '' : ', and nothing is queued for it'}`, {
        records: [rec.recordId],
        store: rec.store,
        ref: rec.table,
      });
    } else if (rec.dirty === true && queued.length === 0) {
      c.add('OUTBOX_MISSING_OP', [], `${rec.table} ${rec.recordId} has unsynced local changes (${flag}) but no open queue entry: the change will never be pushed (lost enqueue)`, {
        records: [rec.recordId],
        store: rec.store,
        ref: rec.table,
      });
    }
  }
}

function checkDependencies(c: Collector, ops: OutboxOp[], defaultMax: number): void {
  const byId = new Map(ops.map((o) => [o.id, o]));
  // dependency edges: depends_on, plus the previous open op of the same record (send order)
  const parents = new Map<OutboxOp, OutboxOp[]>();
  for (const op of ops) {
    const ps: OutboxOp[] = [];
    for (const dep of op.dependsOn) {
      const parent = byId.get(dep);
      if (parent) ps.push(parent);
      else if (isOpen(op)) c.add('OUTBOX_DEPENDENCY_DANGLING', [op], `entry ${op.id} depends on ${dep}, which is not in the queue: it can never be sent in order`);
    }
    parents.set(op, ps);
  }
  reportCycles(c, ops, byId);
  const lastOfRecord = new Map<string, OutboxOp>();
  for (const op of ops) {
    if (!isOpen(op) || op.recordId === null) continue;
    const prev = lastOfRecord.get(opRecordKey(op));
    if (prev) parents.get(op)?.push(prev);
    lastOfRecord.set(opRecordKey(op), op);
  }
  const children = new Map<OutboxOp, OutboxOp[]>();
  for (const [child, ps] of parents) for (const p of ps) children.set(p, [...(children.get(p) ?? []), child]);

  for (const root of ops) {
    const poison = isOpen(root) && root.attempts >= (root.maxAttempts ?? defaultMax);
    if (root.status !== 'failed' && root.status !== 'dead' && !poison) continue;
    const blocked: OutboxOp[] = [];
    const seen = new Set<OutboxOp>([root]);
    const queue = [...(children.get(root) ?? [])];
    while (queue.length > 0) {
      const next = queue.shift() as OutboxOp;
      if (seen.has(next)) continue;
      seen.add(next);
      if (isOpen(next)) blocked.push(next);
      queue.push(...(children.get(next) ?? []));
    }
    if (blocked.length === 0) continue;
    c.add('OUTBOX_BLOCKED_BY_FAILED', [root, ...blocked], `${blocked.length} open op(s) wait behind entry ${root.id} (${root.op} ${root.collection} ${root.recordId}, ${root.status}${poison ? ', retries exhausted' : ''}): they can never be sent until it succeeds or is dropped`);
  }
}

function reportCycles(c: Collector, ops: OutboxOp[], byId: Map<string, OutboxOp>): void {
  // iterative colouring DFS over depends_on; each back edge closes one cycle
  const state = new Map<OutboxOp, 1 | 2>();
  const reported = new Set<string>();
  for (const start of ops) {
    if (state.has(start)) continue;
    const stack: Array<{ op: OutboxOp; next: number }> = [{ op: start, next: 0 }];
    const path: OutboxOp[] = [start];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { op: OutboxOp; next: number };
      const dep = top.op.dependsOn[top.next++];
      if (dep === undefined) {
        state.set(top.op, 2);
        stack.pop();
        path.pop();
        continue;
      }
      const target = byId.get(dep);
      if (!target) continue;
      const s = state.get(target);
      if (s === 1) {
        const cycle = path.slice(path.indexOf(target));
        const id = cycle.map((o) => o.id).sort().join(',');
        if (!reported.has(id)) {
          reported.add(id);
          c.add('OUTBOX_DEPENDENCY_CYCLE', cycle, `depends_on forms a cycle ${[...cycle, target].map((o) => o.id).join(' → ')}: none of these ops can be sent`);
        }
      } else if (s === undefined) {
        state.set(target, 1);
        stack.push({ op: target, next: 0 });
        path.push(target);
      }
    }
  }
}

/** Shapes whose sequence numbers are allocated on purpose (rowids and array indexes gap normally). */
const SEQUENCED_SHAPES: ReadonlySet<OutboxOp['shape']> = new Set(['hybrid', 'unified']);

function checkSequence(c: Collector, ops: OutboxOp[]): void {
  const first = ops[0];
  if (!first) return;
  if (SEQUENCED_SHAPES.has(first.shape)) {
    const nulls = ops.filter((o) => o.seq === null);
    if (nulls.length > 0) c.add('OUTBOX_SEQ_NULL', nulls, `${nulls.length} queue entr${nulls.length === 1 ? 'y has' : 'ies have'} no sequence number: their send order is undefined`);
    const numbered = ops.filter((o) => o.seq !== null).sort((a, b) => (a.seq as number) - (b.seq as number));
    for (const [seq, group] of groupBy(numbered, (o) => String(o.seq))) {
      if (group.length > 1) c.add('OUTBOX_SEQ_DUPLICATE', group, `${group.length} queue entries share sequence number ${seq}`);
    }
    for (let i = 1; i < numbered.length; i++) {
      const a = numbered[i - 1] as OutboxOp;
      const b = numbered[i] as OutboxOp;
      const missing = (b.seq as number) - (a.seq as number) - 1;
      if (missing > 0) c.add('OUTBOX_SEQ_GAP', [a, b], `sequence jumps from ${a.seq} to ${b.seq} (${missing} missing): a consumer that waits for every number stalls after entry ${a.id}`);
    }
  }
  let prev: OutboxOp | null = null;
  for (const op of ops) {
    if (op.createdAt === null || !isOpen(op)) continue;
    if (prev && prev.createdAt !== null && op.createdAt < prev.createdAt) {
      c.add('OUTBOX_CREATED_AT_ORDER', [prev, op], `entry ${op.id} was created ${new Date(op.createdAt).toISOString()}, before entry ${prev.id} (${new Date(prev.createdAt).toISOString()}) that precedes it in send order: a clock jump or a re-enqueue`);
    }
    if (!prev || prev.createdAt === null || op.createdAt >= prev.createdAt) prev = op;
  }
}

function checkUnits(c: Collector, ops: OutboxOp[]): void {
  const byUnit = groupBy(ops, (o) => o.createdAtUnit);
  if (byUnit.size < 2) return;
  const ranked = [...byUnit.entries()].sort((a, b) => b[1].length - a[1].length);
  const [main] = ranked[0] as [string, OutboxOp[]];
  const odd = ranked.slice(1).flatMap(([, g]) => g);
  c.add('OUTBOX_TIMESTAMP_UNITS_MIXED', odd, `created_at is in ${main} for most entries but in ${ranked.slice(1).map(([u]) => u).join(', ')} for ${odd.length}: normalised to ms here, but the app compares them raw`);
}

function checkEntry(c: Collector, op: OutboxOp, options: LintOptions, defaultMax: number, redact: Redactor, newest: number | null): void {
  if (op.status === 'unknown') c.add('OUTBOX_INVALID_STATUS', [op], `entry ${op.id} has status '${op.rawStatus}', which no queue shape defines: it will never be picked up`);
  // done and dead entries are history: nothing will send them, so their content is not checked
  if (op.status === 'done' || op.status === 'dead') return;
  if (op.op === null) c.add('OUTBOX_INVALID_OP', [op], `entry ${op.id} has op '${op.rawOp}', not create, update or delete`);
  const limit = options.nowMs + (options.futureSkewMs ?? 5 * 60_000);
  const future = (['createdAt', 'lastAttemptAt', 'updatedAt'] as const).filter((f) => (op[f] ?? 0) > limit);
  if (future.length > 0) {
    c.add('OUTBOX_TIMESTAMP_FUTURE', [op], `entry ${op.id} has ${future.map((f) => `${f} ${new Date(op[f] as number).toISOString()}`).join(', ')}, in the future: a device clock was wrong or the unit is misread; last-write-wins will favour it`);
  }
  if (op.payloadError !== null) {
    c.add('OUTBOX_PAYLOAD_INVALID', [op], `entry ${op.id}: payload ${op.payloadError}`);
  } else if (op.payload === null && (op.op === 'create' || op.op === 'update')) {
    c.add('OUTBOX_PAYLOAD_INVALID', [op], `entry ${op.id}: ${op.op} without a payload`);
  }
  const proto = findPrototypeKeys(op.payload);
  if (proto.length > 0) c.add('OUTBOX_PAYLOAD_PROTO_KEY', [op], `entry ${op.id}: payload carries ${proto.join(', ')}: merging it into an object can pollute prototypes`);
  if (!isOpen(op)) return;
  const max = op.maxAttempts ?? defaultMax;
  const lastError = op.lastError === null ? '' : `; last error: ${redact.text(op.lastError)}`;
  if (op.status === 'in_flight') {
    const since = op.lastAttemptAt ?? op.createdAt;
    const age = since === null ? '' : `, last attempt ${new Date(since).toISOString()}${newest !== null && newest - since >= 60_000 ? ` (${formatAge(newest - since)} before the snapshot's newest timestamp)` : ''}`;
    c.add('OUTBOX_STUCK_IN_FLIGHT', [op], `entry ${op.id} is in flight${age}: nothing resets it after a crash and whether the server applied it is unknown; replay re-sends it with ${op.idempotencyKey ? 'its' : 'a derived'} idempotency key`);
  }
  if (op.attempts >= max) {
    c.add('OUTBOX_POISON', [op], `entry ${op.id} has used ${op.attempts} of ${max} attempts${op.maxAttempts === null ? ' (assumed budget)' : ''}${lastError}: it will never be retried`);
  } else if (op.attempts > 0 && op.status !== 'in_flight') {
    c.add('OUTBOX_RETRYING', [op], `entry ${op.id} failed ${op.attempts} time(s) and will be retried (${max - op.attempts} attempt(s) left)${lastError}`);
  }
}

function checkMirrors(c: Collector, outbox: OutboxSnapshot, open: OutboxOp[]): void {
  const queued = new Set(open.map((o) => `${o.recordId ?? ''}\u0000${o.op ?? ''}`));
  for (const m of outbox.mirrors) {
    const missing = m.entries.filter((e) => !queued.has(`${e.recordId ?? ''}\u0000${e.op ?? ''}`));
    if (missing.length === 0) continue;
    c.findings.push({
      code: 'OUTBOX_MIRROR_NOT_IN_OUTBOX',
      severity: 'warn',
      message: `${m.key} ${m.path} holds ${m.entries.length} op(s), ${missing.length} of them (${missing.map((e) => `${e.op ?? '?'} ${e.recordId ?? '?'}`).join(', ')}) not in any open outbox entry: they reach the server only through that store (migrate reconciles them; some may be stale)`,
      store: m.store,
      ref: `${m.key} ${m.path}`,
      ops: missing.map((e) => e.id),
      records: uniq(missing.map((e) => e.recordId)),
    });
  }
}
