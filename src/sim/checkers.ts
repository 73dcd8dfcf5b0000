/**
 * The checkers: pure functions from a History to a verdict per checker, with the offending
 * records and writes (SIMULATION.md defines what each judges). They replay the history's `set`
 * events to get every replica's final state; "happens after" is a lookup in the writes' causal
 * clocks. A violation that matches one of the algorithm's declarations is reported as declared and
 * does not fail the checker. Checkers never look at the algorithm's metadata, only at provenance.
 */
import type { Declaration } from './algorithms/types.js';
import { happensAfter, type History, type HistoryEvent, type WriteRecord } from './history.js';
import { EXISTS } from './model.js';

export const CHECKER_NAMES = ['convergence', 'no-lost-write', 'no-duplicate', 'no-resurrection', 'outbox-drained', 'causality'] as const;
export type CheckerName = (typeof CHECKER_NAMES)[number];
export type Verdict = 'pass' | 'fail' | 'unknown' | 'declared';

export interface Violation {
  checker: CheckerName;
  key: string;
  field?: string;
  /** The replica the violation was seen on. */
  at: string;
  /** Virtual time it became visible (for the trace and the timeline). */
  t: number;
  message: string;
  /** Writes that were lost or overtaken. */
  lost: number[];
  /** The write whose value stayed, when there is one. */
  kept?: number;
  /** The declaration this violation matches, if any. */
  declared?: string;
}

export interface CheckerResult {
  verdict: Verdict;
  violations: Violation[];
}

export type CheckReport = Record<CheckerName, CheckerResult>;

/** Final cell provenance per replica: replica → key → field → write id. */
type State = Map<string, Map<string, Map<string, number>>>;

interface Replay {
  state: State;
  /** Server key → logical record key (duplicates made by a server without op keys). */
  baseOf: Map<string, string>;
  /** The `set` events that moved a cell back to a write that happened before the one it held (causality's violations, found in the same pass). */
  backwards: Array<Extract<HistoryEvent, { e: 'set' }>>;
}

function replay(h: History): Replay {
  const state: State = new Map();
  const holders = h.replicas.filter((r) => h.replicaKinds[r] !== 'web');
  for (const r of holders) state.set(r, new Map());
  for (const w of h.writes) {
    if (w.originKind !== 'initial') continue;
    for (const r of holders) {
      const rec = new Map<string, number>();
      for (const f of Object.keys(w.fields)) rec.set(f, w.id);
      rec.set(EXISTS, w.id);
      state.get(r)!.set(w.key, rec);
    }
  }
  const baseOf = new Map<string, string>();
  const backwards: Replay['backwards'] = [];
  // a change to a record is a run of `set` events for one (replica, key): look the record up once
  let lastAt: string | undefined;
  let lastKey: string | undefined;
  let rec: Map<string, number> | undefined;
  for (const ev of h.events) {
    if (ev.e === 'dup') baseOf.set(ev.key, ev.of);
    if (ev.e !== 'set') continue;
    if (rec === undefined || ev.at !== lastAt || ev.key !== lastKey) {
      const store = state.get(ev.at)!;
      rec = store.get(ev.key);
      if (rec === undefined) {
        rec = new Map();
        store.set(ev.key, rec);
      }
      lastAt = ev.at;
      lastKey = ev.key;
    }
    if (ev.to < 0) rec.delete(ev.f);
    else {
      rec.set(ev.f, ev.to);
      if (ev.from >= 0 && happensAfter(h.writes, ev.from, ev.to)) backwards.push(ev);
    }
  }
  return { state, baseOf, backwards };
}

/** When a replica last set a cell (violations only: a backwards scan, so replay stays lean). */
function lastSet(h: History, at: string, key: string, f: string): number {
  for (let i = h.events.length - 1; i >= 0; i--) {
    const ev = h.events[i]!;
    if (ev.e === 'set' && ev.at === at && ev.key === key && ev.f === f) return ev.t;
  }
  return h.end.t;
}

/** Same provenance in every cell: certainly the same values (the cheap, common case). */
function sameCells(a: Map<string, number> | undefined, b: Map<string, number> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.size !== b.size) return false;
  for (const [f, w] of a) if (b.get(f) !== w) return false;
  return true;
}

