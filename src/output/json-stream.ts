/**
 * Streaming JSON for documents too large to build as one string (a 200k-key MMKV store is
 * ~120 MB of JSON). It writes exactly what `renderJson` would (`JSON.stringify(doc, bigint →
 * decimal string, 2) + '\n'`), byte for byte, but serialises straight into fixed-size Buffer
 * chunks that go to the stream as they fill: no giant string, no re-stringified batches, no
 * string→Buffer copy of the whole output. Backpressure is honoured between array elements.
 */

import { fstatSync, writeSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';

const CHUNK_BYTES = 1 << 20;
const FIRST_CHUNK_BYTES = 1 << 14;
/** Strings up to a third of this (UTF-8 worst case) are escaped through the scratch buffer. */
const SCRATCH_BYTES = 1 << 17;
/** Strings up to this length are copied char by char: cheaper than a native write call. */
const SHORT = 32;
/** The skeleton walk (see `walk`) stops at this depth or at arrays this long. */
const MAX_ASYNC_DEPTH = 4;
const LONG_ARRAY = 64;
/** Chunks written but not yet released before the walk yields to let callbacks run. */
const MAX_IN_FLIGHT = 4;
/** JSON's two-char escapes for the ASCII controls that have one; the rest are \u00xx. */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };
const HEX_DIGITS = '0123456789abcdef';
/** Per 16-bit little-endian word of bytes: their four lowercase hex digits, as a little-endian word (built on first use). */
let hexQuads: Uint32Array | undefined;

function hexTable(): Uint32Array {
  if (hexQuads !== undefined) return hexQuads;
  const pairs = new Uint16Array(256);
  for (let b = 0; b < 256; b++) pairs[b] = HEX_DIGITS.charCodeAt(b >> 4) | (HEX_DIGITS.charCodeAt(b & 0xf) << 8);
  // Row by row: a plain inner loop, optimised early (the table is built in every large run).
  const quads = new Uint32Array(1 << 16);
  for (let hi = 0; hi < 256; hi++) {
    const high = (pairs[hi] as number) << 16;
    for (let lo = 0; lo < 256; lo++) quads[(hi << 8) | lo] = (pairs[lo] as number) | high;
  }
  hexQuads = quads;
  return quads;
}


/**
 * An array whose elements serialise themselves into the writer (e.g. straight from a file's bytes)
 * instead of being built as objects first. `toJSON` gives the same array for JSON.stringify: the
 * two must produce the same bytes. Marked by this symbol.
 */
export const JSON_ARRAY_SOURCE = Symbol('syncdoc.jsonArraySource');

export interface JsonArraySource {
  readonly [JSON_ARRAY_SOURCE]: true;
  readonly length: number;
  /** Writes element `index` (an array element at `depth`: its members are at depth + 1). */
  writeElement(w: JsonStreamWriter, index: number, depth: number): void;
  toJSON(): unknown[];
}

function isArraySource(v: unknown): v is JsonArraySource {
  return typeof v === 'object' && v !== null && (v as { [JSON_ARRAY_SOURCE]?: unknown })[JSON_ARRAY_SOURCE] === true;
}

/**
 * Writes the JSON escape of byte `b` (a control character, `"` or `\\`) at `c[p]`, as
 * JSON.stringify does (short forms, else lowercase `\\u00xx`); returns the position after it.
 */
function writeEscape(c: Uint8Array, p: number, b: number): number {
  c[p++] = 0x5c;
  if (b === 0x22 || b === 0x5c) c[p++] = b;
  else {
    const short = SHORT_ESCAPES[b];
    if (short !== undefined) c[p++] = short;
    else {
      c[p++] = 0x75;
      c[p++] = 0x30;
      c[p++] = 0x30;
      c[p++] = HEX_DIGITS.charCodeAt(b >> 4);
      c[p++] = HEX_DIGITS.charCodeAt(b & 0xf);
    }
  }
  return p;
}

/** The minimal Writable surface used (process.stdout, a file stream, a test sink). */
export interface JsonSink {
  /** `done` runs once the stream no longer needs `chunk` (as Writable's write callback does). */
  write(chunk: Uint8Array, done?: (err?: unknown) => void): boolean;
  once(event: 'drain' | 'error' | 'close', listener: (err?: unknown) => void): unknown;
  removeListener(event: 'drain' | 'error' | 'close', listener: (err?: unknown) => void): unknown;
  readonly destroyed?: boolean;
}

