/**
 * `vector-clock` (seed 004): every record carries a vector clock (origin → counter) that a write
 * increments for its origin. The server applies a write whose clock dominates the stored one,
 * ignores one the stored clock dominates, and for concurrent clocks counts a conflict and resolves
 * it deterministically: the greater writer id wins the whole record, clocks merged. Devices merge
 * pulls the same way (without counting).
 */
import { cellsAfterWrite, type Rec } from '../model.js';
import type { Algorithm } from './types.js';

interface Meta {
  vc: Readonly<Record<string, number>>;
  /** The writer of this version (tie-break for concurrent clocks). */
  d: string;
}

type Order = 'gt' | 'lt' | 'eq' | 'concurrent';

function compare(a: Meta['vc'], b: Meta['vc']): Order {
  let gt = false;
  let lt = false;
  for (const k of Object.keys(a)) {
    const x = a[k] ?? 0;
    const y = b[k] ?? 0;
    if (x > y) gt = true;
    else if (x < y) lt = true;
  }
  for (const k of Object.keys(b)) if (!(k in a) && (b[k] ?? 0) > 0) lt = true;
  return gt && lt ? 'concurrent' : gt ? 'gt' : lt ? 'lt' : 'eq';
}

function merge(a: Meta['vc'], b: Meta['vc']): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const k of Object.keys(b)) out[k] = Math.max(out[k] ?? 0, b[k] ?? 0);
  return out;
}

function resolve(a: Rec<Meta>, b: Rec<Meta>): Rec<Meta> {
  const winner = a.m.d > b.m.d ? a : b;
  return { cells: winner.cells, ex: winner.ex, m: { vc: merge(a.m.vc, b.m.vc), d: winner.m.d } };
}

export const vectorClock: Algorithm = {
  name: 'vector-clock',
  description: 'per-record vector clocks; dominated writes ignored, concurrent ones counted as conflicts (greater writer id wins)',
  readsPendingFields: false,
  declarations: [],
  initial: (cells, ex) => ({ cells, ex, m: { vc: {}, d: '' } satisfies Meta }),
  newMem: () => null,
  localWrite(ctx, prev, write) {
    const vc = (prev as Rec<Meta> | undefined)?.m.vc ?? {};
    const rec: Rec<Meta> = {
      ...cellsAfterWrite(prev, write),
      m: { vc: { ...vc, [ctx.id]: (vc[ctx.id] ?? 0) + 1 }, d: ctx.id },
    };
    return { rec, p: rec };
  },
  prepareOp: (_ctx, _local, op) => op.p,
  serverApply(_server, prev, op) {
    const incoming = op.p as Rec<Meta>;
    if (prev === undefined) return { rec: incoming, status: 'applied' };
    const order = compare(incoming.m.vc, (prev as Rec<Meta>).m.vc);
    if (order === 'gt') return { rec: incoming, status: 'applied' };
    if (order !== 'concurrent') return { rec: prev, status: 'ignored' };
    return { rec: resolve(incoming, prev as Rec<Meta>), status: 'applied', conflict: true };
  },
  pullApply(_ctx, local, remote) {
    if (local === undefined) return remote;
    const order = compare((remote as Rec<Meta>).m.vc, (local as Rec<Meta>).m.vc);
    if (order === 'gt') return remote;
    if (order !== 'concurrent') return undefined;
    return resolve(remote as Rec<Meta>, local as Rec<Meta>);
  },
};
