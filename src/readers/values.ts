/**
 * Typed values from MMKV payloads. MMKV stores no types, so a payload is either decoded as a type
 * the caller names (`--as KEY=TYPE`) or inferred with react-native-mmkv's conventions first (bool
 * = 1 byte, numbers = 8-byte doubles, strings = length-prefixed UTF-8), then the C++ API's shapes.
 * Some payloads are undecidable (`00` is false, "", empty bytes and 0 at once): the inference says
 * so in `alternatives` instead of pretending. 64-bit integers stay exact as BigInt.
 */
import { isUtf8 } from 'node:buffer';
import { decodeText, decodeTextAt, readVarint32, readVarint64, VARINT_BAD, type TextEncoding } from './mmkv-bytes.js';

export const MMKV_VALUE_TYPES = [
  'bool',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float',
  'double',
  'string',
  'bytes',
  'string_vector',
  'int32_vector',
  'uint32_vector',
  'int64_vector',
  'uint64_vector',
  'float_vector',
  'double_vector',
  'bool_vector',
] as const;

export type MmkvValueType = (typeof MMKV_VALUE_TYPES)[number];

/** bytes are lowercase hex; non-finite floats are the strings "NaN", "Infinity", "-Infinity". */
export type MmkvScalar = boolean | number | bigint | string;
export type MmkvValue = MmkvScalar | MmkvScalar[];

export interface TypedValue {
  type: MmkvValueType;
  value: MmkvValue;
  /** Set for strings (and string vectors) that are modified UTF-8 rather than UTF-8. */
  encoding?: TextEncoding;
  /** Other types the same bytes decode as, when the inference is a guess between equals. */
  alternatives?: MmkvValueType[];
}

export function isMmkvValueType(s: string): s is MmkvValueType {
  return (MMKV_VALUE_TYPES as readonly string[]).includes(s);
}

const INTEGER_TYPES: MmkvValueType[] = ['int32', 'uint32', 'int64', 'uint64'];

/** Best guess for a payload (expiry stamp already removed). Never fails: `bytes` is the fallback. */
export function inferMmkvValue(payload: Uint8Array): TypedValue {
  const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return inferMmkvValueAt(buf, 0, buf.length);
}

// One cursor for the synchronous readers below: no object per call on the hot path.
const CURSOR = { at: 0 };

/**
 * The shape of a payload as inferMmkvValueAt decides it, without making a value: a byte-level
 * writer can then serialise the common shapes straight from the file's bytes. SHAPE_OTHER covers
 * every rarer outcome (modified UTF-8 text, bytes, integers, floats), left to inferMmkvValueAt.
 */
export const SHAPE_FALSE = 0;
export const SHAPE_TRUE = 1;
/** Valid UTF-8 after a varint length that matches the payload: a string of encoding 'utf-8'. */
export const SHAPE_STRING = 2;
export const SHAPE_DOUBLE = 3;
export const SHAPE_OTHER = 4;

/** A UTF-8 check over `buf` that may learn more on the way (the decoder's JsonStateScan). */
export interface Utf8Check {
  utf8(start: number, end: number): boolean;
}

export function mmkvValueShape(buf: Buffer, start: number, end: number, text?: Utf8Check): number {
  const n = end - start;
  if (n === 1 && ((buf[start] as number) & 0xfe) === 0) return buf[start] === 0 ? SHAPE_FALSE : SHAPE_TRUE;
  const body = lengthPrefixedBody(buf, start, end);
  if (body >= 0) return (text === undefined ? isUtf8At(buf, body, end) : text.utf8(body, end)) ? SHAPE_STRING : SHAPE_OTHER;
  return n === 8 ? SHAPE_DOUBLE : SHAPE_OTHER;
}

/** Where the body of `buf[start, end)` starts when it is a varint length + exactly that many bytes, else -1. */
export function lengthPrefixedBody(buf: Uint8Array, start: number, end: number): number {
  CURSOR.at = start;
  const len = readVarint32(buf, CURSOR, end);
  return len !== VARINT_BAD && CURSOR.at + len === end ? CURSOR.at : -1;
}

