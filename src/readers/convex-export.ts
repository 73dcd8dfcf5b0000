/**
 * Reads the ZIP `npx convex export` writes (`_tables/documents.jsonl`, then per table
 * `<table>/generated_schema.jsonl` and `<table>/documents.jsonl`, optionally under one extra
 * top-level folder, components under `_components/<name>/`). Documents are streamed one line at a
 * time from the archive (yauzl, nothing extracted to disk) and parsed with lossless-json so types
 * survive: in a `"uniform"` export a bare integer literal is an int64 (`bigint`) and anything with
 * `.`/`e` is a float64 (`number`), so `1` and `1.0` stay different; `$bytes`, `$float` and
 * `$integer` markers are decoded. The archive is only read, never written.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseLossless } from 'lossless-json';
import yauzl from 'yauzl';
import { InputError } from '../errors.js';

/** A Convex value as the `convex` client models it: int64 is `bigint`, bytes are `Uint8Array`. */
export type ConvexValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | ConvexValue[]
  | { [key: string]: ConvexValue };

export type ConvexDocument = { [key: string]: ConvexValue };

export interface ConvexExportTable {
  /** Table name; component tables are `<component path>/<table>`. */
  name: string;
  /** From `_tables/documents.jsonl`, when listed there. */
  tableNumber: number | null;
  /** `uniform` (literal decides int64 vs float64) or `inferred` (older exports: bare numbers are float64). */
  encoding: 'uniform' | 'inferred';
}

export interface ConvexExport {
  path: string;
  tables: ConvexExportTable[];
  /** Streams a table's documents in file order. Reads the archive entry afresh on every call. */
  documents(table: string): AsyncGenerator<ConvexDocument>;
  close(): void;
}

interface TableEntries {
  documents?: yauzl.Entry;
  schema?: yauzl.Entry;
}

// `(prefix/)?(_components/a/_components/b/)?table/file`, mirroring the importer's regexes
const ENTRY = /^(?:[^/]+\/)??((?:_components\/[^/]+\/)*)([^/]+)\/(documents|generated_schema)\.jsonl$/;
const SYSTEM_TABLES = new Set(['_tables', '_storage']);

export async function openConvexExport(path: string): Promise<ConvexExport> {
  const zip = await openZip(path);
  let tableList: Array<{ name: string; id: number }> = [];
  const byTable = new Map<string, TableEntries>();
  try {
    for await (const entry of entries(zip, path)) {
      const name = entry.fileName;
      if (/(^|\/)_tables\/documents\.jsonl$/.test(name) && !name.includes('_components/')) {
        for await (const line of lines(zip, entry, path)) {
          const row = parseLine(line.text, path, name, line.no, 'uniform') as { name?: unknown; id?: unknown };
          if (typeof row.name === 'string') tableList.push({ name: row.name, id: Number(row.id) });
        }
        continue;
      }
      const m = ENTRY.exec(name);
      if (!m) continue;
      const component = (m[1] ?? '').replace(/_components\//g, '');
      const table = m[2]!;
      if (SYSTEM_TABLES.has(table)) continue;
      const key = component + table;
      const slot = byTable.get(key) ?? {};
      if (m[3] === 'documents') slot.documents = entry;
      else slot.schema = entry;
      byTable.set(key, slot);
    }
  } catch (err) {
    zip.close();
    throw err;
  }
  if (tableList.length === 0 && byTable.size === 0) {
    zip.close();
    throw new InputError('not a Convex export: no _tables/documents.jsonl and no <table>/documents.jsonl entries', {
      code: 'E_CONVEX_EXPORT_LAYOUT',
      subject: path,
      hint: 'pass the ZIP that `npx convex export --path <file>.zip` wrote',
    });
  }
  const numbers = new Map(tableList.map((t) => [t.name, t.id]));
  const tables: ConvexExportTable[] = [];
  for (const [name, slot] of [...byTable].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!slot.documents) continue;
    tables.push({ name, tableNumber: numbers.get(name) ?? null, encoding: await readEncoding(zip, slot.schema, path) });
  }
  tableList = [];

  return {
    path,
    tables,
    async *documents(table: string) {
      const slot = byTable.get(table);
      const info = tables.find((t) => t.name === table);
      if (!slot?.documents || !info) {
        throw new InputError(`no table "${table}" in the Convex export`, {
          code: 'E_CONVEX_EXPORT_TABLE',
          subject: path,
          hint: `tables: ${tables.map((t) => t.name).join(', ') || '(none)'}`,
        });
      }
      for await (const line of lines(zip, slot.documents, path)) {
        const doc = parseLine(line.text, path, slot.documents.fileName, line.no, info.encoding);
        if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
          throw new InputError(`line ${line.no} of ${slot.documents.fileName} is not a JSON object`, {
            code: 'E_CONVEX_EXPORT_DOCUMENT',
            subject: path,
            hint: 'the export is damaged; export it again with `npx convex export`',
          });
        }
        yield doc as ConvexDocument;
      }
    },
    close: () => zip.close(),
  };
}

