import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rec, ReplicaCtx, WriteInput } from '../model.js';
import { hlcLww, mergeRec } from './hlc-lww.js';

type Merge = Parameters<typeof mergeRec>;

describe('hlc-lww', () => {
  // localWrite builds its record without comparing stamps (every stamp of a local write wins);
  // the general merge must give the very same record, key order included
  it('a local write gives what the stamp-comparing merge gives', () => {
    const field = fc.constantFrom('title', 'body', 'status', '1', 'x', '$exists');
    const write = fc.record({
      replica: fc.integer({ min: 0, max: 2 }),
      clock: fc.integer({ min: -50, max: 50 }),
      kind: fc.constantFrom('create' as const, 'update' as const, 'delete' as const),
      fields: fc.dictionary(field, fc.string({ maxLength: 3 }), { maxKeys: 4 }),
      fresh: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(write, { minLength: 1, maxLength: 12 }), (writes) => {
        let t = 0;
        const ctxs: ReplicaCtx[] = ['a', 'b', 'c'].map((id) => ({ id, now: () => t, mem: hlcLww.newMem() }));
        let rec: Rec | undefined;
        writes.forEach((w, id) => {
          t = w.clock;
          const ctx = ctxs[w.replica]!;
          const prev = w.fresh ? undefined : rec;
          const input: WriteInput = { id, origin: ctx.id, kind: w.kind, key: 'k', fields: w.fields };
          const { rec: got, p } = hlcLww.localWrite(ctx, prev, input);
          const pl = p as { cells: Merge[1]; ex: Merge[2] };
          const base = (prev as Merge[0] | undefined) ?? { cells: {}, ex: { v: false, w: -1, s: [Number.MIN_SAFE_INTEGER, 0, ''] }, m: null };
          const want = mergeRec(base, pl.cells, pl.ex) ?? base;
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          // and the record travels on: another replica's pull merges it into what it has
          rec = rec === undefined ? got : (hlcLww.pullApply(ctxs[(w.replica + 1) % 3]!, rec, got, null) ?? rec);
        });
      }),
    );
  });
});
