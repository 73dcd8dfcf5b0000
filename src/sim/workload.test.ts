import { describe, expect, it } from 'vitest';
import { Rng } from './prng.js';
import { pickFields } from './workload.js';

/** The picker as it was before the one- and two-field fast paths: splice, Map, sort. */
function reference(rng: Rng, fields: readonly string[], count: number, device: string, value: (d: string) => string): Record<string, unknown> {
  const names = fields.slice();
  const picked = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const name = names.splice(rng.int(names.length), 1)[0]!;
    picked.set(name, value(device));
  }
  const sorted: Record<string, unknown> = {};
  for (const k of picked.size > 1 ? [...picked.keys()].sort() : picked.keys()) sorted[k] = picked.get(k);
  return sorted;
}

describe('workload field picker', () => {
  it('draws the same fields, values and key order as the splice/Map/sort picker', () => {
    const lists = [['title', 'body', 'status'], ['a'], ['z', 'a'], ['b', 'a', 'b'], ['10', 'x', '2', 'é', 'E'], ['f1', 'f2', 'f3', 'f4', 'f5', 'f6']];
    let cases = 0;
    for (const fields of lists) {
      for (let count = 1; count <= fields.length; count++) {
        for (let seed = 1n; seed <= 40n; seed++) {
          let na = 0;
          let nb = 0;
          const a = new Rng(seed, 'workload');
          const b = new Rng(seed, 'workload');
          const got = pickFields(a, fields, count, 'd', (d) => `${d}#${++na}`);
          const want = reference(b, fields, count, 'd', (d) => `${d}#${++nb}`);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          expect(na).toBe(nb);
          // the streams stay in step afterwards
          expect(a.int(1_000_000)).toBe(b.int(1_000_000));
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(500);
  });
});