export class JsonStreamWriter {
  /** Small documents (most reports) never need a full chunk: the first one is small. */
  private chunk: Buffer = Buffer.allocUnsafe(FIRST_CHUNK_BYTES);
  /** `chunk` as a DataView, for the word-at-a-time writers. */
  private view = viewOf(this.chunk);
  /** The DataView of the last source buffer of writeUtf8String/writeHexString (one file's bytes). */
  private source: Uint8Array | undefined;
  private sourceView: DataView | undefined;
  private scratchBuffer: Buffer | undefined;
  private pos = 0;
  private blocked = false;
  /** Chunks handed to the stream whose write callback has not run yet, and those that have. */
  private inFlight = 0;
  private readonly spare: Buffer[] = [];
  /** Per depth: `,` / `\n` + indentation (see separator/closer). */
  private readonly sep: Buffer[] = [];
  private readonly close: Buffer[] = [];
  /**
   * Per depth and property name: the bytes before a member's value, `{\n  "name": ` for the first
   * member and `,\n  "name": ` for the others. A report repeats a few dozen names 200k times.
   */
  private readonly firstMember: Array<Map<string, Buffer>> = [];
  private readonly nextMember: Array<Map<string, Buffer>> = [];

  /**
   * `plainNames`: property names whose string values the caller guarantees need no escaping
   * (hex, decimal strings): they skip the escape scan. Half a large MMKV report is rawHex.
   */
  constructor(
    private readonly out: JsonSink,
    private readonly plainNames: ReadonlySet<string> = new Set(),
  ) {}

  /** Serialises a whole document and a trailing newline, then waits until the stream took it. */
  async document(value: unknown): Promise<void> {
    await this.walk(prepared(value, ''), 0);
    this.ascii('\n');
    this.flush();
    await this.relieve();
  }

  /** The same bytes as `document`, written synchronously (the sink must take them at once). */
  documentSync(value: unknown): void {
    this.value(prepared(value, ''), 0);
    this.ascii('\n');
    this.flush();
  }

  /**
   * The document's skeleton (the root, instances, short arrays near the root) is walked
   * asynchronously; the elements of long arrays (entries, findings) are serialised synchronously,
   * one at a time, and the stream may drain between them. Async per value would cost more than
   * the serialising itself.
   */
  private async walk(v: unknown, depth: number): Promise<void> {
    if (depth > MAX_ASYNC_DEPTH || v === null || typeof v !== 'object') return this.value(v, depth);
    if (isArraySource(v)) return this.walkSource(v, depth);
    if (Array.isArray(v)) {
      if (v.length === 0) return this.ascii('[]');
      this.ascii('[');
      const short = v.length < LONG_ARRAY;
      for (let i = 0; i < v.length; i++) {
        this.bytes(i === 0 ? this.closer(depth + 1) : this.separator(depth + 1));
        const x = prepared(v[i], i);
        if (short) await this.walk(x, depth + 1);
        else this.value(x, depth + 1);
        const paused = this.pause();
        if (paused !== undefined) await paused;
      }
      this.bytes(this.closer(depth));
      return this.ascii(']');
    }
    const o = v as Record<string, unknown>;
    let first = true;
    for (const k of Object.keys(o)) {
      const x = prepared(o[k], k);
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      this.bytes(this.member(depth, k, first));
      first = false;
      await this.walk(x, depth + 1);
    }
    if (first) return this.ascii('{}');
    this.bytes(this.closer(depth));
    this.ascii('}');
  }

  /**
   * An array source's elements. Its own function, not a branch of `walk`: V8 compiles a function
   * whose loop ran long (OSR) once more when it is called again, and `walk` is called again after
   * the entries, so the process ended waiting ~12 ms for that compile of a large `walk` to finish.
   */
  private async walkSource(v: JsonArraySource, depth: number): Promise<void> {
    // Length and separator read once: a source may have 200k elements.
    const n = v.length;
    if (n === 0) return this.ascii('[]');
    this.ascii('[');
    const separator = this.separator(depth + 1);
    for (let i = 0; i < n; i++) {
      this.writeBytes(i === 0 ? this.closer(depth + 1) : separator);
      v.writeElement(this, i, depth + 1);
      const paused = this.pause();
      if (paused !== undefined) await paused;
    }
    this.bytes(this.closer(depth));
    this.ascii(']');
  }

