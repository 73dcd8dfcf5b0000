/**
 * `lww-wallclock` (seeds 000, 002): every write stamps the whole record with the writing device's
 * local clock; the server and the devices keep the version with the greatest stamp (ties: the
 * greater device id). The flaw is kept: a device whose clock is behind loses a write that happened
 * after the one it overwrites, and whole-record copies bring back fields others changed.
 */
import { cellsAfterWrite, type Rec } from '../model.js';
import type { Algorithm } from './types.js';

interface Meta {
  s: number;
  d: string;
}

function newer(a: Meta, b: Meta): boolean {
  return a.s > b.s || (a.s === b.s && a.d > b.d);
}

export const lwwWallclock: Algorithm = {
  name: 'lww-wallclock',
  description: 'whole-record last-write-wins on device wall clocks (ties: greater device id)',
  readsPendingFields: false,
  declarations: [],
  initial: (cells, ex) => ({ cells, ex, m: { s: 0, d: '' } satisfies Meta }),
  newMem: () => null,
  localWrite(ctx, prev, write) {
    const rec: Rec<Meta> = {
      ...cellsAfterWrite(prev, write),
      m: { s: ctx.now(), d: ctx.id },
    };
    return { rec, p: rec };
  },
  prepareOp: (_ctx, _local, op) => op.p,
  serverApply(_server, prev, op) {
    const incoming = op.p as Rec<Meta>;
    if (prev === undefined || newer(incoming.m, (prev as Rec<Meta>).m)) return { rec: incoming, status: 'applied' };
    return { rec: prev, status: 'ignored' };
  },
  pullApply(_ctx, local, remote) {
    if (local === undefined || newer((remote as Rec<Meta>).m, (local as Rec<Meta>).m)) return remote;
    return undefined;
  },
};
