/**
 * `server-wins` (seed 002's default `remote-wins`): a push applies only when the device's base
 * version is the server's current version; otherwise the server copy stays and the device's change
 * is dropped. A pull always replaces the local copy, pending edits included. Declared: device edits
 * concurrent with another write to the record are lost.
 */
import { cellsAfterWrite, existsCell, writtenCells, type Cell, type Rec } from '../model.js';
import type { Algorithm } from './types.js';

interface Meta {
  v: number;
}
interface Payload {
  cells: Record<string, Cell>;
  ex: Cell;
  base?: number;
}

export const serverWins: Algorithm = {
  name: 'server-wins',
  description: 'a push applies only on the current server version, else the device change is dropped; pulls replace local copies',
  readsPendingFields: false,
  declarations: [
    {
      checkers: ['no-lost-write', 'causality'],
      lostOrigin: 'device',
      concurrentWithOrigin: 'any',
      text: 'a device edit concurrent with another write to the same record is lost',
    },
  ],
  initial: (cells, ex) => ({ cells, ex, m: { v: 1 } satisfies Meta }),
  newMem: () => null,
  localWrite(_ctx, prev, write) {
    const rec: Rec<Meta> = {
      ...cellsAfterWrite(prev, write),
      m: { v: write.kind === 'create' ? 0 : ((prev as Rec<Meta> | undefined)?.m.v ?? 0) },
    };
    const p: Payload = { cells: writtenCells(write), ex: existsCell(write) };
    return { rec, p };
  },
  // The base is read at push time from the local copy; ops queued behind one another for the same
  // record expect each earlier one to bump the version by one.
  prepareOp: (_ctx, local, op, earlier) => ({ ...(op.p as Payload), base: ((local as Rec<Meta> | undefined)?.m.v ?? 0) + earlier }),
  serverApply(_server, prev, op) {
    const p = op.p as Payload;
    const current = (prev as Rec<Meta> | undefined)?.m.v ?? 0;
    if (p.base !== current) return { rec: prev, status: 'conflict' };
    const rec: Rec<Meta> = { cells: { ...(prev?.cells ?? {}), ...p.cells }, ex: p.ex, m: { v: current + 1 } };
    return { rec, status: 'applied' };
  },
  pullApply: (_ctx, _local, remote) => remote,
  onAck(_ctx, local, _op, status, server) {
    if (status !== 'applied' || local === undefined || server === undefined) return undefined;
    return { cells: local.cells, ex: local.ex, m: { v: (server as Rec<Meta>).m.v } satisfies Meta };
  },
};
