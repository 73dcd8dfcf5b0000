import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalRecord, encodeNumber, normaliseTimestampMs, resolveRules, snakeCase, camelCase } from './canonical.js';
import { DigestAccumulator, digestRecords, mismatchedBuckets } from './digest.js';
import { checksumAlgorithm, createRecordHasher, rowChecksum } from './record-hash.js';
import { diffFields } from './record-diff.js';
import { compileRowEncoder, rowToRecord, type FieldSpec } from './row-encoder.js';

const rules = resolveRules();

describe('canonical record form', () => {
  it('sorts keys (nested too), includes the id, drops sync-only fields and nulls', () => {
    const text = canonicalRecord({
      id: 'r1',
      fields: { zeta: 1, alpha: { b: 2, a: [3, null] }, syncStatus: 'pending', serverId: 'x', note: null },
    });
    expect(text).toBe('{"alpha":{"a":[3,null],"b":2},"id":"r1","zeta":1}');
  });

  it('normalises timestamps to integer UTC ms: seconds, float ms, ISO strings', () => {
    const a = canonicalRecord({ id: 'a', fields: { updatedAt: 1741817018, createdAt: '2025-03-12T20:00:00.000Z' } });
    const b = canonicalRecord({ id: 'a', fields: { updatedAt: 1741817018000.75, createdAt: 1741809600000 } });
    expect(a).toBe(b);
    expect(a).toBe('{"createdAt":1741809600000,"id":"a","updatedAt":1741817018000}');
    expect(normaliseTimestampMs('not a date')).toBe('not a date');
    expect(normaliseTimestampMs(5n)).toBe(5000n);
  });

  it('numbers by value by default (4 == 4.0 == 4n), typed on request (1 != 1.0)', () => {
    const v = (x: unknown, numbers: 'value' | 'typed' = 'value') =>
      canonicalRecord({ id: 'n', fields: { x } }, resolveRules({ numbers }));
    expect(v(4)).toBe(v(4n));
    expect(v(4, 'typed')).not.toBe(v(4n, 'typed'));
    expect(v(9007199254740993n)).toBe('{"id":"n","x":9007199254740993}');
    expect(encodeNumber(-0, false)).toBe('0');
    expect(encodeNumber(-0, true)).toBe('-0.0');
    expect(encodeNumber(1e21, false)).toBe('1000000000000000000000');
    expect(encodeNumber(0.1, false)).toBe('0.1');
    expect(encodeNumber(Number.NaN, false)).toBe('{"$float":"NaN"}');
  });

  it('text is NFC (keys and values), bytes are base64', () => {
    const nfd = 'Cafe\u0301';
    const nfc = 'Caf\u00e9';
    expect(canonicalRecord({ id: 'x', fields: { [nfd]: nfd } })).toBe(canonicalRecord({ id: 'x', fields: { [nfc]: nfc } }));
    expect(canonicalRecord({ id: 'x', fields: { b: new Uint8Array([1, 2, 3]) } })).toBe('{"b":{"$bytes":"AQID"},"id":"x"}');
  });

  it('null vs absent follows the declared rule', () => {
    const withNull = { id: 'x', fields: { a: null } };
    const absent = { id: 'x', fields: {} };
    expect(canonicalRecord(withNull)).toBe(canonicalRecord(absent));
    const distinct = resolveRules({ nulls: 'distinct' });
    expect(canonicalRecord(withNull, distinct)).not.toBe(canonicalRecord(absent, distinct));
  });

  it('the excluded fields are configurable', () => {
    const r = { id: 'x', fields: { version: 2, syncStatus: 'pending' } };
    expect(canonicalRecord(r, resolveRules({ exclude: ['version'] }))).toBe('{"id":"x","syncStatus":"pending"}');
  });

  it('maps names between snake_case and camelCase', () => {
    expect(camelCase('duration_sec')).toBe('durationSec');
    expect(snakeCase('userProgress')).toBe('user_progress');
  });
});

