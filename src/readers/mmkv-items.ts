/**
 * The item parser of an MMKV data region: one placeholder varint, then `key_len key val_len
 * value` items until the region ends. It never throws and never reads past `end`: it returns
 * the complete items and, when it could not reach the end, where and why it stopped (a torn
 * tail, an impossible length). Interpreting that (damage, wrong key) is the decoder's job.
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

export interface ParsedItems {
  items: RawItem[];
  /** Where the last complete item ends (== end when the whole region parsed). */
  parsedEnd: number;
  stop?: ParseStop;
}

/**
 * Parses `buf[start, end)` as a data region (the placeholder is at `start`). `expiring`: every
 * non-empty value carries a 4-byte expiry stamp, so it is at least 5 bytes long.
 */
export function parseItems(buf: Uint8Array, start: number, end: number, expiring: boolean): ParsedItems {
  const items: RawItem[] = [];
  if (end <= start) return { items, parsedEnd: start };
  const pos = { at: start };
  if (readVarint32(buf, pos, end) === VARINT_BAD) {
    return { items, parsedEnd: start, stop: { at: start, reason: 'placeholder', detail: varintFailure(buf, start, end, 'placeholder') } };
  }
  let parsedEnd = pos.at;
  // Each pass consumes at least one byte, so the loop is bounded by the region length.
  while (pos.at < end) {
    const at = pos.at;
    const keyLen = readVarint32(buf, pos, end);
    if (keyLen === VARINT_BAD) return stopAt(items, parsedEnd, at, buf, end, 'key length');
    if (keyLen === 0) {
      // MMKV skips a zero key length byte by byte (zero padding during recovery).
      parsedEnd = pos.at;
      continue;
    }
    const keyStart = pos.at;
    const keyEnd = keyStart + keyLen;
    if (keyEnd > end) return torn(items, parsedEnd, at, `key of ${keyLen} bytes runs past the end (${end - keyStart} bytes left)`);
    pos.at = keyEnd;
    const valueLen = readVarint32(buf, pos, end);
    if (valueLen === VARINT_BAD) return stopAt(items, parsedEnd, at, buf, end, 'value length');
    const valueStart = pos.at;
    const valueEnd = valueStart + valueLen;
    if (valueEnd > end) return torn(items, parsedEnd, at, `value of ${valueLen} bytes runs past the end (${end - valueStart} bytes left)`);
    if (expiring && valueLen > 0 && valueLen < 5) {
      return { items, parsedEnd, stop: { at, reason: 'bad-expiry', detail: `value of ${valueLen} bytes cannot hold the 4-byte expiry stamp` } };
    }
    items.push({ at, keyStart, keyEnd, valueStart, valueEnd });
    pos.at = valueEnd;
    parsedEnd = valueEnd;
  }
  return { items, parsedEnd };
}

function torn(items: RawItem[], parsedEnd: number, at: number, detail: string): ParsedItems {
  return { items, parsedEnd, stop: { at, reason: 'torn', detail } };
}

function stopAt(items: RawItem[], parsedEnd: number, at: number, buf: Uint8Array, end: number, what: string): ParsedItems {
  const detail = varintFailure(buf, at, end, what);
  return { items, parsedEnd, stop: { at, reason: detail.includes('runs past') ? 'torn' : 'bad-length', detail } };
}

/** Why a varint failed: it ran out of bytes (torn) or is longer than 10 bytes / negative. */
function varintFailure(buf: Uint8Array, at: number, end: number, what: string): string {
  for (let i = at; i < end && i < at + 10; i++) {
    if (((buf[i] as number) & 0x80) === 0) return `${what} is negative or longer than 32 bits`;
  }
  return end - at < 10 ? `${what} runs past the end` : `${what} is longer than 10 bytes`;
}
