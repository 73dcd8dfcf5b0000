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

/**
 * A cell with its stamp. Every cell of a record (and its existence cell) carries the stamp of the
 * write it came from, so a merge copies one object per record (the cells) instead of two (cells
 * and a per-field stamp table) and a record needs no metadata of its own.
 */
interface StampedCell extends Cell {
  readonly s: Stamp;
}
type Cells = Readonly<Record<string, StampedCell>>;
/** `fields` is always kept: every record is built from another's list or lists its cells once. */
interface HlcRec extends Rec<null> {
  readonly cells: Cells;
  readonly fields: readonly string[];
  readonly ex: StampedCell;
}
interface Mem {
  l: number;
  c: number;
}
interface Payload {
  cells: Record<string, StampedCell>;
  /** Object.keys(cells). */
  fields: readonly string[];
  ex: StampedCell;
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
  const r = rec as HlcRec;
  observe(mem, r.ex.s);
  const cells = r.cells;
  for (const k of r.fields) observe(mem, cells[k]!.s);
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
 * Per field and for existence, the cell with the greater stamp; `into` wins ties (equal stamps
 * are the same write). With `mem`, the clock observes every stamp of `from` in the same pass (a
 * pull reads them all). A cell keyed `$exists` (a field of that name) is not the existence flag:
 * as ever, only `ex` decides existence.
 */
export function mergeRec(into: HlcRec, fromCells: Cells, fromFields: readonly string[], fromEx: StampedCell, mem?: Mem): HlcRec | undefined {
  if (mem !== undefined) observe(mem, fromEx.s);
  let won = false;
  let ex = into.ex;
  if (greater(fromEx.s, ex.s)) {
    ex = fromEx;
    won = true;
  }
  const intoCells = into.cells;
  let cells: Record<string, StampedCell> | undefined;
  let added = false;
  for (const k of fromFields) {
    const cell = fromCells[k]!;
    if (mem !== undefined) observe(mem, cell.s);
    // no cell: ZERO; an inherited name (a field called `toString`) has no stamp and never wins, as
    // when stamps lived in a plain table of their own. The same cell object (records share the
    // cells of a write) is the same stamp: it cannot win.
    const mine = intoCells[k];
    if (mine === cell || k === EXISTS) continue;
    const ms = mine === undefined ? ZERO : mine.s;
    if (ms === undefined || !greater(cell.s, ms)) continue;
    cells ??= { ...intoCells };
    cells[k] = cell;
    if (mine === undefined) added = true; // a new field (an inherited name never gets here)
  }
  if (cells === undefined && !won) return undefined;
  if (cells === undefined) return { cells: intoCells, fields: into.fields, ex, m: null };
  return { cells, fields: added ? Object.keys(cells) : into.fields, ex, m: null };
}

/**
 * What `mergeRec` gives when every cell of `p` wins, as a local write's do: its stamp is past every
 * stamp of the record it writes (the clock observed them first). The same record, without comparing.
 */
function overwrite(prev: HlcRec | undefined, p: Payload): HlcRec {
  let cells: Record<string, StampedCell> | undefined;
  // the fields stay those of `prev` while every written one is an own field of it already
  let same = prev !== undefined;
  for (const k of p.fields) {
    if (k === EXISTS) continue;
    cells ??= prev === undefined ? {} : { ...prev.cells };
    cells[k] = p.cells[k]!;
    if (same && !Object.hasOwn(prev!.cells, k)) same = false;
  }
  if (cells === undefined) return prev === undefined ? { cells: {}, fields: [], ex: p.ex, m: null } : { cells: prev.cells, fields: prev.fields, ex: p.ex, m: null };
  return { cells, fields: same ? prev!.fields : Object.keys(cells), ex: p.ex, m: null };
}

export const hlcLww: Algorithm = {
  name: 'hlc-lww',
  description: 'reference: hybrid logical clock per field and for existence; greatest (stamp, writer) wins',
  readsPendingFields: false,
  declarations: [],
  initial(cells, ex) {
    const stamped: Record<string, StampedCell> = {};
    for (const k of Object.keys(cells)) stamped[k] = { v: cells[k]!.v, w: cells[k]!.w, s: ZERO };
    return { cells: stamped, fields: Object.keys(stamped), ex: { v: ex.v, w: ex.w, s: ZERO }, m: null } satisfies HlcRec;
  },
  newMem: (): Mem => ({ l: 0, c: 0 }),
  localWrite(ctx, prev, write) {
    // a web client's read-modify-write reads the server's record: advance past what it read
    observeRecord(ctx.mem as Mem, prev);
    const s = tick(ctx);
    const cells: Record<string, StampedCell> = {};
    for (const k of Object.keys(write.fields)) cells[k] = { v: write.fields[k], w: write.id, s };
    // listed from the cells built, not the write's fields: a `__proto__` field is no cell of them
    const p: Payload = { cells, fields: Object.keys(cells), ex: { v: write.kind !== 'delete', w: write.id, s } };
    return { rec: overwrite(prev as HlcRec | undefined, p), p };
  },
  prepareOp: (_ctx, _local, op) => op.p,
  serverApply(_server, prev, op) {
    const p = op.p as Payload;
    if (prev === undefined) return { rec: { cells: p.cells, fields: p.fields, ex: p.ex, m: null } satisfies HlcRec, status: 'applied' };
    const rec = mergeRec(prev as HlcRec, p.cells, p.fields, p.ex);
    return rec === undefined ? { rec: prev, status: 'ignored' } : { rec, status: 'applied' };
  },
  pullApply(ctx, local, remote) {
    const r = remote as HlcRec;
    // records are immutable and shared: the same object has the same stamps, nothing can win
    if (local === undefined || local === remote) {
      observeRecord(ctx.mem as Mem, remote);
      return local === undefined ? remote : undefined;
    }
    return mergeRec(local as HlcRec, r.cells, r.fields, r.ex, ctx.mem as Mem);
  },
  onRestart(ctx, store) {
    const mem: Mem = { l: 0, c: 0 };
    for (const rec of store.values()) observeRecord(mem, rec);
    ctx.mem = mem;
  },
};
