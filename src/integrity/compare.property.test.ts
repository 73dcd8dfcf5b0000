import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../test-support/cli.js';
import type { LogicalRecord } from './canonical.js';
import { compareSources, type CompareReport } from './compare.js';
import { workerScript } from './scan-pool.js';
import { streamingSource, type RecordSource } from './source.js';
import { sqliteTableSource } from './sources/sqlite-tables.js';
import type { TableSpec } from './table-scan.js';

type Edit = { kind: 'differs'; index: number; field: string; value: unknown } | { kind: 'only-in-a'; index: number } | { kind: 'only-in-b'; id: string };

const value = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constant(null),
);
const FIELDS = ['title', 'rating', 'tags', 'done', 'score'];
const record = fc.record({ title: value, rating: value, tags: value, done: value, score: value });

function memorySource(collections: Record<string, LogicalRecord[]>): RecordSource {
  return streamingSource(
    { kind: 'sqlite', label: 'memory', side: 'device', typedNumbers: false, mapping: 'test' },
    async () => Object.keys(collections).sort(),
    async function* (c) {
      yield* collections[c] ?? [];
    },
  );
}

/** Applies edits to a copy of `base`; returns the copy and the differences the edits must produce. */
function applyEdits(base: LogicalRecord[], edits: Edit[]): { edited: LogicalRecord[]; expected: string[] } {
  const byIndex = new Map<number, Edit>();
  const added: LogicalRecord[] = [];
  for (const e of edits) {
    if (e.kind === 'only-in-b') added.push({ id: e.id, fields: { title: 'new' } });
    else if (!byIndex.has(e.index % base.length)) byIndex.set(e.index % base.length, e);
  }
  const edited: LogicalRecord[] = [];
  const expected: string[] = [];
  base.forEach((r, i) => {
    const e = byIndex.get(i);
    if (e?.kind === 'only-in-a') {
      expected.push(`${r.id}:only-in-a`);
      return;
    }
    if (e?.kind === 'differs') {
      const next = { ...r.fields, [e.field]: e.value };
      // an edit to an equal value (or null↔absent, 4 vs 4.0) is no edit at all
      const changed = JSON.stringify(canon(next[e.field])) !== JSON.stringify(canon(r.fields[e.field]));
      if (changed) expected.push(`${r.id}:differs:${e.field}`);
      edited.push({ id: r.id, fields: next });
      return;
    }
    edited.push(r);
  });
  for (const r of added) expected.push(`${r.id}:only-in-b`);
  return { edited: [...edited, ...added], expected: expected.sort() };
}

/** `id:kind` (and the differing fields), sorted: what the edits promise. */
function describe_(report: CompareReport): string[] {
  return report.differences
    .map((d) => (d.kind === 'differs' ? `${d.id}:differs:${d.fields!.map((f) => f.field).join(',')}` : `${d.id}:${d.kind}`))
    .sort();
}

const canon = (v: unknown): unknown => (v === undefined ? null : Object.is(v, -0) ? 0 : v);

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('differs' as const), index: fc.nat(), field: fc.constantFrom(...FIELDS), value }),
  fc.record({ kind: fc.constant('only-in-a' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('only-in-b' as const), id: fc.uuid() }),
);

describe('compare (property): reported differences are exactly the edits', () => {
  it('random collections, random edits (in-memory sources)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 60 }), fc.array(record, { minLength: 60, maxLength: 60 }), fc.array(edit, { maxLength: 8 }), async (ids, bodies, edits) => {
        const base = ids.map((id, i) => ({ id, fields: bodies[i]! }));
        const { edited, expected } = applyEdits(base, edits.filter((e) => e.kind !== 'only-in-b' || !ids.includes(e.id)));
        const report = await compareSources(memorySource({ things: base }), memorySource({ things: edited }), { workers: 1 });
        expect(describe_(report)).toEqual(expected);
        expect(report.verdict).toBe(expected.length === 0 ? 'match' : 'mismatch');
      }),
      { numRuns: 150 },
    );
  });

  it('random SQLite tables, random edits, scanned by worker threads over rowid ranges', async () => {
    const dir = scratchDir();
    let n = 0;
    const spec: TableSpec = {
      collection: 'items',
      table: 'items',
      idSql: '"id"',
      columns: [
        { sql: '"title"', field: 'title', kind: 'text' },
        { sql: '"rating"', field: 'rating', kind: 'integer' },
      ],
      hasRowid: true,
    };
    const open = (rows: Array<[string, string, number]>): string => {
      const path = join(dir, `t${n++}.db`);
      const db = new Database(path);
      db.exec('CREATE TABLE items (id TEXT PRIMARY KEY, title TEXT, rating INTEGER)');
      const ins = db.prepare('INSERT INTO items VALUES (?, ?, ?)');
      db.transaction(() => rows.forEach((r) => ins.run(...r)))();
      db.close();
      return path;
    };
    const info = { kind: 'sqlite' as const, label: 't', side: 'device' as const, typedNumbers: false, mapping: 'test' };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2_000, max: 3_000 }),
        fc.uniqueArray(fc.nat({ max: 1_999 }), { maxLength: 5 }),
        fc.uniqueArray(fc.nat({ max: 1_999 }), { maxLength: 5 }),
        async (size, flips, drops) => {
          const rows = Array.from({ length: size }, (_, i) => [`id-${i}`, `title ${i}`, i % 5] as [string, string, number]);
          const dropSet = new Set(drops.filter((d) => !flips.includes(d)));
          const edited = rows
            .filter((_, i) => !dropSet.has(i))
            .map((r) => (flips.includes(Number(r[0].slice(3))) ? ([r[0], 'flipped', r[2]] as [string, string, number]) : r));
          edited.push(['id-new', 'added', 1]);
          // split from 100 rowids, so these small tables are scanned as several ranges
          const a = sqliteTableSource({ info, dbPath: open(rows), specs: [spec], splitMinRows: 100 });
          const b = sqliteTableSource({ info, dbPath: open(edited), specs: [spec], splitMinRows: 100 });
          try {
            expect(workerScript(), 'build first: the worker script runs from dist/').toBeDefined();
            const report = await compareSources(a, b, { workers: 2 });
            const expected = [
              ...flips.filter((f) => !dropSet.has(f)).map((f) => `id-${f}:differs:title`),
              ...[...dropSet].map((d) => `id-${d}:only-in-a`),
              'id-new:only-in-b',
            ].sort();
            expect(describe_(report)).toEqual(expected);
          } finally {
            await a.close();
            await b.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});
