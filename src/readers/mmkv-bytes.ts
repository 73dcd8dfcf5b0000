/**
 * The primitive encodings of MMKV files: base-128 varints (no zigzag) and text that is either
 * standard UTF-8 or the JNI "modified UTF-8" that MMKV's Android Java API writes. Every reader
 * here is bounded by the buffer end and by the encoding's maximum length (10 varint bytes), and
 * reports failure as a sentinel instead of throwing, so the item parser can decide what a bad
 * byte means (torn tail, corruption, wrong key).
 */
import { isAscii, isUtf8 } from 'node:buffer';

/** Returned by the 32-bit varint reader when the bytes are truncated, too long or negative. */
export const VARINT_BAD = -1;

/** The varint32 MMKV writes before keys and values (for the stores tests and benchmarks generate). */
export function encodeVarint32(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

/**
 * Reads a varint as MMKV's 32-bit reader does: up to 10 bytes, low 32 bits kept. A length whose
 * bit 31 is set is negative in MMKV's int32 and therefore corruption. Returns VARINT_BAD or the
 * value; the cursor position is written to `pos.at`.
 */
export function readVarint32(buf: Uint8Array, pos: { at: number }, end: number): number {
  let at = pos.at;
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (at >= end) return VARINT_BAD;
    const b = buf[at++] as number;
    if (shift < 32) result |= (b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) === 0) {
      pos.at = at;
      return result < 0 ? VARINT_BAD : result;
    }
  }
  return VARINT_BAD;
}

/**
 * Reads a varint as an unsigned 64-bit BigInt (protobuf semantics: bits beyond 64 are dropped).
 * Returns undefined when truncated or longer than 10 bytes.
 */
export function readVarint64(buf: Uint8Array, pos: { at: number }, end: number): bigint | undefined {
  let at = pos.at;
  // Two 32-bit halves keep the hot path free of BigInt arithmetic.
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (at >= end) return undefined;
    const b = buf[at++] as number;
    const bits = b & 0x7f;
    const shift = i * 7;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= (bits & 0x0f) << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (shift - 32);
    if ((b & 0x80) === 0) {
      pos.at = at;
      return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    }
  }
  return undefined;
}

export type TextEncoding = 'utf-8' | 'modified-utf-8';

/** Above this length the native (SIMD) ASCII check beats a JS byte loop, view included. */
const NATIVE_ASCII_MIN = 48;

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
}

/**
 * Decodes text bytes: strict UTF-8 first, then modified UTF-8 (surrogate pairs written as two
 * 3-byte sequences, U+0000 as `c0 80`). Returns undefined when neither fits.
 */
export function decodeText(bytes: Uint8Array): DecodedText | undefined {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeTextAt(buf, 0, buf.length);
}

/**
 * decodeText over `buf[start, end)` without making a view for the common (ASCII) case; `latin1`
 * (buf as latin1 from offset 0), when given, serves ASCII text as a slice of one shared string.
 */
export function decodeTextAt(buf: Buffer, start: number, end: number, latin1?: string): DecodedText | undefined {
  let ascii = true;
  if (end - start > NATIVE_ASCII_MIN) ascii = isAscii(buf.subarray(start, end));
  else {
    for (let i = start; i < end; i++) {
      if ((buf[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
  }
  if (ascii) return { text: latin1 === undefined ? buf.toString('latin1', start, end) : latin1.slice(start, end), encoding: 'utf-8' };
  const view = buf.subarray(start, end);
  if (isUtf8(view)) return { text: buf.toString('utf8', start, end), encoding: 'utf-8' };
  const text = decodeModifiedUtf8(view);
  return text === undefined ? undefined : { text, encoding: 'modified-utf-8' };
}

/** Modified UTF-8 (JNI GetStringUTFChars) → string; undefined on any malformed sequence. */
export function decodeModifiedUtf8(bytes: Uint8Array): string | undefined {
  const units: number[] = [];
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b0 = bytes[i] as number;
    if (b0 < 0x80) {
      units.push(b0);
      i += 1;
    } else if ((b0 & 0xe0) === 0xc0) {
      const b1 = bytes[i + 1];
      if (b1 === undefined || (b1 & 0xc0) !== 0x80) return undefined;
      const cp = ((b0 & 0x1f) << 6) | (b1 & 0x3f);
      // Overlong forms are only legal for NUL (c0 80), the one modified-UTF-8 special case.
      if (cp < 0x80 && cp !== 0) return undefined;
      units.push(cp);
      i += 2;
    } else if ((b0 & 0xf0) === 0xe0) {
      const b1 = bytes[i + 1];
      const b2 = bytes[i + 2];
      if (b1 === undefined || b2 === undefined || (b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80) return undefined;
      const cp = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      if (cp < 0x800) return undefined;
      units.push(cp); // surrogate halves are kept as UTF-16 units and pair up naturally
      i += 3;
    } else if ((b0 & 0xf8) === 0xf0) {
      // Not produced by JNI, but a string mixing both forms is still readable text.
      const b1 = bytes[i + 1];
      const b2 = bytes[i + 2];
      const b3 = bytes[i + 3];
      if (b1 === undefined || b2 === undefined || b3 === undefined) return undefined;
      if ((b1 & 0xc0) !== 0x80 || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80) return undefined;
      const cp = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return undefined;
      const v = cp - 0x10000;
      units.push(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      i += 4;
    } else return undefined;
  }
  // Lone surrogates are not text: a pair must be high followed by low.
  for (let k = 0; k < units.length; k++) {
    const u = units[k] as number;
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = units[k + 1];
      if (next === undefined || next < 0xdc00 || next > 0xdfff) return undefined;
      k++;
    } else if (u >= 0xdc00 && u <= 0xdfff) return undefined;
  }
  let out = '';
  for (let k = 0; k < units.length; k += 4096) out += String.fromCharCode(...units.slice(k, k + 4096));
  return out;
}

/** A key or text for display when its bytes are not text at all: `\xNN` escapes for non-ASCII. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
  return out;
}
