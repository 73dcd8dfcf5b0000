/**
 * The live entries of a decoded MMKV instance, held as offsets into the (decrypted) data plus one
 * shape code per entry, not as objects. `entry(j)` materialises the public `MmkvEntry`; `writeElement`
 * serialises the same entry straight from the bytes into a JSON stream (hex, escaped UTF-8 and
 * numbers written in place), which is what makes `syncdoc mmkv --json` on a 200k-key store cheap.
 * Both give the same JSON: entries the byte writer does not cover (overrides, modified UTF-8,
 * non-UTF-8 keys, rare value shapes) are materialised and written by the generic writer.
 */
import { JSON_ARRAY_SOURCE, type JsonArraySource, type JsonStreamWriter } from '../output/json-stream.js';
import { decodeText, escapeBytes, type TextEncoding } from './mmkv-bytes.js';
import type { JsonEnvelope } from './values-collections.js';
import { inferMmkvValueAt, lengthPrefixedBody, SHAPE_DOUBLE, SHAPE_FALSE, SHAPE_STRING, SHAPE_TRUE, type TypedValue } from './values.js';
import type { MmkvEntry } from './mmkv.js';

export interface DisplayKey {
  key: string;
  keyHex?: string;
  encoding: TextEncoding | 'bytes';
}

export function describeKey(bytes: Uint8Array): DisplayKey {
  const text = decodeText(bytes);
  const hex = Buffer.from(bytes).toString('hex');
  if (text === undefined) return { key: escapeBytes(bytes), keyHex: hex, encoding: 'bytes' };
  return text.encoding === 'utf-8' ? { key: text.text, encoding: 'utf-8' } : { key: text.text, keyHex: hex, encoding: text.encoding };
}

function isAsciiAt(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((buf[i] as number) >= 0x80) return false;
  return true;
}

const FALSE_ALTERNATIVES = ['string', 'bytes', 'int32', 'uint32', 'int64', 'uint64', 'string_vector'];
const TRUE_ALTERNATIVES = ['int32', 'uint32', 'int64', 'uint64'];
const STRING_ALTERNATIVES = ['double'];
const TYPE_NAMES: Record<number, string> = { [SHAPE_FALSE]: 'bool', [SHAPE_TRUE]: 'bool', [SHAPE_STRING]: 'string', [SHAPE_DOUBLE]: 'double' };

export interface EntryColumns {
  buf: Buffer;
  /** Per live entry j (file order): its item's offsets and its value's shape (see values.ts). */
  at: Uint32Array;
  keyStart: Uint32Array;
  keyEnd: Uint32Array;
  valueStart: Uint32Array;
  valueEnd: Uint32Array;
  shape: Uint8Array;
  count: number;
  /** Values carry a 4-byte expiry stamp (when at least 5 bytes long). */
  expiring: boolean;
  /** Buffer offset up to which items are CRC-verified. */
  verifiedEnd: number;
  /** `--as` results by entry; undefined = the override did not fit (the inferred type is kept). */
  overrides: Map<number, TypedValue | undefined>;
  envelopes: Map<number, JsonEnvelope>;
}

export class MmkvEntryTable implements JsonArraySource {
  readonly [JSON_ARRAY_SOURCE] = true as const;
  private readonly keyCache = new Map<string, DisplayKey>();

  constructor(private readonly c: EntryColumns) {}

  get length(): number {
    return this.c.count;
  }

  displayKey(j: number): DisplayKey {
    const { buf } = this.c;
    const ks = this.c.keyStart[j] as number;
    const ke = this.c.keyEnd[j] as number;
    // ASCII keys (nearly all) read the same as their latin1 form: no decoding, no cache.
    if (isAsciiAt(buf, ks, ke)) return { key: buf.toString('latin1', ks, ke), encoding: 'utf-8' };
    const raw = buf.toString('latin1', ks, ke);
    let d = this.keyCache.get(raw);
    if (d === undefined) {
      d = describeKey(buf.subarray(ks, ke));
      this.keyCache.set(raw, d);
    }
    return d;
  }

