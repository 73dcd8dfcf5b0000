// The SQL-written canonical text path must give exactly the row encoder's digest (the record hash
// is compared across store kinds): random tables of awkward values, whole and in rowid ranges, in
// windows small enough that clean and fallen-back windows mix.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparisonContext } from './compare.js';
import { DigestAccumulator } from './digest.js';
import { createRecordHasher } from './record-hash.js';
import { hex64 } from './record-hash.js';
import { compileRowEncoder } from './row-encoder.js';
import { compileSqlCanonical, hasBeyondU2ff, sqlDigest, sqlRecordHashes } from './sql-canonical.js';
import { NO_HASH, runScan, selectSql, useSqlDigests, type ScanTask, type TableSpec } from './table-scan.js';

/** A stored value: how it is bound (REAL forced with CAST; `text`: bytes cast to TEXT, maybe not UTF-8) and the value. */
type Stored = { real: boolean; text?: boolean; v: unknown };

const NASTY_TEXT = [
  'plain', 'café', 'cafe\u0301', '한국', '\u1100\u1161', '😀', 'a"b', 'back\\slash', 'nul\u0000x', 'tab\tx', 'nl\nx', '\u007f',
  'x:null', '1.5', ':1.5', '[1.5]', '{', '2024-05-01T10:00:00Z', '2024-05-01', '', ' ', '\u2028', 'e\u0301\u0323',
];
const nasty = fc.constantFrom(...NASTY_TEXT);
const JSON_TEXT = [
  '[]', '["a","b"]', '["café"]', '["cafe\u0301"]', '[1.5]', '[1]', '[1E2]', '[-0]', '[12345678901234567]', '{"b":1,"a":2}',
  'null', ' [ "x" , "y" ] ', '"s"', 'true', '[1,]', '{a:1}', '[null,"n"]', '["a\\u0041"]', '[[["deep"]]]', '["x",{"k":[]}]', '5', '{"b":"x","a":"y"}', '["o",{"a":null}]',
];
const jsonText = fc.constantFrom(...JSON_TEXT);
const INTS: unknown[] = [0, 1, -1, 1_700_000_000, 1_700_000_000_000, 99_999_999_999, 100_000_000_000, -100_000_000_000, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, 2n ** 62n, -(2n ** 63n), 12345678901234567n];
const REALS = [4, 0.1, -0, 1.5, 1e300, 5e-324, 1e21, 1_700_000_000.5, 1.7e12, Infinity, -Infinity];
// bytes stored as TEXT: not UTF-8, cut short, a NUL inside
const RAW_TEXT = [Buffer.from([0x66, 0xff]), Buffer.from([0x63, 0xcc]), Buffer.from('a\0b')];
const BLOBS = [Buffer.from('[]'), Buffer.from([0, 255]), Buffer.from('null')];
const text = fc.oneof(nasty, fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
const num = fc.oneof(
  fc.integer().map((v) => ({ real: false, v })),
  fc.constantFrom(...INTS).map((v) => ({ real: false, v })),
  fc.constantFrom(...REALS).map((v) => ({ real: true, v })),
  fc.double({ noNaN: true }).map((v) => ({ real: true, v })),
);
const stored: fc.Arbitrary<Stored> = fc.oneof(
  { weight: 3, arbitrary: text.map((v) => ({ real: false, v })) },
  { weight: 3, arbitrary: num },
  { weight: 2, arbitrary: jsonText.map((v) => ({ real: false, v })) },
  { weight: 1, arbitrary: fc.constant({ real: false, v: null }) },
  { weight: 1, arbitrary: fc.constantFrom(...BLOBS).map((v) => ({ real: false, v })) },
);
// mostly clean rows, so that many windows take the SQL path and the rest fall back
const clean: fc.Arbitrary<Stored> = fc.oneof(
  fc.constantFrom('walk', 'café', 'good day', '').map((v) => ({ real: false, v })),
  fc.integer({ min: -1000, max: 1000 }).map((v) => ({ real: false, v })),
  fc.constant({ real: false, v: null }),
);
const COLS = ['t', 'n', 'r', 'a', 'j', 'created_at', 'x'] as const;
const row = (cell: fc.Arbitrary<Stored>) => fc.tuple(...COLS.map(() => cell));
// mostly clean cells with an awkward one here and there, so each check is met alone in a window
const cells = row(fc.oneof({ weight: 8, arbitrary: clean }, { weight: 1, arbitrary: stored }));
const ids = fc.oneof({ weight: 1, arbitrary: fc.oneof(fc.string(), nasty) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 50 }).map((i) => `r${i}`) });
const table = fc.array(fc.record({ id: ids, cells }), { maxLength: 60 });

