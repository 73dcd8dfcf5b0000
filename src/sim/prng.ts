/**
 * The simulator's only source of randomness: xoroshiro128+ from pure-rand, seeded from a 64-bit
 * run seed and a subsystem label, so every subsystem (network, workload, each device's backoff)
 * draws from its own stream and a draw added in one never shifts another. Every decision is an
 * integer: uniform integers by rejection sampling, probabilities as exact ratios `n/d`.
 * Nothing here reads the clock or the environment.
 */
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/** A probability as an exact ratio of integers, `num/den` with 0 ≤ num ≤ den, den > 0. */
export interface Ratio {
  num: number;
  den: number;
}

export const NEVER: Ratio = { num: 0, den: 1 };

const RATIO_RE = /^(\d{1,9})\/(\d{1,9})$/;

/** Parses `"n/d"`; returns undefined when malformed or not a probability (callers build the error). */
export function parseRatio(text: string): Ratio | undefined {
  const m = RATIO_RE.exec(text);
  if (!m) return undefined;
  const num = Number(m[1]);
  const den = Number(m[2]);
  if (den === 0 || num > den) return undefined;
  return { num, den };
}

export function formatRatio(r: Ratio): string {
  return `${r.num}/${r.den}`;
}

const MASK32 = 0xffffffffn;

/** splitmix32-style finaliser: a bijective 32-bit mix used only to spread seed words. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/** FNV-1a over the UTF-16 code units of a label: stable across machines and Node versions. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

export class Rng {
  private readonly gen: ReturnType<typeof xoroshiro128plusFromState>;

  constructor(seed: bigint, label: string) {
    const lo = Number(seed & MASK32) | 0;
    const hi = Number((seed >> 32n) & MASK32) | 0;
    const l = hashLabel(label);
    // Four state words, never all zero (xoroshiro's one forbidden state): mix32 is a bijection
    // and the words differ by construction, so at most one of them can be zero.
    const s0 = mix32(lo ^ l);
    const s1 = mix32(hi ^ mix32(l));
    const s2 = mix32(s0 ^ 0x3c6ef372);
    const s3 = mix32(s1 ^ 0x5be0cd19) | 1;
    this.gen = xoroshiro128plusFromState([s0, s1, s2, s3]);
    // discard the first outputs: xoroshiro's early outputs are weakly mixed for similar states
    for (let i = 0; i < 8; i++) this.gen.next();
  }

  /** A uniform integer in [0, n), 1 ≤ n ≤ 2^32, unbiased (rejection sampling). */
  int(n: number): number {
    if (n <= 1) return 0;
    for (;;) {
      const u = this.gen.next() >>> 0;
      // Accepted below the rejection limit 2^32 − (2^32 mod n). As 2^32 mod n < n, every
      // u ≤ 2^32 − n is below it: only the top n values need the limit itself (a float modulo),
      // so streams that switch ranges at every draw (the workload) no longer pay it per draw.
      // `u % n` by division: u ≥ 2^31 is no small integer, so `%` would be a float modulo (a call
      // into fmod); u/n of integers below 2^32 is never rounded up to the next integer, so the
      // floor is exact and so is the remainder
      if (u <= 0x100000000 - n || u < 0x100000000 - (0x100000000 % n)) return u - Math.floor(u / n) * n;
    }
  }

  /** A uniform integer in [min, max] (inclusive). */
  between(min: number, max: number): number {
    return max <= min ? min : min + this.int(max - min + 1);
  }

  /** True with probability exactly `r.num / r.den`. */
  chance(r: Ratio): boolean {
    if (r.num === 0) return false;
    if (r.num >= r.den) return true;
    return this.int(r.den) < r.num;
  }

  /** An index drawn with integer weights given as a prefix-sum table (last entry = total). */
  weighted(prefix: readonly number[], count = prefix.length): number {
    const total = prefix[count - 1] ?? 0;
    const x = this.int(total);
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((prefix[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Parses a decimal seed string into an unsigned 64-bit integer, or undefined. */
export function parseSeed(text: string): bigint | undefined {
  if (!/^\d{1,20}$/.test(text)) return undefined;
  const v = BigInt(text);
  return v <= 0xffffffffffffffffn ? v : undefined;
}