  payloadEnd(j: number): number {
    const vs = this.c.valueStart[j] as number;
    const ve = this.c.valueEnd[j] as number;
    return this.c.expiring && ve - vs >= 5 ? ve - 4 : ve;
  }

  expireAt(j: number): number | null {
    const vs = this.c.valueStart[j] as number;
    const ve = this.c.valueEnd[j] as number;
    return this.c.expiring && ve - vs >= 5 ? this.c.buf.readUInt32LE(ve - 4) : null;
  }

  verified(j: number): boolean {
    return (this.c.valueEnd[j] as number) <= this.c.verifiedEnd;
  }

  /** The inferred value, or the override's when it fitted. */
  typed(j: number): { typed: TypedValue; override: boolean } {
    const forced = this.c.overrides.get(j);
    if (forced !== undefined) return { typed: forced, override: true };
    return { typed: inferMmkvValueAt(this.c.buf, this.c.valueStart[j] as number, this.payloadEnd(j)), override: false };
  }

  /** Entry j as the public object (the field order is the JSON's). */
  entry(j: number): MmkvEntry {
    const { buf } = this.c;
    const dk = this.displayKey(j);
    const { typed, override } = this.typed(j);
    const vs = this.c.valueStart[j] as number;
    const ve = this.c.valueEnd[j] as number;
    const entry: MmkvEntry = {
      key: dk.key,
      type: typed.type,
      value: typed.value,
      rawHex: buf.toString('hex', vs, ve),
      expireAt: this.expireAt(j),
      sizeBytes: ve - vs,
      offset: this.c.at[j] as number,
      verified: this.verified(j),
    };
    if (dk.keyHex !== undefined) entry.keyHex = dk.keyHex;
    if (dk.encoding !== 'utf-8') entry.keyEncoding = dk.encoding;
    if (typed.encoding !== undefined) entry.encoding = typed.encoding;
    if (typed.alternatives !== undefined && !override) entry.alternatives = typed.alternatives;
    if (override) entry.override = true;
    const json = this.c.envelopes.get(j);
    if (json !== undefined) entry.json = json;
    return entry;
  }

  entries(): MmkvEntry[] {
    // Filled by push: `new Array(n)` of a large n is a slow dictionary-mode array in V8.
    const out: MmkvEntry[] = [];
    for (let j = 0; j < this.c.count; j++) out.push(this.entry(j));
    return out;
  }

  toJSON(): MmkvEntry[] {
    return this.entries();
  }