function valueOf(writes: readonly WriteRecord[], w: number, field: string): unknown {
  const wr = writes[w]!;
  return field === EXISTS ? wr.kind !== 'delete' : wr.fields[field];
}

/** Visible records of a replica: live records only, fields resolved to values, keys sorted. */
function visible(h: History, rec: Map<string, number> | undefined): string | undefined {
  if (rec === undefined) return undefined;
  const ex = rec.get(EXISTS);
  if (ex === undefined || valueOf(h.writes, ex, EXISTS) !== true) return undefined;
  const out: Record<string, unknown> = {};
  for (const f of [...rec.keys()].sort()) if (f !== EXISTS) out[f] = valueOf(h.writes, rec.get(f)!, f);
  return JSON.stringify(out);
}

function addTo(lists: Map<string, number[]>, k: string, w: number): void {
  const list = lists.get(k);
  if (list === undefined) lists.set(k, [w]);
  else list.push(w);
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Writes per logical record and field (`$exists` included): what "superseded" ranges over. */
function writesByField(h: History): Map<string, Map<string, number[]>> {
  const by = new Map<string, Map<string, number[]>>();
  for (const w of h.writes) {
    let rec = by.get(w.key);
    if (rec === undefined) {
      rec = new Map();
      by.set(w.key, rec);
    }
    for (const f of Object.keys(w.fields)) addTo(rec, f, w.id);
    addTo(rec, EXISTS, w.id);
  }
  return by;
}

/** The writes to a field not superseded by another write to it that happens after them. */
function maximal(h: History, ws: readonly number[]): number[] {
  const out: number[] = [];
  for (const w of ws) {
    let superseded = false;
    for (const w2 of ws) {
      if (happensAfter(h.writes, w2, w)) {
        superseded = true;
        break;
      }
    }
    if (!superseded) out.push(w);
  }
  return out;
}

function describeWrite(h: History, w: number | undefined): string {
  if (w === undefined || w < 0) return 'nothing';
  const wr = h.writes[w]!;
  return `w${w} (${wr.origin} ${wr.kind} at ${wr.t}ms)`;
}

function checkConvergence(h: History, r: Replay): CheckerResult {
  if (!h.end.quiesced) return { verdict: 'unknown', violations: [] };
  const server = r.state.get('server')!;
  const violations: Violation[] = [];
  for (const [replica, store] of r.state) {
    if (replica === 'server') continue;
    // the keys whose provenance differs, in sorted order (sorting every key is the costly part)
    const differ: string[] = [];
    for (const [key, rec] of server) if (!sameCells(rec, store.get(key))) differ.push(key);
    for (const key of store.keys()) if (!server.has(key)) differ.push(key);
    differ.sort();
    for (const key of differ) {
      const a = visible(h, server.get(key));
      const b = visible(h, store.get(key));
      if (a === b) continue;
      violations.push({
        checker: 'convergence', key, at: replica, t: h.end.t, lost: [],
        message: `${replica} holds ${b ?? '(no record)'} but the server holds ${a ?? '(no record)'}`,
      });
    }
  }
  return { verdict: violations.length > 0 ? 'fail' : 'pass', violations };
}

function checkNoLostWrite(h: History, r: Replay, by: Map<string, Map<string, number[]>>): CheckerResult {
  if (!h.end.quiesced) return { verdict: 'unknown', violations: [] };
  const server = r.state.get('server')!;
  const violations: Violation[] = [];
  const seenBases = new Set<string>();
  for (const [key, rec] of server) {
    const base = r.baseOf.get(key) ?? key;
    seenBases.add(base);
    const ex = rec.get(EXISTS);
    if (ex === undefined || valueOf(h.writes, ex, EXISTS) !== true) continue; // tombstone = absence
    const fieldWrites = by.get(base);
    if (fieldWrites === undefined) continue;
    // a field no write touched has no maximal write: only the written fields can lose one
    for (const [f, ws] of fieldWrites) {
      if (f === EXISTS) continue;
      const m = maximal(h, ws);
      const kept = rec.get(f);
      if (m.length === 0 || (kept !== undefined && m.includes(kept))) continue;
      const lost = kept === undefined ? m : m.filter((x) => happensAfter(h.writes, x, kept));
      violations.push({
        checker: 'no-lost-write', key, field: f, at: 'server', t: lastSet(h, 'server', key, f),
        lost: lost.length > 0 ? lost : m, kept,
        message: `${key}.${f} converged to ${describeWrite(h, kept)}, superseded by ${(lost.length > 0 ? lost : m).map((x) => describeWrite(h, x)).join(', ')}`,
      });
    }
  }
  // by key, then field (found in map order)
  violations.sort((a, b) => byString(a.key, b.key) || byString(a.field!, b.field!));
  // a record some write created that never reached the server at all
  const unseen: string[] = [];
  for (const base of by.keys()) if (!seenBases.has(base)) unseen.push(base);
  unseen.sort();
  for (const base of unseen) {
    const m = maximal(h, by.get(base)!.get(EXISTS) ?? []).filter((w) => h.writes[w]!.kind !== 'delete');
    if (m.length === 0) continue;
    violations.push({
      checker: 'no-lost-write', key: base, field: EXISTS, at: 'server', t: h.end.t, lost: m,
      message: `${base} never reached the server: ${m.map((x) => describeWrite(h, x)).join(', ')} lost`,
    });
  }
  return { verdict: violations.length > 0 ? 'fail' : 'pass', violations };
}

function checkNoDuplicate(h: History, r: Replay): CheckerResult {
  const server = r.state.get('server')!;
  const count = new Map<string, number>();
  for (const key of server.keys()) {
    const base = r.baseOf.get(key) ?? key;
    count.set(base, (count.get(base) ?? 0) + 1);
  }
  const creates = new Map<string, number[]>();
  for (const w of h.writes) {
    if (w.kind !== 'create' || w.originKind === 'initial') continue;
    addTo(creates, w.key, w.id);
  }
  const violations: Violation[] = [];
  let missing = false;
  const wrong: string[] = [];
  for (const [key, ws] of creates) {
    const n = count.get(key) ?? 0;
    if (n === ws.length) continue;
    if (n < ws.length && !h.end.quiesced) missing = true;
    else wrong.push(key);
  }
  wrong.sort();
  for (const key of wrong) {
    const ws = creates.get(key)!;
    const n = count.get(key) ?? 0;
    const dups = [...server.keys()].filter((k) => (r.baseOf.get(k) ?? k) === key).sort();
    violations.push({
      checker: 'no-duplicate', key, at: 'server', t: h.end.t, lost: ws,
      message: `${ws.length} create(s) of ${key} yielded ${n} server record(s)${n > 1 ? `: ${dups.join(', ')}` : ''}`,
    });
  }
  return { verdict: violations.length > 0 ? 'fail' : missing ? 'unknown' : 'pass', violations };
}

function checkNoResurrection(h: History, r: Replay, by: Map<string, Map<string, number[]>>): CheckerResult {
  if (!h.end.quiesced) return { verdict: 'unknown', violations: [] };
  const violations: Violation[] = [];
  // the same for every replica holding the record: computed once per record
  const deletesOf = new Map<string, number[]>();
  for (const [replica, store] of r.state) {
    const first = violations.length;
    for (const [key, rec] of store) {
      const base = r.baseOf.get(key) ?? key;
      let deletes = deletesOf.get(base);
      if (deletes === undefined) {
        const exWrites = by.get(base)?.get(EXISTS) ?? [];
        deletes = exWrites.some((w) => h.writes[w]!.kind === 'delete') ? maximal(h, exWrites).filter((w) => h.writes[w]!.kind === 'delete') : [];
        deletesOf.set(base, deletes);
      }
      if (deletes.length === 0) continue;
      const ex = rec.get(EXISTS);
      if (ex === undefined || valueOf(h.writes, ex, EXISTS) !== true) continue;
      const beaten = deletes.filter((d) => happensAfter(h.writes, d, ex));
      if (beaten.length === 0) continue; // an edit concurrent with the delete may win
      violations.push({
        checker: 'no-resurrection', key, field: EXISTS, at: replica, t: lastSet(h, replica, key, EXISTS),
        lost: beaten, kept: ex,
        message: `${key} is alive on ${replica} by ${describeWrite(h, ex)}, which happened before ${beaten.map((d) => describeWrite(h, d)).join(', ')}`,
      });
    }
    // this replica's, by key (found in map order)
    if (violations.length - first > 1) {
      const mine = violations.splice(first).sort((a, b) => byString(a.key, b.key));
      violations.push(...mine);
    }
  }
  return { verdict: violations.length > 0 ? 'fail' : 'pass', violations };
}

function checkOutboxDrained(h: History): CheckerResult {
  const violations: Violation[] = [];
  for (const device of Object.keys(h.end.outboxes).sort()) {
    const left = h.end.outboxes[device] ?? 0;
    const dead = h.end.deadLetters[device] ?? 0;
    if (left === 0 && dead === 0) continue;
    violations.push({
      checker: 'outbox-drained', key: '', at: device, t: h.end.t, lost: [],
      message: `${device}: ${left} op(s) still in the outbox, ${dead} dead-lettered${h.end.quiesced ? '' : ' (heal budget ran out)'}`,
    });
  }
  return { verdict: violations.length > 0 ? 'fail' : 'pass', violations };
}

function checkCausality(h: History, r: Replay): CheckerResult {
  const violations: Violation[] = [];
  for (const ev of r.backwards) {
    violations.push({
      checker: 'causality', key: ev.key, field: ev.f, at: ev.at, t: ev.t, lost: [ev.from], kept: ev.to,
      message: `${ev.at} moved ${ev.key}.${ev.f} from ${describeWrite(h, ev.from)} back to ${describeWrite(h, ev.to)}, which happened before it`,
    });
  }
  return { verdict: violations.length > 0 ? 'fail' : 'pass', violations };
}

const originMatches = (want: Declaration['lostOrigin'], kind: WriteRecord['originKind']): boolean =>
  want === 'any' ? kind !== 'initial' : want === kind;

/** The declaration a violation matches: every lost write is of the declared origin and concurrent with a write of the other declared origin to the same record. */
export function matchDeclaration(h: History, v: Violation, declarations: readonly Declaration[], baseOf: (key: string) => string): Declaration | undefined {
  if (v.lost.length === 0) return undefined;
  return declarations.find((d) => {
    if (!(d.checkers as string[]).includes(v.checker)) return false;
    return v.lost.every((l) => {
      const lw = h.writes[l]!;
      if (!originMatches(d.lostOrigin, lw.originKind)) return false;
      return h.writes.some(
        (x) =>
          x.id !== l && x.key === baseOf(lw.key) && originMatches(d.concurrentWithOrigin, x.originKind) &&
          !happensAfter(h.writes, x.id, l) && !happensAfter(h.writes, l, x.id),
      );
    });
  });
}

/** Runs every checker on a history. */
export function checkHistory(h: History, declarations: readonly Declaration[] = []): CheckReport {
  const r = replay(h);
  const by = writesByField(h);
  const report: CheckReport = {
    convergence: checkConvergence(h, r),
    'no-lost-write': checkNoLostWrite(h, r, by),
    'no-duplicate': checkNoDuplicate(h, r),
    'no-resurrection': checkNoResurrection(h, r, by),
    'outbox-drained': checkOutboxDrained(h),
    causality: checkCausality(h, r),
  };
  const baseOf = (key: string): string => r.baseOf.get(key) ?? key;
  for (const name of CHECKER_NAMES) {
    const res = report[name];
    if (res.verdict !== 'fail') continue;
    let undeclared = false;
    for (const v of res.violations) {
      const d = matchDeclaration(h, v, declarations, baseOf);
      if (d === undefined) undeclared = true;
      else v.declared = d.text;
    }
    if (!undeclared) res.verdict = 'declared';
  }
  return report;
}

/** A run fails on any undeclared violation; otherwise it is unknown if a checker could not judge. */
export function runVerdict(report: CheckReport): 'pass' | 'fail' | 'unknown' {
  const verdicts = CHECKER_NAMES.map((n) => report[n].verdict);
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('unknown')) return 'unknown';
  return 'pass';
}
