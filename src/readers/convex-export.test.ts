import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { REPO_ROOT, scratchDir } from '../test-support/cli.js';
import { isConvexExport, openConvexExport, type ConvexDocument } from './convex-export.js';

const FIXTURE = join(
  REPO_ROOT,
  'fixtures/snapshots/triple-layer-legacy/server/snapshot_happy-lynx-123_20250314T113000Z.zip',
);

async function writeZip(path: string, files: Record<string, string>): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  await new Promise<void>((resolve, reject) =>
    zip.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject),
  );
  return path;
}

async function collect(path: string, table: string): Promise<ConvexDocument[]> {
  const ex = await openConvexExport(path);
  try {
    const docs: ConvexDocument[] = [];
    for await (const d of ex.documents(table)) docs.push(d);
    return docs;
  } finally {
    ex.close();
  }
}

describe('Convex export reader', () => {
  it('reads the triple-layer fixture: tables, numbers, counts', async () => {
    const ex = await openConvexExport(FIXTURE);
    try {
      expect(ex.tables.map((t) => [t.name, t.tableNumber])).toEqual([
        ['exercises', 10003],
        ['moods', 10002],
        ['userProgress', 10004],
        ['users', 10001],
      ]);
      // this export carries an inferred shape, not "uniform"
      expect(ex.tables[0]!.encoding).toBe('inferred');
    } finally {
      ex.close();
    }
    const moods = await collect(FIXTURE, 'moods');
    expect(moods).toHaveLength(23);
    const m = moods.find((d) => d['clientId'] === 'eb78d862-581d-46a5-bc7b-1dfbe38e4c9e')!;
    expect(m['rating']).toBe(4);
    expect(typeof m['rating']).toBe('number');
    expect(m['tags']).toEqual(['sleep', 'social']);
    expect(await isConvexExport(FIXTURE)).toBe(true);
  });

  it('keeps int64 vs float64, big int64 precision, and decodes $bytes/$float/$integer', async () => {
    const dir = scratchDir();
    const nan = Buffer.alloc(8);
    nan.writeDoubleLE(Number.NaN);
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64LE(-7n);
    const path = await writeZip(join(dir, 'x.zip'), {
      'README.md': 'hello',
      '_tables/documents.jsonl': '{"name":"things","id":10001}\n',
      'things/generated_schema.jsonl': '"uniform"\n',
      'things/documents.jsonl':
        `{"_id":"a","big":9007199254740993,"f":1.0,"i":1,"neg":-0.0,"e":1e21,"b":{"$bytes":"AQID"},"nan":{"$float":"${nan.toString('base64')}"},"n":{"$integer":"${i64.toString('base64')}"}}\n` +
        '\n{"_id":"b","nested":{"x":[1,2.5]}}\n',
      '_components/aux/notes/documents.jsonl': '{"_id":"c"}\n',
    });
    const [a, b] = await collect(path, 'things');
    expect(a!['big']).toBe(9007199254740993n);
    expect(a!['i']).toBe(1n);
    expect(a!['f']).toBe(1);
    expect(Object.is(a!['neg'], -0)).toBe(true);
    expect(a!['e']).toBe(1e21);
    expect(a!['b']).toEqual(new Uint8Array([1, 2, 3]));
    expect(Number.isNaN(a!['nan'])).toBe(true);
    expect(a!['n']).toBe(-7n);
    expect(b!['nested']).toEqual({ x: [1n, 2.5] });
    expect(await collect(path, 'aux/notes')).toEqual([{ _id: 'c' }]);
  });

  it('tolerates one extra top-level folder', async () => {
    const path = await writeZip(join(scratchDir(), 'y.zip'), { 'export/moods/documents.jsonl': '{"_id":"a","x":2}\n' });
    const ex = await openConvexExport(path);
    expect(ex.tables.map((t) => t.name)).toEqual(['moods']);
    ex.close();
  });

  it('bad input is a typed error naming the file and the line', async () => {
    const dir = scratchDir();
    const bad = await writeZip(join(dir, 'bad.zip'), { 't/documents.jsonl': '{"_id":"a"}\n{"_id": nope}\n' });
    await expect(collect(bad, 't')).rejects.toMatchObject({ code: 'E_CONVEX_EXPORT_JSON', exitCode: 4, subject: bad });
    await expect(collect(bad, 't')).rejects.toThrow(/line 2/);
    const notZip = join(dir, 'not.zip');
    writeFileSync(notZip, 'plain text');
    await expect(openConvexExport(notZip)).rejects.toMatchObject({ code: 'E_CONVEX_EXPORT_ZIP', exitCode: 4 });
    expect(await isConvexExport(notZip)).toBe(false);
    const other = await writeZip(join(dir, 'other.zip'), { 'a.txt': 'x' });
    await expect(openConvexExport(other)).rejects.toMatchObject({ code: 'E_CONVEX_EXPORT_LAYOUT' });
    await expect(openConvexExport(join(dir, 'missing.zip'))).rejects.toMatchObject({ code: 'E_INPUT_MISSING' });
  });

  it('round-trips random documents (fuzz): int64 stays bigint, float64 stays number', async () => {
    const dir = scratchDir();
    const scalar = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), scalar));
    const doc = fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z]{0,8}$/), value, { maxKeys: 6 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(doc, { maxLength: 5 }), async (docs) => {
        const text = docs.map((d) => exportJson(d)).join('\n');
        const path = await writeZip(join(dir, `f${n++}.zip`), {
          't/generated_schema.jsonl': '"uniform"\n',
          't/documents.jsonl': text + (docs.length ? '\n' : ''),
        });
        const back = await collect(path, 't');
        expect(back).toEqual(docs);
      }),
      { numRuns: 40 },
    );
  });
});

/** Writes a value the way Convex's export does: floats always with `.`/exponent, int64 bare. */
function exportJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Object.is(v, -0)) return '-0.0';
    const s = String(v);
    return /[.e]/.test(s) ? s : s + '.0';
  }
  if (Array.isArray(v)) return '[' + v.map(exportJson).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ':' + exportJson(x)).join(',') + '}';
  }
  return JSON.stringify(v);
}