  /** Entry j as JSON, from the bytes; the object's own bytes whenever the shortcut does not apply. */
  writeElement(w: JsonStreamWriter, j: number, depth: number): void {
    const { buf } = this.c;
    const shape = this.c.shape[j] as number;
    const ks = this.c.keyStart[j] as number;
    const ke = this.c.keyEnd[j] as number;
    if (shape > SHAPE_DOUBLE || (this.c.overrides.size > 0 && this.c.overrides.has(j)) || !isAsciiAt(buf, ks, ke)) {
      w.writeValue(this.entry(j), depth);
      return;
    }
    const t = (this.templates[depth] ??= entryTemplates(depth));
    const vs = this.c.valueStart[j] as number;
    const ve = this.c.valueEnd[j] as number;
    const pe = this.payloadEnd(j);
    w.writeBytes(t.open);
    w.writeUtf8String(buf, ks, ke);
    w.writeBytes(t.typeAndValue[shape] as Buffer);
    // Which alternatives list the entry ends with (see EntryTemplates.tail).
    let alternatives = NO_ALTERNATIVES;
    if (shape === SHAPE_FALSE) {
      w.writeLiteral('false');
      alternatives = FALSE;
    } else if (shape === SHAPE_TRUE) {
      w.writeLiteral('true');
      alternatives = TRUE;
    } else if (shape === SHAPE_STRING) {
      w.writeUtf8String(buf, lengthPrefixedBody(buf, vs, pe), pe);
      if (pe - vs === 8) alternatives = STRING;
    } else {
      const x = buf.readDoubleLE(vs);
      if (Number.isFinite(x)) w.writeNumber(x);
      else w.writeValue(String(x), depth + 1);
    }
    w.writeBytes(t.rawHex);
    w.writeHexString(buf, vs, ve);
    const expireAt = this.expireAt(j);
    if (expireAt === null) w.writeBytes(t.noExpiryAndSize);
    else {
      w.writeBytes(t.expireAt);
      w.writeNumber(expireAt);
      w.writeBytes(t.sizeBytes);
    }
    w.writeNumber(ve - vs);
    w.writeBytes(t.offset);
    w.writeNumber(this.c.at[j] as number);
    const json = this.c.envelopes.size > 0 ? this.c.envelopes.get(j) : undefined;
    const tail = (this.verified(j) ? 0 : 1) * 4 + alternatives;
    if (json === undefined) {
      w.writeBytes(t.tail[tail] as Buffer);
      return;
    }
    w.writeBytes(t.tailBeforeJson[tail] as Buffer);
    w.writeMember(depth, 'json', false);
    w.writeValue(json, depth + 1);
    w.writeBytes(t.end);
  }

  private readonly templates: Array<EntryTemplates | undefined> = [];
}

/** Which alternatives an entry written from the bytes lists (an index into EntryTemplates.tail). */
const NO_ALTERNATIVES = 0;
const FALSE = 1;
const TRUE = 2;
const STRING = 3;

/**
 * The fixed bytes of an entry object at `depth`, as the JSON writer lays them out (indent 2),
 * joined wherever nothing variable comes between: fewer, longer copies per entry.
 */
interface EntryTemplates {
  open: Buffer;
  typeAndValue: Buffer[];
  rawHex: Buffer;
  /** `"expireAt": null` and the name of sizeBytes, for entries without an expiry stamp. */
  noExpiryAndSize: Buffer;
  expireAt: Buffer;
  sizeBytes: Buffer;
  offset: Buffer;
  /** By (verified ? 0 : 4) + alternatives: `verified`, the alternatives and the closing brace. */
  tail: Buffer[];
  /** The same without the closing brace, for entries that go on with `json`. */
  tailBeforeJson: Buffer[];
  end: Buffer;
}

function entryTemplates(depth: number): EntryTemplates {
  const ind = '  '.repeat(depth + 1);
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  const member = (name: string): string => `,\n${ind}"${name}": `;
  const list = (xs: string[]): string => member('alternatives') + JSON.stringify(xs, null, 2).replace(/\n/g, '\n' + ind);
  const typeAndValue: Buffer[] = [];
  for (const [shape, name] of Object.entries(TYPE_NAMES)) typeAndValue[Number(shape)] = b(`${member('type')}"${name}"${member('value')}`);
  const end = '\n' + '  '.repeat(depth) + '}';
  const tails: string[] = [];
  for (const verified of [true, false]) {
    const v = member('verified') + String(verified);
    tails.push(v, v + list(FALSE_ALTERNATIVES), v + list(TRUE_ALTERNATIVES), v + list(STRING_ALTERNATIVES));
  }
  return {
    open: b(`{\n${ind}"key": `),
    typeAndValue,
    rawHex: b(member('rawHex')),
    noExpiryAndSize: b(member('expireAt') + 'null' + member('sizeBytes')),
    expireAt: b(member('expireAt')),
    sizeBytes: b(member('sizeBytes')),
    offset: b(member('offset')),
    tail: tails.map((x) => b(x + end)),
    tailBeforeJson: tails.map(b),
    end: b(end),
  };
}