/** Strict UTF-8 (what decodeText calls 'utf-8'): short text by a byte loop, longer by the native (SIMD) check. */
function isUtf8At(buf: Buffer, start: number, end: number): boolean {
  if (end - start >= NATIVE_UTF8_MIN) return isUtf8(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start));
  for (let i = start; i < end; i++) if ((buf[i] as number) >= 0x80) return isUtf8(buf.subarray(i, end));
  return true;
}

/** From this length the native check (a plain Uint8Array view: cheaper than subarray) beats the loop. */
const NATIVE_UTF8_MIN = 48;

/**
 * inferMmkvValue over `buf[start, end)`. The react-native-mmkv shapes (bool, string, double) are
 * read in place; only rarer shapes make a view. A decoder of 200k keys spends its time here.
 * `latin1`, when given, is `buf` decoded as latin1 from offset 0: ASCII text is sliced from it.
 */
export function inferMmkvValueAt(buf: Buffer, start: number, end: number, latin1?: string): TypedValue {
  switch (mmkvValueShape(buf, start, end)) {
    case SHAPE_FALSE:
      // react-native-mmkv writes booleans as one byte; `00` is also "", empty bytes/vectors and 0.
      return { type: 'bool', value: false, alternatives: ['string', 'bytes', ...INTEGER_TYPES, 'string_vector'] };
    case SHAPE_TRUE:
      return { type: 'bool', value: true, alternatives: INTEGER_TYPES };
    case SHAPE_STRING: {
      const text = decodeTextAt(buf, lengthPrefixedBody(buf, start, end), end, latin1) as { text: string };
      return end - start === 8 ? { type: 'string', value: text.text, alternatives: ['double'] } : { type: 'string', value: text.text };
    }
    case SHAPE_DOUBLE:
      return { type: 'double', value: finite(buf.readDoubleLE(start)) };
  }
  return inferOther(buf, start, end, latin1);
}

/** The shapes react-native-mmkv does not write (and text that is not strict UTF-8). */
function inferOther(buf: Buffer, start: number, end: number, latin1?: string): TypedValue {
  const n = end - start;
  const body = lengthPrefixedBody(buf, start, end);
  if (body >= 0) {
    const text = decodeTextAt(buf, body, end, latin1);
    if (text !== undefined) {
      const out: TypedValue = { type: 'string', value: text.text };
      if (text.encoding !== 'utf-8') out.encoding = text.encoding;
      if (n === 8) out.alternatives = ['double'];
      return out;
    }
  }
  if (n === 8) return { type: 'double', value: finite(buf.readDoubleLE(start)) };
  if (body >= 0) return { type: 'bytes', value: buf.toString('hex', body, end) };
  const payload = buf.subarray(start, end);
  const int = decodeSingleVarint(payload);
  if (int !== undefined) {
    const signed = BigInt.asIntN(64, int);
    if (signed >= -2147483648n && signed <= 2147483647n) return { type: 'int32', value: Number(signed), alternatives: ['int64'] };
    return { type: 'int64', value: signed, alternatives: ['uint64'] };
  }
  if (n === 4) return { type: 'float', value: readFloat(payload) };
  return { type: 'bytes', value: payload.toString('hex') };
}

/** Decodes a payload as a named type; undefined when the bytes cannot be that type. */
export function decodeMmkvValueAs(payload: Uint8Array, type: MmkvValueType): TypedValue | undefined {
  switch (type) {
    case 'bool':
      return payload.length === 1 ? { type, value: payload[0] !== 0 } : undefined;
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64': {
      const v = decodeSingleVarint(payload);
      return v === undefined ? undefined : { type, value: integerAs(v, type) };
    }
    case 'float':
      return payload.length === 4 ? { type, value: readFloat(payload) } : undefined;
    case 'double':
      return payload.length === 8 ? { type, value: readDouble(payload) } : undefined;
    case 'string': {
      const body = decodeLengthPrefixed(payload);
      const text = body === undefined ? undefined : decodeText(body);
      if (text === undefined) return undefined;
      return text.encoding === 'utf-8' ? { type, value: text.text } : { type, value: text.text, encoding: text.encoding };
    }
    case 'bytes': {
      const body = decodeLengthPrefixed(payload);
      return body === undefined ? undefined : { type, value: Buffer.from(body).toString('hex') };
    }
    case 'string_vector':
      return decodeStringVector(payload);
    case 'int32_vector':
    case 'uint32_vector':
    case 'int64_vector':
    case 'uint64_vector':
      return decodeIntegerVector(payload, type);
    case 'float_vector':
    case 'double_vector':
      return decodeFloatVector(payload, type);
    case 'bool_vector':
      return decodeBoolVector(payload);
  }
}

