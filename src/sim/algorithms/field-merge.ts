/**
 * `field-merge` (seed 001): a device tracks which fields it changed since its last sync (the
 * fields its pending ops write) and a push sends only those, with the version the device last
 * pulled as its base. The server merges field by field; when a field was changed on the server
 * by someone else since that base, the server's value wins. A pull replaces the fields that are
 * not dirty and keeps the dirty ones until they are pushed.
 */
import { cellsAfterWrite, EXISTS, existsCell, writtenCells, type Cell, type Rec } from '../model.js';
import type { Algorithm } from './types.js';

interface Meta {
  /** Server: the record's version. Device: the version it last pulled (its base). */
  v: number;
  /** Server only: per field (and `$exists`), the version that last changed it and by whom. */
  f: Readonly<Record<string, readonly [number, string]>>;
}
interface Payload {
  cells: Record<string, Cell>;
  ex: Cell;
  base?: number;
}

export const fieldMerge: Algorithm = {
  name: 'field-merge',
  description: 'dirty fields pushed and merged field by field; on a field changed on both sides the server wins',
  readsPendingFields: true,
  declarations: [],
  initial: (cells, ex) => ({ cells, ex, m: { v: 1, f: {} } satisfies Meta }),
  newMem: () => null,
  localWrite(_ctx, prev, write) {
    const pm = (prev as Rec<Meta> | undefined)?.m;
    const rec: Rec<Meta> = {
      ...cellsAfterWrite(prev, write),
      m: { v: pm?.v ?? 0, f: pm?.f ?? {} },
    };
    const p: Payload = { cells: writtenCells(write), ex: existsCell(write) };
    return { rec, p };
  },
  prepareOp: (_ctx, local, op) => ({ ...(op.p as Payload), base: (local as Rec<Meta> | undefined)?.m.v ?? 0 }),
  serverApply(_server, prev, op) {
    const p = op.p as Payload;
    const pm = (prev as Rec<Meta> | undefined)?.m ?? { v: 0, f: {} };
    const next = pm.v + 1;
    const base = p.base ?? 0;
    const f: Record<string, readonly [number, string]> = { ...pm.f };
    const cells: Record<string, Cell> = { ...(prev?.cells ?? {}) };
    // "changed on both sides since the base": a change by another origin after the device's base
    const serverChanged = (field: string): boolean => {
      const ch = pm.f[field];
      return ch !== undefined && ch[0] > base && ch[1] !== op.origin;
    };
    let changed = false;
    for (const k of Object.keys(p.cells)) {
      if (serverChanged(k)) continue;
      cells[k] = p.cells[k]!;
      f[k] = [next, op.origin];
      changed = true;
    }
    // the existence flag merges like a field: every op writes it (create/update true, delete false)
    let ex = prev?.ex ?? p.ex;
    if (prev === undefined || !serverChanged(EXISTS)) {
      ex = p.ex;
      f[EXISTS] = [next, op.origin];
      changed = true;
    }
    if (!changed) return { rec: prev, status: 'ignored' };
    return { rec: { cells, ex, m: { v: next, f } }, status: 'applied' };
  },
  pullApply(_ctx, local, remote, pending) {
    const rm = remote as Rec<Meta>;
    if (local === undefined || pending === null) return remote;
    const cells: Record<string, Cell> = {};
    for (const k of Object.keys(remote.cells)) if (!pending.has(k)) cells[k] = remote.cells[k]!;
    for (const k of Object.keys(local.cells)) if (pending.has(k)) cells[k] = local.cells[k]!;
    return { cells, ex: pending.has(EXISTS) ? local.ex : remote.ex, m: { v: rm.m.v, f: rm.m.f } };
  },
};
