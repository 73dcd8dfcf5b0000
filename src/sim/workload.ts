/**
 * The workload: turns a scenario's explicit ops and its generator into one list of user ops in
 * time order, drawn from the run seed's `workload` stream only, so the network's draws never shift
 * what the users do. The materialised list is what the shrinker removes ops from: a scenario with
 * the generator replaced by its materialised ops replays the same run.
 */
import { Rng } from './prng.js';
import type { GeneratorSpec, OpSpec, Scenario } from './scenario.js';

const zipfCache = new Map<string, readonly number[]>();

/** Integer zipf weights for ranks 1..n (rank 1 most popular), as a prefix-sum table; memoised (pure). */
function zipfPrefix(n: number, zipfCenti: number): readonly number[] {
  const key = `${n}:${zipfCenti}`;
  const hit = zipfCache.get(key);
  if (hit !== undefined) return hit;
  const s = zipfCenti / 100;
  const prefix: number[] = [];
  let total = 0;
  for (let k = 1; k <= n; k++) {
    // Rounded to integers once, up front: every draw after this is integer-only. (V8's Math.pow is
    // a fixed software implementation, and rounding absorbs any last-bit difference anyway.)
    total += Math.max(1, Math.round(1_000_000 / Math.pow(k, s)));
    prefix.push(total);
  }
  zipfCache.set(key, prefix);
  return prefix;
}

const KINDS = ['create', 'update', 'delete'] as const;

/**
 * Every device's op times in one list ordered by (time, device order). Each device's times strictly
 * increase (gaps ≥ 1), so a merge of the per-device lists gives exactly what a stable sort of all
 * slots by (time, order) gives, without building and sorting an object per slot.
 */
function mergeSlots(devices: readonly string[], times: readonly number[][]): Array<{ at: number; device: string }> {
  const next = new Array<number>(devices.length).fill(0);
  let total = 0;
  for (const ts of times) total += ts.length;
  const out = new Array<{ at: number; device: string }>(total);
  for (let n = 0; n < total; n++) {
    let best = -1;
    let bestAt = Infinity;
    for (let d = 0; d < devices.length; d++) {
      const ts = times[d]!;
      const i = next[d]!;
      // strict <: on equal times the earlier device in order wins, as in the sort it replaces
      if (i < ts.length && ts[i]! < bestAt) {
        best = d;
        bestAt = ts[i]!;
      }
    }
    next[best]!++;
    out[n] = { at: bestAt, device: devices[best]! };
  }
  return out;
}

/**
 * `count` distinct fields drawn without replacement (each draw an index into the fields not yet
 * drawn, in list order), valued in draw order, listed sorted by name. One and two fields, the usual
 * counts, are picked without a scratch list, Map or sort: the same draws, values and key order.
 */
export function pickFields(rng: Rng, fields: readonly string[], count: number, device: string, value: (device: string) => string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (count === 1) {
    out[fields[rng.int(fields.length)]!] = value(device);
    return out;
  }
  if (count === 2) {
    const i = rng.int(fields.length);
    const j0 = rng.int(fields.length - 1);
    const a = fields[i]!;
    const b = fields[j0 >= i ? j0 + 1 : j0]!;
    const va = value(device);
    const vb = value(device);
    if (a < b) {
      out[a] = va;
      out[b] = vb;
    } else if (a > b) {
      out[b] = vb;
      out[a] = va;
    } else {
      out[a] = vb; // a field listed twice: one key, the later value (as the Map kept it)
    }
    return out;
  }
  const names = fields.slice();
  const picked = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const name = names.splice(rng.int(names.length), 1)[0]!;
    picked.set(name, value(device));
  }
  for (const k of [...picked.keys()].sort()) out[k] = picked.get(k);
  return out;
}