function integerAs(v: bigint, type: MmkvValueType): number | bigint {
  switch (type) {
    case 'int32':
    case 'int32_vector':
      return Number(BigInt.asIntN(32, v));
    case 'uint32':
    case 'uint32_vector':
      return Number(BigInt.asUintN(32, v));
    case 'int64':
    case 'int64_vector':
      return BigInt.asIntN(64, v);
    default:
      return v;
  }
}

/** varint length + exactly that many bytes; undefined when the prefix does not match the rest. */
function decodeLengthPrefixed(payload: Uint8Array): Uint8Array | undefined {
  const pos = { at: 0 };
  const len = readVarint32(payload, pos, payload.length);
  if (len === VARINT_BAD || pos.at + len !== payload.length) return undefined;
  return payload.subarray(pos.at);
}

function decodeSingleVarint(payload: Uint8Array): bigint | undefined {
  const pos = { at: 0 };
  const v = readVarint64(payload, pos, payload.length);
  return v !== undefined && pos.at === payload.length ? v : undefined;
}

function finite(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function readDouble(p: Uint8Array): number | string {
  return finite(Buffer.from(p.buffer, p.byteOffset, p.byteLength).readDoubleLE(0));
}

function readFloat(p: Uint8Array): number | string {
  return finite(Buffer.from(p.buffer, p.byteOffset, p.byteLength).readFloatLE(0));
}

/** Vectors start with a varint byte-length of the rest (bool vectors: an element count). */
function vectorBody(payload: Uint8Array): Uint8Array | undefined {
  return decodeLengthPrefixed(payload);
}

function decodeStringVector(payload: Uint8Array): TypedValue | undefined {
  const body = vectorBody(payload);
  if (body === undefined) return undefined;
  const out: string[] = [];
  let modified = false;
  const pos = { at: 0 };
  while (pos.at < body.length) {
    const len = readVarint32(body, pos, body.length);
    if (len === VARINT_BAD || pos.at + len > body.length) return undefined;
    const text = decodeText(body.subarray(pos.at, pos.at + len));
    if (text === undefined) return undefined;
    if (text.encoding !== 'utf-8') modified = true;
    out.push(text.text);
    pos.at += len;
  }
  return modified ? { type: 'string_vector', value: out, encoding: 'modified-utf-8' } : { type: 'string_vector', value: out };
}

function decodeIntegerVector(payload: Uint8Array, type: MmkvValueType): TypedValue | undefined {
  const body = vectorBody(payload);
  if (body === undefined) return undefined;
  const out: Array<number | bigint> = [];
  const pos = { at: 0 };
  while (pos.at < body.length) {
    const v = readVarint64(body, pos, body.length);
    if (v === undefined) return undefined;
    out.push(integerAs(v, type));
  }
  return { type, value: out };
}

function decodeFloatVector(payload: Uint8Array, type: 'float_vector' | 'double_vector'): TypedValue | undefined {
  const body = vectorBody(payload);
  const width = type === 'float_vector' ? 4 : 8;
  if (body === undefined || body.length % width !== 0) return undefined;
  const view = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: Array<number | string> = [];
  for (let at = 0; at < body.length; at += width) out.push(finite(width === 4 ? view.readFloatLE(at) : view.readDoubleLE(at)));
  return { type, value: out };
}

function decodeBoolVector(payload: Uint8Array): TypedValue | undefined {
  const pos = { at: 0 };
  const count = readVarint32(payload, pos, payload.length);
  if (count === VARINT_BAD || pos.at + count !== payload.length) return undefined;
  const out: boolean[] = [];
  for (let i = pos.at; i < payload.length; i++) out.push(payload[i] !== 0);
  return { type: 'bool_vector', value: out };
}
