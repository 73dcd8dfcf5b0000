/**
 * `hlc-lww`, the reference: every field write and the existence flag carry a hybrid logical clock
 * stamp (local physical ms, logical counter, writer id). A replica advances its clock past every
 * stamp it reads, so a write that happens after another always carries a greater stamp, whatever
 * the clocks' skew; per field the greatest stamp wins, on the server and on every device. After a
 * crash the clock is rebuilt from the stamps in the durable store.
 */
import { EXISTS, type Cell, type Rec, type ReplicaCtx } from '../model.js';
import type { Algorithm } from './types.js';

type Stamp = readonly [l: number, c: number, d: string];

interface Meta {
  /** Per field, plus `$exists`. */
  st: Readonly<Record<string, Stamp>>;
}
interface Mem {
  l: number;
  c: number;
}
interface Payload {
  cells: Record<string, Cell>;
  ex: Cell;
  st: Record<string, Stamp>;
}

const ZERO: Stamp = [0, 0, ''];

function greater(a: Stamp, b: Stamp): boolean {
  return a[0] > b[0] || (a[0] === b[0] && (a[1] > b[1] || (a[1] === b[1] && a[2] > b[2])));
}

function observe(mem: Mem, s: Stamp): void {
  if (s[0] > mem.l || (s[0] === mem.l && s[1] > mem.c)) {
    mem.l = s[0];
    mem.c = s[1];
  }
}

function observeRecord(mem: Mem, rec: Rec | undefined): void {
  if (rec === undefined) return;
  const st = (rec as Rec<Meta>).m.st;
  for (const k of Object.keys(st)) observe(mem, st[k]!);
}

function tick(ctx: ReplicaCtx): Stamp {
  const mem = ctx.mem as Mem;
  const now = ctx.now();
  if (now > mem.l) {
    mem.l = now;
    mem.c = 0;
  } else {
    mem.c += 1;
  }
  return [mem.l, mem.c, ctx.id];
}

/**
 * Per field, the cell with the greater stamp; `into` wins ties (equal stamps are the same write).
 * With `mem`, the clock observes every stamp of `from` in the same pass (a pull reads them all).
 */
export function mergeRec(into: Rec<Meta>, fromCells: Readonly<Record<string, Cell>>, fromEx: Cell, fromSt: Readonly<Record<string, Stamp>>, mem?: Mem): Rec<Meta> | undefined {
  const intoSt = into.m.st;
  let cells: Record<string, Cell> | undefined;
  let st: Record<string, Stamp> | undefined;
  let ex = into.ex;
  for (const k of Object.keys(fromSt)) {
    const s = fromSt[k]!;
    if (mem !== undefined) observe(mem, s);
    if (!greater(s, intoSt[k] ?? ZERO)) continue;
    st ??= { ...intoSt };
    st[k] = s;
    if (k === EXISTS) ex = fromEx;
    else {
      cells ??= { ...into.cells };
      const cell = fromCells[k];
      if (cell === undefined) delete cells[k];
      else cells[k] = cell;
    }
  }
  if (st === undefined) return undefined;
  return { cells: cells ?? into.cells, ex, m: { st } };
}

/**
 * What `mergeRec` gives when every stamp of `p` wins, as a local write's do: its stamp is past every
 * stamp of the record it writes (the clock observed them first). The same record, without comparing.
 */
function overwrite(prev: Rec<Meta> | undefined, p: Payload): Rec<Meta> {
  const st: Record<string, Stamp> = prev === undefined ? {} : { ...prev.m.st };
  let cells: Record<string, Cell> | undefined;
  let ex = prev === undefined ? p.ex : prev.ex;
  for (const k of Object.keys(p.st)) {
    st[k] = p.st[k]!;
    if (k === EXISTS) ex = p.ex;
    else {
      cells ??= prev === undefined ? {} : { ...prev.cells };
      const cell = p.cells[k];
      if (cell === undefined) delete cells[k];
      else cells[k] = cell;
    }
  }
  return { cells: cells ?? (prev === undefined ? {} : prev.cells), ex, m: { st } };
}

export const hlcLww: Algorithm = {
  name: 'hlc-lww',
  description: 'reference: hybrid logical clock per field and for existence; greatest (stamp, writer) wins',
  declarations: [],
  initial(cells, ex) {
    const st: Record<string, Stamp> = { [EXISTS]: ZERO };
    for (const k of Object.keys(cells)) st[k] = ZERO;
    return { cells, ex, m: { st } satisfies Meta };
  },
  newMem: (): Mem => ({ l: 0, c: 0 }),
  localWrite(ctx, prev, write) {
    // a web client's read-modify-write reads the server's record: advance past what it read
    observeRecord(ctx.mem as Mem, prev);
    const s = tick(ctx);
    const p: Payload = { cells: {}, ex: { v: write.kind !== 'delete', w: write.id }, st: { [EXISTS]: s } };
    for (const k of Object.keys(write.fields)) {
      p.cells[k] = { v: write.fields[k], w: write.id };
      p.st[k] = s;
    }
    return { rec: overwrite(prev as Rec<Meta> | undefined, p), p };
  },
  prepareOp: (_ctx, _local, op) => op.p,
  serverApply(_server, prev, op) {
    const p = op.p as Payload;
    if (prev === undefined) return { rec: { cells: p.cells, ex: p.ex, m: { st: p.st } }, status: 'applied' };
    const rec = mergeRec(prev as Rec<Meta>, p.cells, p.ex, p.st);
    return rec === undefined ? { rec: prev, status: 'ignored' } : { rec, status: 'applied' };
  },
  pullApply(ctx, local, remote) {
    const r = remote as Rec<Meta>;
    // records are immutable and shared: the same object has the same stamps, nothing can win
    if (local === undefined || local === remote) {
      observeRecord(ctx.mem as Mem, remote);
      return local === undefined ? remote : undefined;
    }
    return mergeRec(local as Rec<Meta>, r.cells, r.ex, r.m.st, ctx.mem as Mem);
  },
  onRestart(ctx, store) {
    const mem: Mem = { l: 0, c: 0 };
    for (const rec of store.values()) observeRecord(mem, rec);
    ctx.mem = mem;
  },
};
