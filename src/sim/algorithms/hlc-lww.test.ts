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
          const pl = p as { cells: Merge[1]; fields: Merge[2]; ex: Merge[3] };
          const base = (prev as Merge[0] | undefined) ?? { cells: {}, fields: [], ex: { v: false, w: -1, s: [Number.MIN_SAFE_INTEGER, 0, ''] }, m: null };
          const want = mergeRec(base, pl.cells, pl.fields, pl.ex) ?? base;
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          // every record lists its cells' names as Object.keys does (the engine's diff walks the list)
          expect(pl.fields).toEqual(Object.keys(pl.cells));
          expect(got.fields).toEqual(Object.keys(got.cells));
          // and the record travels on: another replica's pull merges it into what it has
          rec = rec === undefined ? got : (hlcLww.pullApply(ctxs[(w.replica + 1) % 3]!, rec, got, null) ?? rec);
          expect(rec.fields).toEqual(Object.keys(rec.cells));
        });
      }),
    );
  });

  // the field lists the records carry are Object.keys of their cells, whatever the names (an
  // inherited name, `__proto__`, an array index) and however the record was made
  it('lists every record\'s fields as Object.keys does', () => {
    const field = fc.constantFrom('title', 'body', '1', '0', '$exists', 'toString', '__proto__');
    const write = fc.record({
      replica: fc.integer({ min: 0, max: 2 }),
      clock: fc.integer({ min: -50, max: 50 }),
      kind: fc.constantFrom('create' as const, 'update' as const, 'delete' as const),
      fields: fc.array(fc.tuple(field, fc.string({ maxLength: 3 })), { maxLength: 4 }),
      fresh: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(write, { minLength: 1, maxLength: 12 }), (writes) => {
        let t = 0;
        const ctxs: ReplicaCtx[] = ['a', 'b', 'c'].map((id) => ({ id, now: () => t, mem: hlcLww.newMem() }));
        const server: ReplicaCtx = { id: 'server', now: () => t, mem: hlcLww.newMem() };
        let rec: Rec | undefined;
        let onServer: Rec | undefined;
        writes.forEach((w, id) => {
          t = w.clock;
          const ctx = ctxs[w.replica]!;
          // own properties as JSON.parse makes them (`__proto__` included)
          const fields = JSON.parse(`{${w.fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`) as Record<string, unknown>;
          const { rec: got, p } = hlcLww.localWrite(ctx, w.fresh ? undefined : rec, { id, origin: ctx.id, kind: w.kind, key: 'k', fields });
          expect(got.fields).toEqual(Object.keys(got.cells));
          const sent = { key: 'k', keyId: 0, kind: w.kind, write: id, idempotencyKey: id, origin: ctx.id, p };
          onServer = hlcLww.serverApply(server, onServer, sent).rec ?? onServer;
          expect(onServer!.fields).toEqual(Object.keys(onServer!.cells));
          rec = rec === undefined ? got : (hlcLww.pullApply(ctxs[(w.replica + 1) % 3]!, rec, got, null) ?? rec);
          expect(rec.fields).toEqual(Object.keys(rec.cells));
          const pulled = hlcLww.pullApply(ctx, got, onServer!, null) ?? got;
          expect(pulled.fields).toEqual(Object.keys(pulled.cells));
        });
      }),
    );
  });
});