/** True when the file is a ZIP holding a Convex export layout (cheap: reads the central directory). */
export async function isConvexExport(path: string): Promise<boolean> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch {
    return false;
  }
  try {
    for await (const entry of entries(zip, path)) {
      if (/(^|\/)_tables\/documents\.jsonl$/.test(entry.fileName) || ENTRY.test(entry.fileName)) return true;
    }
    return false;
  } catch {
    return false;
  } finally {
    zip.close();
  }
}

async function readEncoding(zip: yauzl.ZipFile, entry: yauzl.Entry | undefined, path: string): Promise<'uniform' | 'inferred'> {
  if (!entry) return 'uniform';
  for await (const line of lines(zip, entry, path)) {
    return line.text.trim() === '"uniform"' ? 'uniform' : 'inferred';
  }
  return 'uniform';
}

function parseLine(text: string, path: string, entry: string, no: number, encoding: 'uniform' | 'inferred'): unknown {
  try {
    return parseLossless(text, revive, encoding === 'uniform' ? parseUniformNumber : Number);
  } catch (err) {
    throw new InputError(`${entry} line ${no}: ${(err as Error).message}`, {
      code: 'E_CONVEX_EXPORT_JSON',
      subject: path,
      hint: 'the export is damaged or not a Convex export; export it again with `npx convex export`',
    });
  }
}

/** Uniform export: the literal says the type (serde_json/ryu always prints a float with `.` or an exponent). */
function parseUniformNumber(literal: string): number | bigint {
  return /[.eE]/.test(literal) ? Number(literal) : BigInt(literal);
}

/** Decodes Convex's `$`-marked encodings (any object whose first key starts with `$`). */
function revive(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1 || !keys[0]!.startsWith('$')) return value;
  const payload = (value as Record<string, unknown>)[keys[0]!];
  if (typeof payload !== 'string') return value;
  const bytes = Buffer.from(payload, 'base64');
  switch (keys[0]) {
    case '$bytes':
      return new Uint8Array(bytes);
    case '$float':
      return bytes.length === 8 ? bytes.readDoubleLE(0) : value;
    case '$integer':
      return bytes.length === 8 ? bytes.readBigInt64LE(0) : value;
    default:
      return value;
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, strictFileNames: false }, (err, zip) => {
      if (err || !zip) {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        reject(
          new InputError(code === 'ENOENT' ? 'file not found' : `not a readable ZIP: ${err?.message ?? 'unknown error'}`, {
            code: code === 'ENOENT' ? 'E_INPUT_MISSING' : 'E_CONVEX_EXPORT_ZIP',
            subject: path,
            hint: 'pass the ZIP that `npx convex export --path <file>.zip` wrote',
            cause: err,
          }),
        );
      } else resolve(zip);
    });
  });
}

async function* entries(zip: yauzl.ZipFile, path: string): AsyncGenerator<yauzl.Entry> {
  // yauzl is callback-driven; queue its events and hand them out one at a time
  const queue: Array<yauzl.Entry | null | Error> = [];
  let wake: (() => void) | undefined;
  const push = (item: yauzl.Entry | null | Error) => {
    queue.push(item);
    wake?.();
  };
  zip.on('entry', (e: yauzl.Entry) => push(e));
  zip.on('end', () => push(null));
  zip.on('error', (e: Error) => push(e));
  zip.readEntry();
  try {
    for (;;) {
      if (queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      const item = queue.shift()!;
      if (item === null) return;
      if (item instanceof Error) {
        throw new InputError(`damaged ZIP: ${item.message}`, { code: 'E_CONVEX_EXPORT_ZIP', subject: path, cause: item });
      }
      yield item;
      zip.readEntry();
    }
  } finally {
    zip.removeAllListeners('entry');
    zip.removeAllListeners('end');
    zip.removeAllListeners('error');
  }
}

async function* lines(zip: yauzl.ZipFile, entry: yauzl.Entry, path: string): AsyncGenerator<{ text: string; no: number }> {
  const unreadable = (err: unknown): InputError =>
    new InputError(`cannot read ${entry.fileName}: ${(err as Error).message}`, { code: 'E_CONVEX_EXPORT_ZIP', subject: path, cause: err });
  const stream = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => (err || !s ? reject(err) : resolve(s))),
  ).catch((err: unknown) => {
    throw unreadable(err);
  });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  let no = 0;
  try {
    for await (const text of rl) {
      no++;
      if (text.trim() !== '') yield { text, no };
    }
  } catch (err) {
    throw err instanceof InputError ? err : unreadable(err);
  } finally {
    rl.close();
    stream.destroy();
  }
}