  /** One value at `depth`, synchronously (already `prepared`). */
  private value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        return this.string(v);
      case 'number':
        return this.number(v);
      case 'boolean':
        return this.ascii(v ? 'true' : 'false');
      case 'bigint':
        return this.string(v.toString());
      case 'object':
        break;
      default:
        // undefined, functions and symbols only reach here as array elements: JSON says null.
        return this.ascii('null');
    }
    if (v === null) return this.ascii('null');
    if (isArraySource(v)) {
      if (v.length === 0) return this.ascii('[]');
      this.ascii('[');
      for (let i = 0; i < v.length; i++) {
        this.bytes(i === 0 ? this.closer(depth + 1) : this.separator(depth + 1));
        v.writeElement(this, i, depth + 1);
      }
      this.bytes(this.closer(depth));
      return this.ascii(']');
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return this.ascii('[]');
      this.ascii('[');
      for (let i = 0; i < v.length; i++) {
        this.bytes(i === 0 ? this.closer(depth + 1) : this.separator(depth + 1));
        this.value(prepared(v[i], i), depth + 1);
      }
      this.bytes(this.closer(depth));
      return this.ascii(']');
    }
    const o = v as Record<string, unknown>;
    let first = true;
    for (const k of Object.keys(o)) {
      let x = o[k];
      // Most members are strings and numbers: skip the call that only objects and BigInts need.
      if (typeof x === 'string') {
        this.bytes(this.member(depth, k, first));
        first = false;
        if (this.plainNames.has(k)) this.quoted(x);
        else this.string(x);
        continue;
      }
      x = prepared(x, k);
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
      this.bytes(this.member(depth, k, first));
      first = false;
      this.value(x, depth + 1);
    }
    if (first) return this.ascii('{}');
    this.bytes(this.closer(depth));
    this.ascii('}');
  }

  /**
   * A JSON string. The text is UTF-8 encoded natively into a scratch buffer, then copied with
   * JSON's escapes in one byte loop (JSON-in-JSON values are full of quotes): cheaper than
   * JSON.stringify's new string per value, and than charCodeAt over sliced strings. Lone
   * surrogates (encoded as U+FFFD) fall back to JSON.stringify, which escapes them exactly.
   */
  private string(s: string): void {
    const n = s.length;
    if (n <= SHORT) return this.shortString(s);
    if (n * 3 > SCRATCH_BYTES) return this.text(JSON.stringify(s));
    const src = (this.scratchBuffer ??= Buffer.allocUnsafe(SCRATCH_BYTES));
    const len = src.write(s, 0, 'utf8');
    // Worst case: every byte a 6-byte \u00xx escape.
    this.room(len * 6 + 2);
    const c = this.chunk;
    const start = this.pos;
    let p = start;
    c[p++] = 0x22;
    for (let i = 0; i < len; i++) {
      const b = src[i] as number;
      if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
        if (b === 0xef && src[i + 1] === 0xbf && src[i + 2] === 0xbd) {
          // U+FFFD, or a lone surrogate replaced by the encoder: the exact rules decide.
          this.pos = start;
          return this.text(JSON.stringify(s));
        }
        c[p++] = b;
      } else p = writeEscape(c, p, b);
    }
    c[p++] = 0x22;
    this.pos = p;
  }

  /** A short string (keys, type names): char by char, no native call; non-ASCII is left to JSON.stringify. */
  private shortString(s: string): void {
    const n = s.length;
    this.room(n * 6 + 2);
    const c = this.chunk;
    const start = this.pos;
    let p = start;
    c[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const ch = s.charCodeAt(i);
      if (ch >= 0x20 && ch < 0x80 && ch !== 0x22 && ch !== 0x5c) c[p++] = ch;
      else {
        this.pos = start;
        return this.text(JSON.stringify(s));
      }
    }
    c[p++] = 0x22;
    this.pos = p;
  }

  /** A number as JSON writes it; int32 values (sizes, offsets) digit by digit, no string made. */
  private number(v: number): void {
    if ((v | 0) !== v || v === -2147483648) return this.ascii(Number.isFinite(v) ? String(v) : 'null');
    this.room(11);
    const c = this.chunk;
    let p = this.pos;
    let n = v;
    if (n < 0) {
      c[p++] = 0x2d;
      n = -n;
    }
    // Digits written from the last one back: count them first.
    let digits = 1;
    for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
    p += digits;
    for (let i = p - 1; ; i--) {
      const q = (n / 10) | 0;
      c[i] = 0x30 + n - q * 10;
      if (q === 0) break;
      n = q;
    }
    this.pos = p;
  }

  /** A string that needs no escaping, in quotes. */
  private quoted(s: string): void {
    this.room(s.length * 3 + 2);
    this.chunk[this.pos++] = 0x22;
    this.text(s);
    this.room(1);
    this.chunk[this.pos++] = 0x22;
  }

  /** Any text, UTF-8 encoded. */
  private text(s: string): void {
    const n = s.length;
    if (n <= SHORT) {
      this.room(n * 3);
      const c = this.chunk;
      let p = this.pos;
      for (let i = 0; i < n; i++) {
        const ch = s.charCodeAt(i);
        if (ch >= 0x80) {
          this.pos += c.write(s, this.pos, 'utf8');
          return;
        }
        c[p++] = ch;
      }
      this.pos = p;
      return;
    }
    if (n * 3 > CHUNK_BYTES) {
      // Larger than a chunk: its own buffer, after what is pending.
      this.flush();
      this.push(Buffer.from(s, 'utf8'));
      return;
    }
    this.room(n * 3);
    this.pos += this.chunk.write(s, this.pos, 'utf8');
  }

  /** Text known to be ASCII (punctuation, numbers, literals). */
  private ascii(s: string): void {
    this.room(s.length);
    const c = this.chunk;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) c[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  private bytes(b: Buffer): void {
    if (b.length > CHUNK_BYTES) {
      // A property name longer than a chunk (inside some decoded value): written on its own.
      this.flush();
      this.push(b);
      return;
    }
    this.room(b.length);
    const c = this.chunk;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) c[p++] = b[i] as number;
    this.pos = p;
  }

  // The fragment API of JsonArraySource elements: the pieces of an object, written in order.

  /** `{` and the first member's name, or `,` and a later one's, for an object at `depth`. */
  writeMember(depth: number, name: string, first: boolean): void {
    this.bytes(this.member(depth, name, first));
  }

  /** Closes an object at `depth` that has members. */
  writeObjectEnd(depth: number): void {
    this.bytes(this.closer(depth));
    this.ascii('}');
  }

  /** Any JSON value, as the document walk writes it (`prepared` first). */
  writeValue(v: unknown, depth: number): void {
    this.value(prepared(v, ''), depth);
  }

  writeNumber(v: number): void {
    this.number(v);
  }

  writeLiteral(s: 'true' | 'false' | 'null'): void {
    this.ascii(s);
  }

  /**
   * A JSON string whose text is `buf[start, end)`, which must be valid UTF-8 (no lone surrogates
   * can occur in it): the bytes are copied with JSON.stringify's escapes, no string is made.
   */
  writeUtf8String(buf: Uint8Array, start: number, end: number): void {
    this.room(2);
    this.chunk[this.pos++] = 0x22;
    const src = this.viewOfSource(buf);
    let i = start;
    while (i < end) {
      // Room for the worst case (a 6-byte escape per byte) of the next stretch.
      this.room(6);
      const c = this.chunk;
      const out = this.view;
      let p = this.pos;
      const stop = Math.min(end, i + Math.floor((c.length - p) / 6));
      // Four bytes at a time while none needs an escape (runs of text), else one: JSON-in-JSON
      // values have a quote every few bytes, so a native copy per run cost more than it saved.
      while (i < stop) {
        if (i + 4 <= stop) {
          const x = src.getUint32(i, true);
          // Does a byte need an escape (< 0x20, `"` or `\\`)? The "has a byte less than n" and
          // "has a zero byte" word tests, exact for whether any byte matches. Written out here:
          // a call per word is most of this loop's cost while it still runs unoptimised.
          const quote = x ^ 0x22222222;
          const backslash = x ^ 0x5c5c5c5c;
          if (((((x - 0x20202020) & ~x) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) === 0) {
            out.setUint32(p, x, true);
            p += 4;
            i += 4;
            continue;
          }
        }
        const b = buf[i++] as number;
        if (b >= 0x20 && b !== 0x22 && b !== 0x5c) c[p++] = b;
        else p = writeEscape(c, p, b);
      }
      this.pos = p;
    }
    this.room(1);
    this.chunk[this.pos++] = 0x22;
  }

  /** Bytes of JSON text as they are (templates of a source's fixed parts). */
  writeBytes(b: Buffer): void {
    if (b.length > CHUNK_BYTES) return this.bytes(b);
    this.room(b.length);
    this.chunk.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * A JSON string of the lowercase hex of `buf[start, end)`, written in place: four digits per
   * table lookup, no string made (a 200k-key store has 64 MB of hex; strings of it cost
   * allocation, GC and a native call per value).
   */
  writeHexString(buf: Uint8Array, start: number, end: number): void {
    const quads = hexTable();
    const src = this.viewOfSource(buf);
    this.room(1);
    this.chunk[this.pos++] = 0x22;
    let i = start;
    while (i < end) {
      this.room(8);
      const out = this.view;
      let p = this.pos;
      const stop = Math.min(end, i + ((this.chunk.length - p) >> 1));
      for (; i + 4 <= stop; i += 4) {
        const x = src.getUint32(i, true);
        out.setUint32(p, quads[x & 0xffff] as number, true);
        out.setUint32(p + 4, quads[x >>> 16] as number, true);
        p += 8;
      }
      for (; i < stop; i++) {
        out.setUint16(p, quads[buf[i] as number] as number, true);
        p += 2;
      }
      this.pos = p;
    }
    this.room(1);
    this.chunk[this.pos++] = 0x22;
  }

  /** The bytes before a member's value (an object at `depth`, member at depth + 1). */
  private member(depth: number, k: string, first: boolean): Buffer {
    const cache = first ? this.firstMember : this.nextMember;
    const byName = (cache[depth] ??= new Map());
    let b = byName.get(k);
    if (b === undefined) {
      b = Buffer.from((first ? '{\n' : ',\n') + '  '.repeat(depth + 1) + JSON.stringify(k) + ': ', 'utf8');
      // Report field names are few; names inside decoded JSON values may not be: bounded.
      if (byName.size < 1024) byName.set(k, b);
    }
    return b;
  }

  /** `,` + newline + the indentation of an element at `depth`. */
  private separator(depth: number): Buffer {
    return (this.sep[depth] ??= Buffer.from(',\n' + '  '.repeat(depth), 'latin1'));
  }

  /** Newline + indentation at `depth` (before a first element, or a closing bracket). */
  private closer(depth: number): Buffer {
    return (this.close[depth] ??= Buffer.from('\n' + '  '.repeat(depth), 'latin1'));
  }

  private setChunk(b: Buffer): void {
    this.chunk = b;
    this.view = viewOf(b);
  }

  private viewOfSource(buf: Uint8Array): DataView {
    if (buf !== this.source || this.sourceView === undefined) {
      this.source = buf;
      this.sourceView = viewOf(buf);
    }
    return this.sourceView;
  }

  /**
   * Makes room for `n` bytes. Every writer goes through here to reach flush(): one call site that
   * the first (small) chunk exercises early, so optimised writers inline it with feedback instead
   * of deoptimising at the first full chunk after they were optimised.
   */
  private room(n: number): void {
    if (this.pos + n > this.chunk.length) this.flush();
  }

  private flush(): void {
    if (this.pos === 0) {
      // Nothing to write, but the caller needs room: the small first chunk makes way.
      if (this.chunk.length < CHUNK_BYTES) this.setChunk(Buffer.allocUnsafe(CHUNK_BYTES));
      return;
    }
    const full = this.chunk;
    // The stream may hold a chunk until its write callback: only then is it reused. Fresh
    // memory for every MB of a 120 MB document would cost a page fault per 4 KiB.
    this.inFlight++;
    const done = (): void => {
      this.inFlight--;
      if (full.length === CHUNK_BYTES) this.spare.push(full);
    };
    if (!this.out.write(full.subarray(0, this.pos), done)) this.blocked = true;
    this.setChunk(this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES));
    this.pos = 0;
  }

  /** Between elements: wait for 'drain', or let write callbacks return chunks for reuse. */
  private pause(): Promise<void> | undefined {
    if (this.blocked) return this.relieve();
    if (this.inFlight >= MAX_IN_FLIGHT) return new Promise((resolve) => setImmediate(resolve));
    return undefined;
  }

  private push(b: Buffer): void {
    if (!this.out.write(b)) this.blocked = true;
  }

  /**
   * Waits for 'drain' when the stream asked for it. A stream error (EPIPE) or a stream closed
   * before draining rejects: otherwise the wait would never end and the process would exit 0
   * with its output cut short.
   */
  private relieve(): Promise<void> {
    if (!this.blocked) return Promise.resolve();
    if (this.out.destroyed === true) return Promise.reject(new Error('the output stream was closed before the JSON was written'));
    return new Promise((resolve, reject) => {
      const settle = (err?: unknown): void => {
        this.out.removeListener('drain', onDrain);
        this.out.removeListener('error', onError);
        this.out.removeListener('close', onClose);
        if (err === undefined) {
          this.blocked = false;
          resolve();
        } else reject(err instanceof Error ? err : new Error(String(err)));
      };
      const onDrain = (): void => settle();
      const onError = (err?: unknown): void => settle(err ?? new Error('output stream error'));
      const onClose = (): void => settle(new Error('the output stream was closed before the JSON was written'));
      this.out.once('drain', onDrain);
      this.out.once('error', onError);
      this.out.once('close', onClose);
    });
  }
}

