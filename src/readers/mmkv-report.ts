/**
 * The `syncdoc mmkv` report: the contract both the table and `--json` are rendered from. One
 * instance gives `meta`, `integrity`, `entries` (key, type, value, rawHex, expireAt, …),
 * `removedKeys`, `collections` (summaries; the records are inside the entries' values), optional
 * `history` and `findings`. With redaction, free-text values are replaced by stable placeholders
 * and the raw bytes of any redacted value are withheld, since hex would give the text back.
 */
import { sortFindings, type Finding } from '../findings.js';
import { NO_REDACTION, type Redactor } from '../privacy/redact.js';
import { shareMmkvEntries, type MmkvInstance } from './mmkv.js';
import { summariseCollections, type CollectionSummary } from './values-collections.js';
import type { MmkvValue } from './values.js';

/** An instance as reported: the decoded instance with collection summaries instead of records. */
export type MmkvInstanceReport = Omit<MmkvInstance, 'collections' | 'jsonStores'> & { collections: CollectionSummary[] };

export interface MmkvReport {
  verdict: 'ok' | 'damaged';
  mode: 'file' | 'snapshot';
  instances: MmkvInstanceReport[];
  /** Snapshot-level findings (opening a folder/archive, instances that could not be read). */
  findings: Finding[];
}

export function buildMmkvReport(mode: 'file' | 'snapshot', instances: MmkvInstance[], findings: Finding[], redactor: Redactor): MmkvReport {
  const reports = instances.map((i) => instanceReport(i, redactor));
  const damaged = reports.some((r) => r.verdict === 'damaged') || findings.some((f) => f.severity === 'error');
  return { verdict: damaged ? 'damaged' : 'ok', mode, instances: reports, findings: sortFindings(findings) };
}

function instanceReport(inst: MmkvInstance, redactor: Redactor): MmkvInstanceReport {
  const out: MmkvInstanceReport = {
    verdict: inst.verdict,
    name: inst.name,
    meta: inst.meta,
    integrity: inst.integrity,
    entries: [],
    removedKeys: inst.removedKeys,
    collections: summariseCollections(inst.collections),
    findings: sortFindings(inst.findings),
  };
  // Unredacted entries are the instance's own, made only if read (--json writes them from bytes).
  if (redactor === NO_REDACTION) shareMmkvEntries(inst, out);
  else out.entries = inst.entries.map((e) => redactEntry(e, redactor));
  if (inst.store !== undefined) out.store = inst.store;
  if (inst.history !== undefined) out.history = inst.history.map((h) => redactEntry(h, redactor));
  return out;
}

/** Redacts a value by its key's name; withholds rawHex when anything was replaced. */
function redactEntry<T extends { key: string; value?: MmkvValue; rawHex: string | null }>(e: T, redactor: Redactor): T {
  if (e.value === undefined || (typeof e.value !== 'string' && !Array.isArray(e.value))) return e;
  const redacted = redactor.value(e.value, e.key) as MmkvValue;
  if (redacted === e.value || (Array.isArray(redacted) && JSON.stringify(redacted) === JSON.stringify(e.value))) return e;
  return { ...e, value: redacted, rawHex: e.rawHex === null ? null : `‹redacted ${e.rawHex.length / 2} bytes›` };
}
