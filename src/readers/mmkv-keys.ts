/**
 * Append-log semantics over parsed items, by key bytes: the later item of a key wins and an empty
 * value deletes it. Keys are compared as raw bytes (as MMKV compares them) in an open-addressing
 * table of item indices, so no key string is made for the hundreds of thousands of items of a
 * large store; strings are made later, only for what is shown.
 */
import type { ParsedItems } from './mmkv-items.js';

export interface KeyIndex {
  /** 1 at the index of each key's winning item when it holds a value (a live entry). */
  isLive: Uint8Array;
  liveCount: number;
  /** An item (the first deletion) of each key whose last item is a deletion, in the order keys were first deleted. */
  removed: number[];
}

export function indexKeys(buf: Uint8Array, items: ParsedItems): KeyIndex {
  const n = items.count;
  const { keyStart, keyEnd, valueStart, valueEnd } = items;
  // At most half full: every probe sequence reaches an empty slot, so each lookup is bounded.
  let cap = 16;
  while (cap < n * 2) cap *= 2;
  const mask = cap - 1;
  // Per slot: [the key's last item so far + 1 (0 = empty), hash], side by side (one cache line
  // per probe); the hash ends most probes without touching the key bytes. The table is all the
  // state there is (no per-key arrays): fresh memory is megabytes of page faults on a large store.
  const slots = new Int32Array(cap * 2);
  const isLive = new Uint8Array(n);
  // Keys ever deleted (rare): slot → the key's first deletion.
  const firstDeletion = new Map<number, number>();
  let liveCount = 0;
  for (let i = 0; i < n; i++) {
    const ks = keyStart[i] as number;
    const ke = keyEnd[i] as number;
    // FNV-1a over the key's 32-bit little-endian words (a quarter of the steps of a byte loop),
    // then the last bytes; a final mix brings the high bits into the low ones the mask keeps
    // (a word's upper bytes only reach bits above their own through the multiply).
    let h = 0x811c9dc5;
    let p = ks;
    for (; p + 4 <= ke; p += 4) {
      h = Math.imul(h ^ ((buf[p] as number) | ((buf[p + 1] as number) << 8) | ((buf[p + 2] as number) << 16) | ((buf[p + 3] as number) << 24)), 0x01000193);
    }
    for (; p < ke; p++) h = Math.imul(h ^ (buf[p] as number), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    let slot = h & mask;
    for (;;) {
      const prev = (slots[2 * slot] as number) - 1;
      if (prev === -1) break;
      if (slots[2 * slot + 1] === h && sameBytes(buf, prev, ks, ke, keyStart, keyEnd)) {
        // A later item of the key: it replaces the previous one.
        if (isLive[prev] === 1) {
          isLive[prev] = 0;
          liveCount--;
        }
        break;
      }
      slot = (slot + 1) & mask;
    }
    slots[2 * slot] = i + 1;
    slots[2 * slot + 1] = h;
    if (valueEnd[i] !== valueStart[i]) {
      isLive[i] = 1;
      liveCount++;
    } else if (!firstDeletion.has(slot)) firstDeletion.set(slot, i);
  }
  const removed: number[] = [];
  for (const [slot, deletion] of firstDeletion) {
    const last = (slots[2 * slot] as number) - 1;
    if (isLive[last] === 0) removed.push(deletion);
  }
  removed.sort((a, b) => a - b);
  return { isLive, liveCount, removed };
}

function sameBytes(buf: Uint8Array, item: number, ks: number, ke: number, keyStart: Uint32Array, keyEnd: Uint32Array): boolean {
  const os = keyStart[item] as number;
  if ((keyEnd[item] as number) - os !== ke - ks) return false;
  for (let p = ks, q = os; p < ke; p++, q++) if (buf[p] !== buf[q]) return false;
  return true;
}