const SPEC: TableSpec = {
  collection: 't',
  table: 't',
  idSql: '"id"',
  columns: [
    { sql: '"t"', field: 't', kind: 'text' },
    { sql: '"n"', field: 'n', kind: 'integer' },
    { sql: '"r"', field: 'r', kind: 'real' },
    { sql: '"a"', field: 'a', kind: 'any' },
    { sql: '"j"', field: 'j', kind: 'json' },
    { sql: '"created_at"', field: 'createdAt', kind: 'integer' },
    // a text field with no TEXT affinity (and one written as an expression): the typed SQL path
    { sql: '("x")', field: 'x', kind: 'text' },
  ],
  hasRowid: true,
};

function build(data: Array<{ id: string; cells: Stored[] }>): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id TEXT, t TEXT, n INTEGER, r REAL, a, j TEXT, created_at INTEGER, x)');
  db.defaultSafeIntegers(true);
  for (const [i, { id, cells }] of data.entries()) {
    const marks = cells.map((c) => (c.real ? 'CAST(? AS REAL)' : c.text ? 'CAST(? AS TEXT)' : '?')).join(', ');
    // sparse rowids, so windows and ranges do not line up with row numbers
    db.prepare(`INSERT INTO t (rowid, id, ${COLS.join(', ')}) VALUES (?, ?, ${marks})`).run(i * 3 - 20, id, ...cells.map((c) => c.v));
  }
  return db;
}

