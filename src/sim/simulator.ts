/**
 * The simulator: one run of one scenario under one algorithm and one seed, on virtual time. It
 * owns the clock and the event loop; devices (durable store, outbox and cursor; memory lost on a
 * crash), web clients, the server (reference backend semantics: an idempotency-key ledger, a commit
 * sequence as the pull cursor) and the network (latency, loss, duplication, reordering, partitions)
 * are plain state it advances. Faults apply until `heal.afterMs`; then the network is perfect,
 * every device is up, and the run ends when everything has drained and caught up, or when the heal
 * budget runs out. Every choice is drawn from per-subsystem streams of the run seed; the result is
 * a History, a pure value.
 */
import type { AlgorithmVariant } from './algorithms/index.js';
import { EventQueue } from './event-queue.js';
import { DroppedSendEvent, SendEvent, SetEvent, WriteEvent } from './history-json.js';
import type { DropReason, History, HistoryEvent, MessageKind, WriteRecord } from './history.js';
import { EXISTS, type ApplyStatus, type OutboxEntry, type Rec, type ReplicaCtx, type SentOp, type WriteInput } from './model.js';
import { Rng } from './prng.js';
import type { ClockSpec, FaultSpec, OpSpec, Scenario } from './scenario.js';
import { materializeOps } from './workload.js';

/** Ops per push request. */
const BATCH = 64;
/** Transmissions of one op before it is dead-lettered (a bound on retries, as TigerStyle asks). */
const MAX_SENDS = 200;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5_000;
const NO_OPS: OutboxEntry[] = [];
const NO_CHANGES: Commit[] = [];
const NO_CELLS: Rec['cells'] = Object.freeze({});

/** Hard cap on processed events, whatever the scenario says. */
const MAX_STEPS = 20_000_000;

/**
 * A message is its own delivery event (k: 2): no wrapper, no separate body. `data` is the ops
 * (push), the results (push-ack), the changes (pull-resp), the web request (web) or its status
 * (web-ack); `cursor` is the pull cursor. Duplicated copies share one immutable message.
 */
interface Message {
  k: 2;
  id: number;
  from: number;
  to: number;
  kind: MessageKind;
  req: number;
  data: unknown;
  cursor: number;
}

type TimerKind = 1 | 3 | 4 | 5 | 6 | 7;

/**
 * Every queued event but a delivery, in one shape (user ops are not queued: see `opOrder`): 1 sync
 * tick, 3 response timeout and 4 retry after backoff (`arg`: the request), 5 crash (`arg`:
 * restartAfterMs), 6 restart, 7 heal. With messages that is two shapes in the queue (it was six
 * object literals), so the loop's reads of `k` stay inline-cached instead of megamorphic. Fields
 * are `declare`d, set by the constructor only (no class-field definitions to run first).
 */
class Timer {
  declare readonly k: TimerKind;
  declare readonly node: number;
  declare readonly arg: number;
  declare readonly epoch: number;
  constructor(k: TimerKind, node: number, arg: number, epoch: number) {
    this.k = k;
    this.node = node;
    this.arg = arg;
    this.epoch = epoch;
  }
}

type Ev = Timer | Message;

interface Inflight {
  req: number;
  kind: 'push' | 'pull' | 'web';
  ops: OutboxEntry[];
  attempts: number;
  web: WebRequest | undefined;
}

interface WebRequest {
  op: OpSpec;
  idempotencyKey: number;
}

interface Node {
  idx: number;
  id: string;
  kind: 'server' | 'device' | 'web';
  clock: ClockSpec;
  ctx: ReplicaCtx;
  /** The durable store, indexed by key number (`keyOf`). */
  store: Array<Rec | undefined>;
  outbox: OutboxEntry[];
  cursor: number;
  /** Checker bookkeeping only (never shown to the algorithm): the writes this node knows. */
  knowledge: number[];
  writer: number;
  up: boolean;
  epoch: number;
  busy: boolean;
  inflight: Inflight | null;
  rng: Rng;
  opCount: number;
  webQueue: WebRequest[];
  dead: number;
  spare: Inflight;
  /** The node's sync tick for its current epoch: immutable, so scheduled again and again. */
  tick: Timer;
}

/** A server commit: the record a key was given (`live` until the key is committed again). */
interface Commit {
  readonly key: string;
  readonly keyId: number;
  readonly rec: Rec;
  live: boolean;
}

interface PushResult {
  status: ApplyStatus | 'duplicate';
  rec: Rec | undefined;
}