function generate(scenario: Scenario, g: GeneratorSpec, seed: bigint): OpSpec[] {
  const rng = new Rng(seed, 'workload');
  const devices = g.devices ?? scenario.devices.map((d) => d.id);
  // 1. each device's op times: gaps uniform in [1, 2·mean − 1], so their mean is meanGapMs
  const times: number[][] = devices.map(() => {
    const ts = new Array<number>(g.opsPerDevice);
    const maxGap = Math.max(1, 2 * g.meanGapMs - 1);
    let t = 0;
    for (let i = 0; i < g.opsPerDevice; i++) {
      t += rng.between(1, maxGap);
      ts[i] = t;
    }
    return ts;
  });
  const slots = mergeSlots(devices, times);
  // 2. walk in time order: the key pool is the initial records plus those created so far
  const pool: Array<{ collection: string; id: string }> = [];
  for (const col of scenario.collections) for (const r of scenario.initial[col] ?? []) pool.push({ collection: col, id: r.id });
  const prefix = zipfPrefix(Math.max(g.records, pool.length), g.zipfCenti);
  const mixPrefix = [g.mix.create, g.mix.create + g.mix.update, g.mix.create + g.mix.update + g.mix.delete];
  const created = new Map<string, number>();
  const ops: OpSpec[] = [];
  let valueSeq = 0;
  const value = (device: string): string => `${device}#${++valueSeq}`;
  for (const slot of slots) {
    let kind = KINDS[rng.weighted(mixPrefix)]!;
    if (pool.length === 0) kind = 'create';
    if (kind === 'create' && pool.length >= g.records) kind = 'update';
    if (kind === 'create') {
      const n = (created.get(slot.device) ?? 0) + 1;
      created.set(slot.device, n);
      const collection = scenario.collections[rng.int(scenario.collections.length)]!;
      const id = `${slot.device}-${n}`;
      pool.push({ collection, id });
      const fields: Record<string, unknown> = {};
      for (const f of g.fields) fields[f] = value(slot.device);
      ops.push({ at: slot.at, device: slot.device, op: 'create', collection, id, fields });
      continue;
    }
    const target = pool[rng.weighted(prefix, pool.length)]!;
    if (kind === 'delete') {
      ops.push({ at: slot.at, device: slot.device, op: 'delete', collection: target.collection, id: target.id, fields: {} });
      continue;
    }
    const count = rng.between(g.fieldsPerUpdate.min, g.fieldsPerUpdate.max);
    ops.push({ at: slot.at, device: slot.device, op: 'update', collection: target.collection, id: target.id, fields: pickFields(rng, g.fields, count, slot.device, value) });
  }
  return ops;
}

/** True when `ops` is already sorted by (time, scenario device order); list order breaks ties. */
function inOrder(ops: readonly OpSpec[], order: ReadonlyMap<string, number>): boolean {
  for (let i = 1; i < ops.length; i++) {
    const a = ops[i - 1]!;
    const b = ops[i]!;
    if (a.at < b.at) continue;
    if (a.at > b.at || (order.get(a.device) ?? 0) > (order.get(b.device) ?? 0)) return false;
  }
  return true;
}

/** Explicit ops plus generated ones, ordered by time, then scenario device order, then list order. */
export function materializeOps(scenario: Scenario, seed: bigint): OpSpec[] {
  const generated = scenario.workload.generator === null ? [] : generate(scenario, scenario.workload.generator, seed);
  const order = new Map(scenario.devices.map((d, i) => [d.id, i]));
  // The generator emits its ops already in this order whenever there are no explicit ops and its
  // devices follow scenario order (the usual case): check in one pass instead of sorting a copy.
  if (scenario.workload.ops.length === 0 && inOrder(generated, order)) return generated;
  const all = [...scenario.workload.ops, ...generated].map((op, i) => ({ op, i, d: order.get(op.device) ?? 0 }));
  all.sort((a, b) => a.op.at - b.op.at || a.d - b.d || a.i - b.i);
  return all.map((x) => x.op);
}

/** The same scenario with its workload fixed to `ops` (no generator): replays identically. */
export function withOps(scenario: Scenario, ops: OpSpec[], faults = scenario.faults): Scenario {
  return { ...scenario, workload: { ops, generator: null }, faults };
}