/**
 * What JSON.stringify would serialise for `v`: `toJSON(key)` applied (the key as a string, an
 * index converted only then), boxed primitives unboxed, BigInt as a decimal string.
 */
function prepared(v: unknown, key: string | number): unknown {
  if (v !== null && typeof v === 'object') {
    if (isArraySource(v)) return v;
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(key: string): unknown }).toJSON(String(key));
    else if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
  }
  return typeof v === 'bigint' ? v.toString() : v;
}

/** `renderJson`'s bytes of `doc`, synchronously in one Buffer (tests, small documents). */
export function jsonStreamBytes(doc: unknown, plainNames?: ReadonlySet<string>): Buffer {
  const parts: Buffer[] = [];
  const sink: JsonSink = {
    write(chunk, done) {
      parts.push(Buffer.from(chunk));
      done?.();
      return true;
    },
    once: () => sink,
    removeListener: () => sink,
  };
  new JsonStreamWriter(sink, plainNames).documentSync(doc);
  return Buffer.concat(parts);
}

/**
 * A sink writing straight to fd 1 when stdout is a regular file or a non-terminal character
 * device (/dev/null): Node writes those synchronously anyway (SyncWriteStream), but through the
 * stream each chunk waits for a deferred callback and a 'drain' before the walk goes on. Pipes,
 * sockets and terminals get undefined: process.stdout handles them.
 */
function stdoutFileSink(): JsonSink | undefined {
  let st: Stats;
  try {
    st = fstatSync(1);
  } catch {
    return undefined;
  }
  if (!st.isFile() && !(st.isCharacterDevice() && !isatty(1))) return undefined;
  const sink: JsonSink = {
    write(chunk, done) {
      for (let off = 0; off < chunk.length; ) off += writeSync(1, chunk, off);
      done?.();
      return true;
    },
    once: () => sink,
    removeListener: () => sink,
  };
  return sink;
}

/** `renderJson`'s document, streamed to `out` (by default stdout: fd 1 directly when it is a file). */
export async function writeJsonStream(doc: unknown, out: JsonSink = stdoutFileSink() ?? process.stdout, plainNames?: ReadonlySet<string>): Promise<void> {
  await new JsonStreamWriter(out, plainNames).document(doc);
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
