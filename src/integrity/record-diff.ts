/**
 * Field-level diff of two copies of one record, on their canonical forms: a field differs when its
 * canonical value text differs, so `4` vs `4.0`, seconds vs ms or NFD vs NFC text never show up
 * as differences unless the rules say they should. Values are returned as canonical text.
 */
import { canonicalFields, type CanonicalRules, type LogicalRecord } from './canonical.js';

export interface FieldDifference {
  field: string;
  /** Canonical value text on side a; absent when the field is absent (or null, by the null rule). */
  a?: string;
  b?: string;
}

export function diffFields(a: LogicalRecord, b: LogicalRecord, rules: CanonicalRules): FieldDifference[] {
  const fa = canonicalFields(a.fields, rules);
  const fb = canonicalFields(b.fields, rules);
  const names = [...new Set([...fa.keys(), ...fb.keys()])].sort();
  const out: FieldDifference[] = [];
  for (const field of names) {
    const va = fa.get(field);
    const vb = fb.get(field);
    if (va === vb) continue;
    const d: FieldDifference = { field };
    if (va !== undefined) d.a = va;
    if (vb !== undefined) d.b = vb;
    out.push(d);
  }
  return out;
}
