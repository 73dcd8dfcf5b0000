/**
 * The item parser of an MMKV data region: one placeholder varint, then `key_len key val_len
 * value` items until the region ends. It never throws and never reads past `end`: it returns
 * the complete items and, when it could not reach the end, where and why it stopped (a torn
 * tail, an impossible length). Interpreting that (damage, wrong key) is the decoder's job.
 *
 * Items are kept as columns of offsets (typed arrays), not one object per item: a 32 MB store
 * holds hundreds of thousands of items, and their objects cost more (allocation, GC) than parsing.
 */
import { readVarint32, VARINT_BAD } from './mmkv-bytes.js';

/** One physical item; offsets are into the parsed buffer (the file offset is `base + at`). */
export interface RawItem {
  at: number;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

export type StopReason = 'placeholder' | 'torn' | 'bad-length' | 'bad-expiry';

export interface ParseStop {
  /** Offset (in the parsed buffer) of the item that could not be read. */
  at: number;
  reason: StopReason;
  detail: string;
}

/**
 * The complete items, item `i` in file order at index `i` of each column (only the first `count`
 * entries of a column are items). Buffers handed to the parser are < 2^32 bytes (Node's limit).
 */
export interface ParsedItems {
  count: number;
  at: Uint32Array;
  keyStart: Uint32Array;
  keyEnd: Uint32Array;
  valueStart: Uint32Array;
  valueEnd: Uint32Array;
  /** Where the last complete item ends (== end when the whole region parsed). */
  parsedEnd: number;
  stop?: ParseStop;
}

/** Item `i` as an object (for the rare paths that want one). */
export function itemAt(p: ParsedItems, i: number): RawItem {
  return { at: p.at[i] as number, keyStart: p.keyStart[i] as number, keyEnd: p.keyEnd[i] as number, valueStart: p.valueStart[i] as number, valueEnd: p.valueEnd[i] as number };
}

/** Columns that grow by doubling while the parser appends. */
class ItemColumns {
  count = 0;
  at: Uint32Array;
  keyStart: Uint32Array;
  keyEnd: Uint32Array;
  valueStart: Uint32Array;
  valueEnd: Uint32Array;

  constructor(capacity: number) {
    this.at = new Uint32Array(capacity);
    this.keyStart = new Uint32Array(capacity);
    this.keyEnd = new Uint32Array(capacity);
    this.valueStart = new Uint32Array(capacity);
    this.valueEnd = new Uint32Array(capacity);
  }

  push(at: number, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number): void {
    const i = this.count;
    if (i === this.at.length) this.grow();
    this.at[i] = at;
    this.keyStart[i] = keyStart;
    this.keyEnd[i] = keyEnd;
    this.valueStart[i] = valueStart;
    this.valueEnd[i] = valueEnd;
    this.count = i + 1;
  }

  private grow(): void {
    const n = this.at.length * 2;
    const bigger = (a: Uint32Array): Uint32Array => {
      const b = new Uint32Array(n);
      b.set(a);
      return b;
    };
    this.at = bigger(this.at);
    this.keyStart = bigger(this.keyStart);
    this.keyEnd = bigger(this.keyEnd);
    this.valueStart = bigger(this.valueStart);
    this.valueEnd = bigger(this.valueEnd);
  }

  done(parsedEnd: number, stop?: ParseStop): ParsedItems {
    const out: ParsedItems = { count: this.count, at: this.at, keyStart: this.keyStart, keyEnd: this.keyEnd, valueStart: this.valueStart, valueEnd: this.valueEnd, parsedEnd };
    if (stop !== undefined) out.stop = stop;
    return out;
  }
}

/**
 * Parses `buf[start, end)` as a data region (the placeholder is at `start`). `expiring`: every
 * non-empty value carries a 4-byte expiry stamp, so it is at least 5 bytes long.
 */
export function parseItems(buf: Uint8Array, start: number, end: number, expiring: boolean): ParsedItems {
  // A first guess of ~150 bytes per item; the columns double when it is short.
  const items = new ItemColumns(Math.max(16, Math.min(1 << 20, Math.ceil((end - start) / 150))));
  if (end <= start) return items.done(start);
  const pos = { at: start };
  if (readVarint32(buf, pos, end) === VARINT_BAD) {
    return items.done(start, { at: start, reason: 'placeholder', detail: varintFailure(buf, start, end, 'placeholder') });
  }
  let parsedEnd = pos.at;
  // Each pass consumes at least one byte, so the loop is bounded by the region length.
  while (pos.at < end) {
    const at = pos.at;
    // One-byte lengths (every key in practice) inline: a call per varint is most of the parse
    // while the loop still runs unoptimised, early in every run.
    const first = buf[at] as number;
    let keyLen: number;
    if (first < 0x80) {
      keyLen = first;
      pos.at = at + 1;
    } else keyLen = readVarint32(buf, pos, end);
    if (keyLen === VARINT_BAD) return stopAt(items, parsedEnd, at, buf, end, 'key length');
    if (keyLen === 0) {
      // MMKV skips a zero key length byte by byte (zero padding during recovery).
      parsedEnd = pos.at;
      continue;
    }
    const keyStart = pos.at;
    const keyEnd = keyStart + keyLen;
    if (keyEnd > end) return items.done(parsedEnd, { at, reason: 'torn', detail: `key of ${keyLen} bytes runs past the end (${end - keyStart} bytes left)` });
    pos.at = keyEnd;
    let valueLen: number;
    if (keyEnd < end && (buf[keyEnd] as number) < 0x80) {
      valueLen = buf[keyEnd] as number;
      pos.at = keyEnd + 1;
    } else valueLen = readVarint32(buf, pos, end);
    if (valueLen === VARINT_BAD) return stopAt(items, parsedEnd, at, buf, end, 'value length');
    const valueStart = pos.at;
    const valueEnd = valueStart + valueLen;
    if (valueEnd > end) return items.done(parsedEnd, { at, reason: 'torn', detail: `value of ${valueLen} bytes runs past the end (${end - valueStart} bytes left)` });
    if (expiring && valueLen > 0 && valueLen < 5) {
      return items.done(parsedEnd, { at, reason: 'bad-expiry', detail: `value of ${valueLen} bytes cannot hold the 4-byte expiry stamp` });
    }
    items.push(at, keyStart, keyEnd, valueStart, valueEnd);
    pos.at = valueEnd;
    parsedEnd = valueEnd;
  }
  return items.done(parsedEnd);
}

function stopAt(items: ItemColumns, parsedEnd: number, at: number, buf: Uint8Array, end: number, what: string): ParsedItems {
  const detail = varintFailure(buf, at, end, what);
  return items.done(parsedEnd, { at, reason: detail.includes('runs past') ? 'torn' : 'bad-length', detail });
}

/** Why a varint failed: it ran out of bytes (torn) or is longer than 10 bytes / negative. */
function varintFailure(buf: Uint8Array, at: number, end: number, what: string): string {
  for (let i = at; i < end && i < at + 10; i++) {
    if (((buf[i] as number) & 0x80) === 0) return `${what} is negative or longer than 32 bits`;
  }
  return end - at < 10 ? `${what} runs past the end` : `${what} is longer than 10 bytes`;
}