describe('SQL-written canonical text', () => {
  it('gives the row encoder digest on random tables of awkward values', async () => {
    const hasher = await createRecordHasher();
    const { rules } = comparisonContext({}, false);
    const rowSelect = selectSql(SPEC, rules, null);
    await fc.assert(
      fc.asyncProperty(table, fc.integer({ min: 1, max: 7 }), async (data, windowRows) => {
        const db = build(data);
        try {
          useSqlDigests(false);
          const slow = runScan(db, { mode: 'digest', dbPath: '', spec: SPEC, range: null }, hasher, rules);
          useSqlDigests(true);
          const fast = runScan(db, { mode: 'digest', dbPath: '', spec: SPEC, range: null }, hasher, rules);
          const windowed = sqlDigest(db, SPEC, rules, null, hasher, rowSelect, windowRows);
          const expected = slow.mode === 'digest' && new DigestAccumulator(slow.counts, slow.sums).toDigest();
          expect(fast.mode === 'digest' && new DigestAccumulator(fast.counts, fast.sums).toDigest()).toEqual(expected);
          expect(windowed?.toDigest()).toEqual(expected);
          // two rowid ranges add up to the whole
          const parts = new DigestAccumulator();
          for (const range of [[-20, 15], [16, 200]] as const) parts.merge(sqlDigest(db, SPEC, rules, range, hasher, rowSelect, windowRows)!);
          expect(parts.toDigest()).toEqual(expected);
        } finally {
          useSqlDigests(true);
          db.close();
        }
      }),
      { numRuns: 200 },
    );
  }, 120_000);

  it('gives the row encoder digest with each awkward value alone in each column', async () => {
    const hasher = await createRecordHasher();
    const { rules } = comparisonContext({}, false);
    const rowSelect = selectSql(SPEC, rules, null);
    const values: Stored[] = [
      ...[...NASTY_TEXT, ...JSON_TEXT, ...INTS, ...BLOBS, null].map((v) => ({ real: false, v })),
      ...REALS.map((v) => ({ real: true, v })),
      ...RAW_TEXT.map((v) => ({ real: false, text: true, v })),
    ];
    // a clean row SQL writes itself (a number in the REAL column would be stored as 3.0 and fall back)
    const plain = (i: number): { id: string; cells: Stored[] } => ({ id: `r${i}`, cells: ['walk', 3, null, 'café', '["a"]', 1_700_000_000_000, 'x'].map((v) => ({ real: false, v })) });
    for (const value of values) {
      for (let c = 0; c <= COLS.length; c++) {
        const odd = plain(1);
        if (c === COLS.length) odd.id = String(value.v); // the id itself (as text)
        else odd.cells[c] = value;
        const db = build([plain(0), odd, plain(2), plain(3)]);
        useSqlDigests(false);
        const slow = runScan(db, { mode: 'digest', dbPath: '', spec: SPEC, range: null }, hasher, rules);
        useSqlDigests(true);
        const expected = slow.mode === 'digest' && new DigestAccumulator(slow.counts, slow.sums).toDigest();
        for (const windowRows of [1, 2048]) expect(sqlDigest(db, SPEC, rules, null, hasher, rowSelect, windowRows)?.toDigest(), `${JSON.stringify(String(value.v))} in column ${c}`).toEqual(expected);
        db.close();
      }
    }
  });

  it('gives each row its row encoder hash and bucket, at its rowid (row-hashes)', async () => {
    const hasher = await createRecordHasher();
    const { rules } = comparisonContext({}, false);
    const { sql, kept } = selectSql(SPEC, rules, null);
    const encode = compileRowEncoder(kept, rules);
    const task = (range: readonly [number, number]): ScanTask => ({
      mode: 'row-hashes',
      dbPath: '',
      table: 't',
      idSql: SPEC.idSql,
      columns: SPEC.columns.map((c) => c.sql),
      specs: SPEC.columns.map((c) => ({ field: c.field, kind: c.kind })),
      range,
    });
    await fc.assert(
      fc.asyncProperty(table, fc.integer({ min: 1, max: 7 }), async (data, windowRows) => {
        const db = build(data);
        try {
          // the oracle: every row through the row encoder, its hash written at its rowid
          const range = [-20, 200] as const;
          const want = Buffer.alloc((range[1] - range[0] + 1) * 16, NO_HASH);
          const wantBuckets = new Uint8Array(range[1] - range[0] + 1);
          let rows = 0;
          const acc = new DigestAccumulator();
          for (const row of db.prepare(sql.replace(' FROM', ', rowid FROM')).raw(true).safeIntegers(false).iterate() as IterableIterator<unknown[]>) {
            const rowid = row[row.length - 1] as number;
            const h = hasher.hash(encode(row));
            acc.add(hasher.bucketOf(String(row[0])), h);
            want.write(hex64(h), (rowid - range[0]) * 16, 'latin1');
            wantBuckets[rowid - range[0]] = hasher.bucketOf(String(row[0]));
            rows++;
          }
          for (const sqlPath of [false, true]) {
            useSqlDigests(sqlPath);
            // whole, and in two ranges whose slots add up to the whole
            const whole = runScan(db, task(range), hasher, rules);
            const a = runScan(db, task([-20, 15]), hasher, rules);
            const b = runScan(db, task([16, 200]), hasher, rules);
            if (whole.mode !== 'row-hashes' || a.mode !== 'row-hashes' || b.mode !== 'row-hashes') throw new Error('not row-hashes');
            for (const [hex, buckets] of [[whole.hex, whole.buckets], [Buffer.concat([a.hex, b.hex]), Buffer.concat([a.buckets, b.buckets])]]) {
              expect(Buffer.from(hex!).equals(want), `sql path ${String(sqlPath)}`).toBe(true);
              expect(Buffer.from(buckets!).equals(wantBuckets)).toBe(true);
            }
            expect([whole.rows, new DigestAccumulator(whole.counts, whole.sums).toDigest()]).toEqual([rows, acc.toDigest()]);
          }
          // small windows, so that clean and fallen-back windows mix
          const seen = Buffer.alloc(want.length, NO_HASH);
          const applied = sqlRecordHashes(db, SPEC, rules, range, hasher, { sql: sql.replace(' FROM', ', rowid FROM'), kept }, { windowRows, withRowid: true }, (rowid, _, h) => {
            seen.write(hex64(h), (rowid - range[0]) * 16, 'latin1');
          });
          expect(applied).toBe(true);
          expect(seen.equals(want)).toBe(true);
        } finally {
          useSqlDigests(true);
          db.close();
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);

  it('takes the SQL path for clean windows and is not used where it cannot vouch for the text', async () => {
    const { rules } = comparisonContext({}, false);
    const kept = selectSql(SPEC, rules, null).kept;
    expect(compileSqlCanonical(SPEC, rules, kept)).toContain('group_concat');
    expect(compileSqlCanonical(SPEC, comparisonContext({ numbers: 'typed' }, false).rules, kept)).toBeUndefined();
    expect(compileSqlCanonical(SPEC, comparisonContext({ nulls: 'distinct' }, false).rules, kept)).toBeUndefined();
    expect(compileSqlCanonical({ ...SPEC, hasRowid: false }, rules, kept)).toBeUndefined();
    expect(compileSqlCanonical(SPEC, rules, [...kept, { sql: '"b"', field: 'b', kind: 'boolean' }])).toBeUndefined();
    expect(sqlDigest(new Database(':memory:'), SPEC, rules, null, await createRecordHasher('sha256'), selectSql(SPEC, rules, null))).toBeUndefined();
  });

  it('finds a lead byte of U+0300 and up exactly where a byte-by-byte search does, at any alignment', () => {
    const bytes = fc.uint8Array({ maxLength: 80 }).chain((b) => fc.tuple(fc.constant(b), fc.nat(b.length), fc.nat(b.length)));
    fc.assert(
      fc.property(bytes, ([b, from, to]) => {
        const view = b.subarray(Math.min(from, to), Math.max(from, to));
        expect(hasBeyondU2ff(view)).toBe(view.some((x) => x >= 0xcc));
      }),
      { numRuns: 5000 },
    );
    expect(hasBeyondU2ff(Buffer.from('caf\u00e9 \u02ff'))).toBe(false);
    expect(hasBeyondU2ff(Buffer.from('cafe\u0301'))).toBe(true);
  });
});