describe('row encoder', () => {
  const specs: FieldSpec[] = [
    { field: 'userId', kind: 'text' },
    { field: 'rating', kind: 'integer' },
    { field: 'tags', kind: 'json' },
    { field: 'isDone', kind: 'boolean' },
    { field: 'updatedAt', kind: 'integer' },
    { field: 'syncStatus', kind: 'text' },
    { field: 'value', kind: 'real' },
  ];

  it.each(['value', 'typed'] as const)('gives exactly canonicalRecord(rowToRecord(row)) for any row (%s numbers)', (numbers) => {
    const rules = resolveRules({ numbers });
    const encode = compileRowEncoder(specs, rules);
    const cell = fc.oneof(
      fc.constant(null),
      fc.string(),
      fc.integer(),
      fc.double(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.constantFrom('["a","b"]', '{"z":1,"a":null}', 'not json', '0', '1'),
      fc.constantFrom(0, 1, -0, 1741817018104, 1741817018),
      fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(-0)), { maxLength: 4 }).map((a) => JSON.stringify(a)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(fc.uuid(), fc.array(cell, { minLength: specs.length, maxLength: specs.length }), (id, cells) => {
        const row = [id, ...cells];
        expect(encode(row)).toBe(canonicalRecord(rowToRecord(specs, row), rules));
      }),
      { numRuns: 1000 },
    );
  });

  it('converts JSON text and 0/1 booleans', () => {
    const rec = rowToRecord(specs, ['id1', 'u', 3, '["x"]', 1, 1741817018104, 'synced', 0.5]);
    expect(rec.fields).toMatchObject({ tags: ['x'], isDone: true });
  });
});

describe('record hash and digests', () => {
  it('xxh64 and sha256 checksums, told apart by length', async () => {
    const rec = { id: 'a', fields: { mood: 'calm', rating: 3 } };
    const xx = rowChecksum(rec, await createRecordHasher('xxh64'));
    const sha = rowChecksum(rec, await createRecordHasher('sha256'));
    expect(checksumAlgorithm(xx)).toBe('xxh64');
    expect(checksumAlgorithm(sha)).toBe('sha256');
    expect(rowChecksum({ id: 'a', fields: { rating: 3.0, mood: 'calm', syncStatus: 'x' } }, await createRecordHasher())).toBe(xx);
    expect(rowChecksum({ id: 'a', fields: { mood: 'calm', rating: 4 } }, await createRecordHasher())).not.toBe(xx);
  });

  it('digests are order-independent and composable; bucket mismatches locate an edit', async () => {
    const hasher = await createRecordHasher();
    const records = Array.from({ length: 300 }, (_, i) => ({ id: `id-${i}`, fields: { n: i, t: `text ${i}` } }));
    const forward = await digestRecords(records, hasher);
    const backward = await digestRecords([...records].reverse(), hasher);
    expect(forward).toEqual(backward);
    expect(forward.count).toBe(300);

    const halves = [records.slice(0, 120), records.slice(120)].map((part) => {
      const acc = new DigestAccumulator();
      for (const r of part) acc.add(hasher.bucketOf(r.id), hasher.hash(canonicalRecord(r, rules)));
      return acc;
    });
    expect(halves[0]!.merge(halves[1]!).toDigest()).toEqual(forward);

    const edited = records.map((r) => (r.id === 'id-77' ? { ...r, fields: { ...r.fields, t: 'changed' } } : r));
    const bad = DigestAccumulator.fromDigest(await digestRecords(edited, hasher));
    expect(mismatchedBuckets(DigestAccumulator.fromDigest(forward), bad)).toEqual([hasher.bucketOf('id-77')]);
  });

  it('diffFields names exactly the changed fields', () => {
    const a = { id: 'x', fields: { mood: 'calm', rating: 3, note: null, updatedAt: 1741817018 } };
    const b = { id: 'x', fields: { mood: 'sad', rating: 3.0, updatedAt: 1741817018000, extra: true } };
    expect(diffFields(a, b, rules)).toEqual([
      { field: 'extra', b: 'true' },
      { field: 'mood', a: '"calm"', b: '"sad"' },
    ]);
  });
});
