/**
 * `mobile-wins` (seed 003): a push overwrites the server's record whole with the device's copy as
 * of the write; a pull skips every record that has pending local ops (and the cursor moves past
 * it anyway, as the seed does). Declared: a web write concurrent with a pending device write is lost.
 */
import { cellsAfterWrite, type Rec } from '../model.js';
import type { Algorithm } from './types.js';

interface Meta {
  v: number;
}

export const mobileWins: Algorithm = {
  name: 'mobile-wins',
  description: 'pushes overwrite server records whole; pulls skip records with pending local ops',
  readsPendingFields: true,
  declarations: [
    {
      checkers: ['no-lost-write', 'causality'],
      lostOrigin: 'web',
      concurrentWithOrigin: 'device',
      text: 'a web write concurrent with a pending device write is lost',
    },
  ],
  initial: (cells, ex) => ({ cells, ex, m: { v: 1 } satisfies Meta }),
  newMem: () => null,
  localWrite(_ctx, prev, write) {
    const rec: Rec<Meta> = {
      ...cellsAfterWrite(prev, write),
      m: { v: (prev as Rec<Meta> | undefined)?.m.v ?? 0 },
    };
    return { rec, p: rec };
  },
  prepareOp: (_ctx, _local, op) => op.p,
  serverApply(_server, prev, op) {
    const whole = op.p as Rec<Meta>;
    return { rec: { cells: whole.cells, ex: whole.ex, m: { v: ((prev as Rec<Meta> | undefined)?.m.v ?? 0) + 1 } }, status: 'applied' };
  },
  pullApply: (_ctx, _local, remote, pending) => (pending === null ? remote : undefined),
};