/** The names of a record's cells: the record's own list when its algorithm keeps one. */
function fieldsOf(rec: Rec): readonly string[] {
  return rec.fields ?? Object.keys(rec.cells);
}

/** `t + skew + t·drift/1e6` in exact integer arithmetic (floor division). */
export function localClock(t: number, clock: ClockSpec): number {
  const n = t * clock.driftPpm;
  const r = n % 1_000_000;
  const q = (n - r) / 1_000_000 - (r < 0 ? 1 : 0);
  return t + clock.skewMs + q;
}

/**
 * Op indices in the order the queue gave them when every op was pushed first: by time, then list
 * order. Materialised ops are already in time order (identity, no sort); a hand-made list is
 * sorted stably.
 */
export function opsByTime(ops: readonly OpSpec[]): number[] {
  const order = ops.map((_, i) => i);
  for (let i = 1; i < ops.length; i++) {
    if (ops[i]!.at < ops[i - 1]!.at) return order.sort((a, b) => ops[a]!.at - ops[b]!.at || a - b);
  }
  return order;
}

export interface SimulateOptions {
  /** Ops to run instead of the scenario's workload (the shrinker's materialised, reduced list). */
  ops?: OpSpec[];
}

export function simulate(scenario: Scenario, variant: AlgorithmVariant, seed: bigint, options: SimulateOptions = {}): History {
  const alg = variant.algorithm;
  const ops = options.ops ?? materializeOps(scenario, seed);
  const netRng = new Rng(seed, 'network');
  const faultRng = new Rng(seed, 'faults');
  const queue = new EventQueue<Ev>();
  const events: HistoryEvent[] = [];
  const writes: WriteRecord[] = [];
  // the scenario's numbers the hot paths use, read once (scenario objects of different shapes
  // would otherwise make every one of these reads polymorphic)
  const { lossRatio, duplicateRatio, reorder } = scenario.network;
  const latMin = scenario.network.latencyMs.min;
  const latMax = scenario.network.latencyMs.max;
  const syncIntervalMs = scenario.syncIntervalMs;
  const idempotent = variant.idempotent;
  const readsPending = alg.readsPendingFields;
  const healAt = scenario.heal.afterMs;
  const deadline = healAt + scenario.heal.budgetMs;
  let now = 0;
  let faultsOn = healAt > 0;
  let msgSeq = 0;
  let reqSeq = 0;
  let conflicts = 0;
  let writesInFlight = 0;

  const writerCount = 1 + scenario.devices.length;
  const mkNode = (idx: number, id: string, kind: Node['kind'], clock: ClockSpec): Node => {
    const node: Node = {
      idx, id, kind, clock,
      ctx: { id, now: () => localClock(now, clock), mem: alg.newMem() },
      store: [], outbox: [], cursor: 0,
      knowledge: new Array<number>(writerCount).fill(0),
      writer: idx, up: true, epoch: 0, busy: false, inflight: null,
      rng: new Rng(seed, `backoff:${id}`), opCount: 0, webQueue: [], dead: 0,
      spare: { req: 0, kind: 'pull', ops: NO_OPS, attempts: 0, web: undefined },
      tick: new Timer(1, idx, 0, 0),
    };
    return node;
  };
  const server = mkNode(0, 'server', 'server', { skewMs: 0, driftPpm: 0 });
  const nodes: Node[] = [server];
  scenario.devices.forEach((d, i) => nodes.push(mkNode(i + 1, d.id, d.kind, d.clock)));
  const nodeIndex = new Map(nodes.map((n) => [n.id, n.idx]));
  const devices = nodes.filter((n) => n.kind === 'device');
  const webs = nodes.filter((n) => n.kind === 'web');
  // Server commit log, one entry per commit (the pull cursor indexes it). An entry stops being live
  // when its key is committed again, so a pull sends each changed key once, at its latest state:
  // the live entry itself ({ key, rec }), with no lookups or copies per entry.
  const log: Commit[] = [];
  const lastCommit: Array<Commit | undefined> = [];
  // Idempotency keys are the ops' issue numbers (0, 1, 2, … in the order devices and web clients
  // issue them), so the server's ledger and the web clients' writes are arrays indexed by key: no
  // key string built and hashed per op. An op is issued at most once, so `ops.length` bounds them.
  let issued = 0;
  const ledger = new Array<PushResult | undefined>(ops.length).fill(undefined);
  const webWrite = new Array<number>(ops.length).fill(-1);
  const dupCount: number[] = [];

  // ---- history helpers
  const push = (ev: HistoryEvent): void => {
    events.push(ev);
  };
  /**
   * The set events of a record's change, and with `remote` (a pulled record) what the device learns:
   * it now holds a state including the writes of the cells it took from `remote`, so it knows them
   * (and what they knew). One pass over the new cells does both; a write seen in the cell before is
   * not learnt again (a create's cells share one write).
   */
  const diff = (at: Node, key: string, prev: Rec | undefined, next: Rec, remote?: Rec): void => {
    const pc = prev === undefined ? NO_CELLS : prev.cells;
    const nc = next.cells;
    // records are immutable: an algorithm that kept the cells object changed no cell
    const changed = pc !== nc;
    if (changed || remote !== undefined) {
      const rc = remote?.cells;
      const nf = fieldsOf(next);
      let learnt = -1;
      for (const f of nf) {
        const to = nc[f]!.w;
        if (changed) {
          const from = pc[f]?.w ?? -1;
          if (from !== to) push(new SetEvent(now, at.id, key, f, from, to));
        }
        if (rc !== undefined && to !== learnt && rc[f]?.w === to) {
          learn(at, to);
          learnt = to;
        }
      }
      // a record that shares its field list with the new one lost no field
      if (changed && prev !== undefined && prev.fields !== nf) {
        for (const f of fieldsOf(prev)) {
          if (!(f in nc)) push(new SetEvent(now, at.id, key, f, pc[f]!.w, -1));
        }
      }
    }
    const fromEx = prev?.ex.w ?? -1;
    if (fromEx !== next.ex.w) push(new SetEvent(now, at.id, key, EXISTS, fromEx, next.ex.w));
    if (remote !== undefined && remote.ex.w === next.ex.w) learn(at, next.ex.w);
  };
  const learn = (node: Node, w: number): void => {
    const clock = writes[w]!.clock;
    const k = node.knowledge;
    for (let i = 0; i < clock.length; i++) if (clock[i]! > k[i]!) k[i] = clock[i]!;
  };
  const newWrite = (node: Node, op: OpSpec, key: string): WriteInput => {
    node.knowledge[node.writer]! += 1;
    const id = writes.length;
    writes.push({
      id, t: now, origin: node.id, originKind: node.kind === 'web' ? 'web' : 'device', kind: op.op, key,
      fields: op.fields, writer: node.writer, rank: node.knowledge[node.writer]!, clock: node.knowledge.slice(),
    });
    push(new WriteEvent(now, id));
    return { id, origin: node.id, kind: op.op, key, fields: op.fields };
  };

  // Every record key is numbered once per run, in order of first use: the stores, the commit index
  // and the duplicate counts are arrays indexed by that number instead of Maps keyed by the string.
  // `keyNames` holds one string per key (the events name it). A key is numbered by its string, so a
  // record id that spells another key's duplicate (`notes/n1~2`) is that key, as with string keys.
  const keyNames: string[] = [];
  const keyIds = new Map<string, number>();
  const intern = (key: string): number => {
    let k = keyIds.get(key);
    if (k === undefined) {
      k = keyNames.length;
      keyIds.set(key, k);
      keyNames.push(key);
    }
    return k;
  };
  // (collection, id) to key number without building the string: ops name the same few records
  const byCollection = new Map<string, Map<string, number>>();
  const keyOf = (collection: string, id: string): number => {
    let byId = byCollection.get(collection);
    if (byId === undefined) byCollection.set(collection, (byId = new Map()));
    let k = byId.get(id);
    if (k === undefined) byId.set(id, (k = intern(`${collection}/${id}`)));
    return k;
  };

  // ---- initial state: synced everywhere at time 0
  let initialRank = 0;
  for (const col of scenario.collections) {
    for (const r of scenario.initial[col] ?? []) {
      const k = keyOf(col, r.id);
      const key = keyNames[k]!;
      const id = writes.length;
      initialRank++;
      const clock = new Array<number>(writerCount).fill(0);
      clock[0] = initialRank;
      writes.push({ id, t: 0, origin: 'initial', originKind: 'initial', kind: 'create', key, fields: r.fields, writer: 0, rank: initialRank, clock });
      const cells: Record<string, { v: unknown; w: number }> = {};
      for (const f of Object.keys(r.fields)) cells[f] = { v: r.fields[f], w: id };
      const rec = alg.initial(cells, { v: true, w: id });
      server.store[k] = rec;
      for (const d of devices) d.store[k] = rec;
    }
  }
  for (const n of nodes) n.knowledge[0] = initialRank;

  // ---- faults
  const activeFaults = (kind: FaultSpec['kind']): FaultSpec[] => scenario.faults.filter((f) => f.kind === kind);
  const partitions = activeFaults('partition') as Array<Extract<FaultSpec, { kind: 'partition' }>>;
  const offlines = activeFaults('offline') as Array<Extract<FaultSpec, { kind: 'offline' }>>;
  const dropResponses = activeFaults('drop-responses') as Array<Extract<FaultSpec, { kind: 'drop-responses' }>>;
  // Per node, precomputed once: its offline windows, its group in each partition (-1: in none),
  // its drop-responses windows. The hot path (every message) then does no searching.
  const offlineOf = nodes.map((n) => offlines.filter((f) => f.device === n.id));
  const groupOf = nodes.map((n) => partitions.map((p) => p.groups.findIndex((g) => g.includes(n.id))));
  const dropOf = nodes.map((n) => dropResponses.filter((f) => f.device === n.id));
  // From this time on no partition, offline or drop-responses window is open: the checks below
  // would all say no (and draw nothing), so the hot paths skip them.
  let windowsEnd = 0;
  for (const f of [...partitions, ...offlines, ...dropResponses]) windowsEnd = Math.max(windowsEnd, f.until);
  if (Number.isNaN(windowsEnd)) windowsEnd = Infinity; // a window without a numeric end (unvalidated input): never skip
  const isOffline = (node: Node): boolean => {
    if (!faultsOn || now >= windowsEnd) return false;
    for (const f of offlineOf[node.idx]!) if (now >= f.from && now < f.until) return true;
    return false;
  };
  const separated = (a: Node, b: Node): boolean => {
    if (!faultsOn) return false;
    const ga = groupOf[a.idx]!;
    const gb = groupOf[b.idx]!;
    for (let i = 0; i < partitions.length; i++) {
      const p = partitions[i]!;
      if (now < p.from || now >= p.until) continue;
      if (ga[i]! >= 0 && gb[i]! >= 0 && ga[i] !== gb[i]) return true;
    }
    return false;
  };

  // ---- network
  /** A drop-responses window of `to` is open and its draw says drop (stops at the first drop). */
  const responseDropped = (to: Node): boolean => {
    for (const f of dropOf[to.idx]!) if (now >= f.from && now < f.until && faultRng.chance(f.ratio)) return true;
    return false;
  };
  /** Why an open fault window drops this message, if one does. */
  const windowDrop = (from: Node, to: Node, kind: MessageKind): DropReason | undefined => {
    if (separated(from, to)) return 'partition';
    if (isOffline(from) || isOffline(to)) return 'offline';
    if ((kind === 'push-ack' || kind === 'pull-resp' || kind === 'web-ack') && responseDropped(to)) return 'lost-ack';
    return undefined;
  };
  const lastDelivery: number[] = new Array<number>(nodes.length * nodes.length).fill(0);
  const send = (from: Node, to: Node, kind: MessageKind, req: number, data: unknown, cursor: number, n: number): void => {
    const id = ++msgSeq;
    let drop: DropReason | undefined;
    let copies = 1;
    if (faultsOn) {
      if (now < windowsEnd) drop = windowDrop(from, to, kind);
      if (drop !== undefined) {
        // dropped by an open fault window: no loss or duplication draw
      } else if (netRng.chance(lossRatio)) drop = 'loss';
      else if (netRng.chance(duplicateRatio)) copies = 2;
    }
    if (drop !== undefined) {
      push(new DroppedSendEvent(now, id, from.id, to.id, kind, n, drop));
      return;
    }
    const link = from.idx * nodes.length + to.idx;
    const msg: Message = { k: 2, id, from: from.idx, to: to.idx, kind, req, data, cursor };
    // the arrival times as an array of their exact length (the history keeps it: a pushed-to `[]`
    // would keep a 17-slot backing store per send)
    const first = arrival(link);
    const arrive = copies === 1 ? [first] : [first, arrival(link)];
    push(new SendEvent(now, id, from.id, to.id, kind, n, arrive));
    if (kind === 'push' || kind === 'web') writesInFlight += copies;
    for (let c = 0; c < copies; c++) queue.push(arrive[c]!, msg);
  };
  /** When a copy sent now on `link` arrives (one latency draw). */
  const arrival = (link: number): number => {
    let at = now + netRng.between(latMin, latMax);
    // without reordering each link is FIFO: a message never overtakes an earlier one
    if (!(faultsOn && reorder)) {
      if (lastDelivery[link]! > at) at = lastDelivery[link]!;
      lastDelivery[link] = at;
    }
    return at;
  };
  const timeoutMs = 4 * latMax + 100;
  const backoff = (node: Node, attempt: number): number =>
    Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt - 1, 16)) + node.rng.int(BACKOFF_BASE_MS);

  // ---- server
  const commit = (key: string, keyId: number, prev: Rec | undefined, rec: Rec): void => {
    diff(server, key, prev, rec);
    server.store[keyId] = rec;
    const entry: Commit = { key, keyId, rec, live: true };
    const before = lastCommit[keyId];
    if (before !== undefined) before.live = false;
    lastCommit[keyId] = entry;
    log.push(entry);
  };
  const serverApply = (op: SentOp): PushResult => {
    if (idempotent) {
      const seen = ledger[op.idempotencyKey];
      if (seen !== undefined) return { status: 'duplicate', rec: server.store[op.keyId] };
    }
    let key = op.key;
    let keyId = op.keyId;
    if (op.kind === 'create' && server.store[keyId] !== undefined) {
      // a create for a record the server already has: a server without op keys makes a new row
      const n = (dupCount[keyId] ?? 1) + 1;
      dupCount[keyId] = n;
      key = `${op.key}~${n}`;
      keyId = intern(key);
      key = keyNames[keyId]!;
      push({ t: now, e: 'dup', key, of: op.key, w: op.write });
    }
    const prev = server.store[keyId];
    const res = alg.serverApply(server.ctx, prev, keyId === op.keyId ? op : { ...op, key, keyId });
    if (res.conflict) {
      conflicts++;
      push({ t: now, e: 'conflict', key, op: op.write });
    }
    if (res.rec !== undefined && res.rec !== prev) commit(key, keyId, prev, res.rec);
    const result: PushResult = { status: res.status, rec: res.rec };
    if (idempotent) ledger[op.idempotencyKey] = result;
    return result;
  };
  const serverHandle = (msg: Message): void => {
    const from = nodes[msg.from]!;
    if (msg.kind === 'push') {
      const results = (msg.data as SentOp[]).map(serverApply);
      send(server, from, 'push-ack', msg.req, results, 0, results.length);
    } else if (msg.kind === 'pull') {
      let changes = NO_CHANGES;
      for (let s = msg.cursor; s < log.length; s++) {
        const entry = log[s]!;
        if (!entry.live) continue;
        if (changes === NO_CHANGES) changes = [];
        changes.push(entry);
      }
      send(server, from, 'pull-resp', msg.req, changes, log.length, changes.length);
    } else if (msg.kind === 'web') {
      const result = webExecute(from, msg.data as WebRequest);
      send(server, from, 'web-ack', msg.req, result, 0, 1);
    }
  };
  /** A web client's read-modify-write, executed at the server in one step (like a mutation). */
  const webExecute = (web: Node, req: WebRequest): string => {
    if (idempotent && ledger[req.idempotencyKey] !== undefined) return 'duplicate';
    const op = req.op;
    const keyId = keyOf(op.collection, op.id);
    const key = keyNames[keyId]!;
    const current = server.store[keyId];
    if (op.op !== 'create' && (current === undefined || current.ex.v !== true)) {
      push({ t: now, e: 'skip', at: web.id, key, op: op.op, why: 'the server does not hold this record' });
      if (idempotent) ledger[req.idempotencyKey] = { status: 'ignored', rec: current };
      return 'skipped';
    }
    let w = webWrite[req.idempotencyKey]!;
    let input: WriteInput;
    if (w < 0) {
      // the web client read the record it edits: it knows every write that state includes
      if (current !== undefined && op.op !== 'create') {
        for (const f of fieldsOf(current)) learn(web, current.cells[f]!.w);
        learn(web, current.ex.w);
      }
      input = newWrite(web, op, key);
      w = input.id;
      webWrite[req.idempotencyKey] = w;
    } else {
      input = { id: w, origin: web.id, kind: op.op, key, fields: op.fields };
    }
    const prev = op.op === 'create' ? undefined : current;
    const written = alg.localWrite(web.ctx, prev, input);
    const entry: OutboxEntry = { seq: 0, key, keyId, kind: op.op, write: w, idempotencyKey: req.idempotencyKey, origin: web.id, p: written.p, sends: 1 };
    const p = alg.prepareOp(web.ctx, prev === undefined ? undefined : written.rec, entry, 0);
    const sent: SentOp = { key, keyId, kind: op.op, write: w, idempotencyKey: req.idempotencyKey, origin: web.id, p };
    return serverApply(sent).status;
  };

  // ---- devices
  const pendingFields = (node: Node, keyId: number): Set<string> | null => {
    let out: Set<string> | null = null;
    for (const op of node.outbox) {
      if (op.keyId !== keyId) continue;
      out ??= new Set([EXISTS]);
      for (const f of Object.keys((writes[op.write]!).fields)) out.add(f);
    }
    return out;
  };
  const userOp = (node: Node, op: OpSpec): void => {
    const keyId = keyOf(op.collection, op.id);
    const key = keyNames[keyId]!;
    if (!node.up) {
      push({ t: now, e: 'skip', at: node.id, key, op: op.op, why: 'the device is down (crashed)' });
      return;
    }
    const prev = node.store[keyId];
    if (op.op === 'create' ? prev !== undefined : prev === undefined || prev.ex.v !== true) {
      push({ t: now, e: 'skip', at: node.id, key, op: op.op, why: op.op === 'create' ? 'the record already exists here' : 'this device does not hold the record (not pulled yet, or deleted)' });
      return;
    }
    const input = newWrite(node, op, key);
    const { rec, p } = alg.localWrite(node.ctx, prev, input);
    diff(node, key, prev, rec);
    node.store[keyId] = rec;
    node.opCount++;
    node.outbox.push({ seq: node.opCount, key, keyId, kind: op.op, write: input.id, idempotencyKey: issued++, origin: node.id, p, sends: 0 });
  };
  const webOp = (node: Node, op: OpSpec): void => {
    node.webQueue.push({ op, idempotencyKey: issued++ });
    if (!node.busy) webNext(node);
  };
  const webNext = (node: Node): void => {
    const head = node.webQueue[0];
    if (head === undefined) return;
    node.busy = true;
    // the one in-flight record, reused (a web client also has one request out at a time)
    const inf = (node.inflight = node.spare);
    inf.req = ++reqSeq;
    inf.kind = 'web';
    inf.attempts = 0;
    inf.web = head;
    transmit(node);
  };

  const startCycle = (node: Node): void => {
    node.busy = true;
    // one in-flight record per device, reused: the sync loop has at most one request out
    const inf = (node.inflight = node.spare);
    inf.req = ++reqSeq;
    inf.kind = node.outbox.length > 0 ? 'push' : 'pull';
    inf.ops = NO_OPS;
    inf.attempts = 0;
    transmit(node);
  };
  /** Sends (or re-sends) the node's in-flight request and arms its timeout. */
  const transmit = (node: Node): void => {
    const inf = node.inflight!;
    if (inf.kind === 'push') {
      // dead-letter ops that were sent too often without an answer (a bound, never hit by sane scenarios)
      while (node.outbox.length > 0 && node.outbox[0]!.sends >= MAX_SENDS) {
        const dead = node.outbox.shift()!;
        node.dead++;
        push({ t: now, e: 'dead', at: node.id, op: dead.write });
      }
      if (node.outbox.length === 0) inf.kind = 'pull';
    }
    if (inf.kind === 'push') {
      const ops = (inf.ops = node.outbox.slice(0, BATCH));
      // per-key counts only matter when the batch holds more than one op (the common case is one)
      const perKey = ops.length > 1 ? new Map<string, number>() : null;
      const sent: SentOp[] = new Array<SentOp>(ops.length);
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        op.sends++;
        let earlier = 0;
        if (perKey !== null) {
          earlier = perKey.get(op.key) ?? 0;
          perKey.set(op.key, earlier + 1);
        }
        const p = alg.prepareOp(node.ctx, node.store[op.keyId], op, earlier);
        sent[i] = { key: op.key, keyId: op.keyId, kind: op.kind, write: op.write, idempotencyKey: op.idempotencyKey, origin: op.origin, p };
      }
      send(node, server, 'push', inf.req, sent, 0, sent.length);
    } else if (inf.kind === 'pull') {
      send(node, server, 'pull', inf.req, null, node.cursor, 0);
    } else {
      send(node, server, 'web', inf.req, inf.web!, 0, 1);
    }
    queue.push(now + timeoutMs, new Timer(3, node.idx, inf.req, node.epoch));
  };
  /**
   * Drops the acknowledged batch from the outbox. The batch was sliced from the outbox head and
   * only appends happen until its ack, so it is normally still the head: cut it off in place
   * instead of building a Set and filtering; anything else falls back to the general filter.
   */
  const removeAcked = (node: Node, acked: readonly OutboxEntry[]): void => {
    const box = node.outbox;
    let head = acked.length <= box.length;
    for (let i = 0; head && i < acked.length; i++) head = box[i] === acked[i];
    if (head) box.splice(0, acked.length);
    else {
      const done = new Set(acked);
      node.outbox = box.filter((op) => !done.has(op));
    }
  };
  const finishCycle = (node: Node): void => {
    node.busy = false;
    node.inflight = null;
  };
  const deviceHandle = (node: Node, msg: Message): void => {
    const inf = node.inflight;
    if (inf === null || inf.req !== msg.req) return; // a late or duplicated answer: ignored
    if (msg.kind === 'push-ack') {
      const results = msg.data as PushResult[];
      const acked = inf.ops;
      removeAcked(node, acked);
      for (let i = 0; i < acked.length; i++) {
        const op = acked[i]!;
        const r = results[i]!;
        const status: ApplyStatus = r.status === 'duplicate' ? 'applied' : r.status;
        if (status === 'conflict') push({ t: now, e: 'dropped-op', at: node.id, w: op.write, status });
        if (alg.onAck === undefined) continue;
        const local = node.store[op.keyId];
        const next = alg.onAck(node.ctx, local, op, status, r.rec);
        if (next !== undefined && next !== local) {
          diff(node, op.key, local, next);
          node.store[op.keyId] = next;
        }
      }
      inf.req = ++reqSeq;
      inf.kind = 'pull';
      inf.attempts = 0;
      transmit(node);
    } else if (msg.kind === 'pull-resp') {
      const changes = msg.data as Commit[];
      const cursor = msg.cursor;
      for (let c = 0; c < changes.length; c++) {
        const { key, keyId, rec: remote } = changes[c]!;
        const local = node.store[keyId];
        const next = alg.pullApply(node.ctx, local, remote, readsPending ? pendingFields(node, keyId) : null);
        if (next === undefined || next === local) continue;
        diff(node, key, local, next, remote);
        node.store[keyId] = next;
      }
      node.cursor = cursor;
      finishCycle(node);
    }
  };
  const webHandle = (node: Node, msg: Message): void => {
    const inf = node.inflight;
    if (inf === null || inf.req !== msg.req) return;
    node.webQueue.shift();
    finishCycle(node);
    webNext(node);
  };

  // ---- phases
  // Drained and caught up: no op left to issue or in any outbox, no push or web request (or a late
  // duplicate of one) still travelling to the server, and every device has pulled its latest state.
  // A device may be mid-way through an idle pull: that cannot change anything.
  const quiesced = (): boolean => {
    if (faultsOn || opPos < opAt.length || writesInFlight > 0) return false;
    for (const d of devices) if (!d.up || d.outbox.length > 0 || d.cursor !== log.length) return false;
    for (const w of webs) if (w.busy || w.webQueue.length > 0) return false;
    return true;
  };
  const scheduleTick = (node: Node, delay: number): void => {
    let tick = node.tick;
    if (tick.epoch !== node.epoch) tick = node.tick = new Timer(1, node.idx, 0, node.epoch);
    queue.push(now + delay, tick);
  };
  /** A node's store as the algorithms see it: key to record, in key-number order. */
  const storeMap = (node: Node): Map<string, Rec> => {
    const map = new Map<string, Rec>();
    node.store.forEach((rec, k) => {
      if (rec !== undefined) map.set(keyNames[k]!, rec);
    });
    return map;
  };
  const restart = (node: Node): void => {
    node.up = true;
    node.epoch++;
    node.ctx.mem = alg.newMem();
    alg.onRestart?.(node.ctx, storeMap(node));
    push({ t: now, e: 'restart', at: node.id });
    scheduleTick(node, node.rng.between(1, syncIntervalMs));
  };

  // ---- schedule the run
  // User ops are not queued: they are read in (time, list) order from `opOrder`, a second queue
  // beside the heap, which then holds a few timers and messages instead of every op too (a heap
  // about a quarter the size: fewer levels per push and pop). Scheduled first, the ops had the
  // lowest sequence numbers, so at equal times an op goes before every queued event: `<=` below.
  const opNode = ops.map((op) => nodeIndex.get(op.device)!);
  const opOrder = opsByTime(ops);
  const opAt = opOrder.map((i) => ops[i]!.at);
  let opPos = 0;
  for (const d of devices) scheduleTick(d, d.rng.between(1, syncIntervalMs));
  for (const f of scenario.faults) {
    if (f.kind === 'crash' && f.at < healAt) queue.push(f.at, new Timer(5, nodeIndex.get(f.device)!, f.restartAfterMs, 0));
  }
  queue.push(healAt, new Timer(7, -1, 0, 0));

  let steps = 0;
  // popped events that found nothing to do (stale timers): the benchmark does not count them
  let stale = 0;
  let quiet = false;
  while (steps < MAX_STEPS) {
    const t = queue.peekTime(); // Infinity when empty
    if (opPos < opAt.length && opAt[opPos]! <= t) {
      if (opAt[opPos]! > deadline) break;
      now = opAt[opPos]!;
      steps++;
      const i = opOrder[opPos++]!;
      const node = nodes[opNode[i]!]!;
      if (node.kind === 'web') webOp(node, ops[i]!);
      else userOp(node, ops[i]!);
      continue; // an op never ends the run (quiesced wants every op issued and acknowledged)
    }
    if (queue.size === 0 || t > deadline) break;
    const ev = queue.pop();
    now = t;
    steps++;
    switch (ev.k) {
      case 1: {
        const node = nodes[ev.node]!;
        if (ev.epoch !== node.epoch || !node.up) {
          stale++;
          break;
        }
        if (!node.busy && !isOffline(node)) startCycle(node);
        scheduleTick(node, syncIntervalMs);
        break;
      }
      case 2: {
        const msg = ev;
        const to = nodes[msg.to]!;
        if (msg.kind === 'push' || msg.kind === 'web') writesInFlight--;
        if (!to.up) {
          push({ t: now, e: 'lost', m: msg.id, at: to.id, why: 'receiver down' });
          break;
        }
        if (isOffline(to)) {
          push({ t: now, e: 'lost', m: msg.id, at: to.id, why: 'receiver offline' });
          break;
        }
        if (to.kind === 'server') serverHandle(msg);
        else if (to.kind === 'device') deviceHandle(to, msg);
        else webHandle(to, msg);
        break;
      }
      case 3: {
        const node = nodes[ev.node]!;
        const inf = node.inflight;
        if (ev.epoch !== node.epoch || inf === null || inf.req !== ev.arg) {
          stale++; // the request was answered (or the node crashed) before its timeout fired
          break;
        }
        inf.attempts++;
        push({ t: now, e: 'timeout', at: node.id, req: ev.arg });
        queue.push(now + backoff(node, inf.attempts), new Timer(4, node.idx, ev.arg, node.epoch));
        break;
      }
      case 4: {
        const node = nodes[ev.node]!;
        const inf = node.inflight;
        if (ev.epoch !== node.epoch || inf === null || inf.req !== ev.arg) {
          stale++;
          break;
        }
        if (node.kind === 'device' && isOffline(node)) {
          finishCycle(node); // the next tick starts over once the device is back online
          break;
        }
        inf.req = ++reqSeq;
        // a retry is a fresh sync cycle: push first if anything is queued now
        if (inf.kind === 'pull' && node.outbox.length > 0) inf.kind = 'push';
        transmit(node);
        break;
      }
      case 5: {
        const node = nodes[ev.node]!;
        if (!node.up || !faultsOn) {
          stale++;
          break;
        }
        // memory is lost (in-flight requests, timers, algorithm state); store and outbox are kept
        node.up = false;
        node.epoch++;
        finishCycle(node);
        push({ t: now, e: 'crash', at: node.id });
        const back = now + ev.arg;
        if (back < healAt) queue.push(back, new Timer(6, node.idx, 0, node.epoch));
        break;
      }
      case 6: {
        const node = nodes[ev.node]!;
        if (!node.up && ev.epoch === node.epoch) restart(node);
        else stale++;
        break;
      }
      case 7: {
        faultsOn = false;
        push({ t: now, e: 'heal' });
        for (const d of devices) if (!d.up) restart(d);
        break;
      }
    }
    if (!faultsOn && (ev.k === 2 || ev.k === 7) && quiesced()) {
      quiet = true;
      break;
    }
  }

  const outboxes: Record<string, number> = {};
  const deadLetters: Record<string, number> = {};
  for (const d of devices) {
    outboxes[d.id] = d.outbox.length;
    deadLetters[d.id] = d.dead;
  }
  const replicaKinds: History['replicaKinds'] = {};
  const replicas: string[] = [];
  const writers: string[] = ['initial'];
  for (const n of nodes) {
    replicaKinds[n.id] = n.kind;
    replicas.push(n.id);
    if (n.idx > 0) writers.push(n.id);
  }
  return {
    scenario: scenario.name,
    algorithm: variant.name,
    seed: seed.toString(),
    replicas,
    replicaKinds,
    writers,
    writes,
    events,
    end: { t: now, quiesced: quiet, healAt, outboxes, deadLetters },
    conflicts,
    steps,
    stale,
  };
}
