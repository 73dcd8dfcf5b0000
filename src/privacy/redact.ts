/**
 * `--redact`: replaces free text (notes, titles, bodies, transcripts, payload strings, error
 * messages) with stable placeholders, keeping what a sync diagnosis needs readable: ids, keys,
 * timestamps, counts, statuses, enums, booleans. One `Redactor` gives the same placeholder to the
 * same text every time (`‹text-3›`), so duplicates stay visible without showing the words; the
 * numbering follows first appearance, so the same input rendered the same way redacts identically.
 * Placeholders carry no hash of the text, so short texts cannot be recovered by guessing.
 * JSON inside strings (outbox payloads, redux-persist slices) is parsed and redacted field by field.
 */

export interface Redactor {
  /** Always returns a placeholder for a non-empty string (empty stays empty). */
  text(value: string): string;
  /**
   * Redacts a JSON-ish value by key-name and shape rules; `key` is the field the value sits under.
   * Objects and arrays are copied, never mutated.
   */
  value(value: unknown, key?: string): unknown;
}

/** Field names whose values identify, count, order or classify: never free text. */
const KEEP_KEY =
  /^(_?id|uuid|guid|key|_status|_changed|seq|sequence(_?number)?|version|op|operation|action|kind|type|status|state|unit|locale|source|priority|attempts|retries|retry_?count|max_?(attempts|retries)|count|total|size|bytes|hash|checksum|cursor|vector_?clock|table(_?name)?|collection|entity(_?type)?|metric(_?type)?|category|mood|rating|streak_?days|duration(_?(ms|sec))?|latitude|longitude)$|(_id|Id|_ids|Ids|_key|Key|_at|At|_ms|Ms|_time|Time|_date|Date|timestamp|Timestamp|_status|Status|_type|Type|_count|Count|_version|Version|_seq|Seq)$|^(is|has|should|can)[_A-Z]/;

/** Field names whose string values are people's words. */
const FREE_TEXT_KEY =
  /(note|title|text|body|content|description|transcript|message|comment|name|author|answer|payload|data|value|label|summary|error|quote|reason|address|email|phone|bio|caption|subject|question|reply|memo|journal|entry|details?)/i;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMERIC = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
/** One short token without spaces: an id, an enum value, a slug, a status. */
const TOKEN = /^[A-Za-z0-9_.:@/+\-#]{1,48}$/;
const EMAIL = /[^\s@]+@[^\s@]+\.[a-z]{2,}/i;

export function createRedactor(): Redactor {
  const placeholders = new Map<string, string>();
  const text = (value: string): string => {
    if (value === '') return value;
    let p = placeholders.get(value);
    if (p === undefined) {
      p = `‹text-${placeholders.size + 1}›`;
      placeholders.set(value, p);
    }
    return p;
  };
  const value = (v: unknown, key?: string): unknown => redactAny(v, key, text, 0);
  return { text, value };
}

/** The redactor used when `--redact` is off: everything passes through unchanged. */
export const NO_REDACTION: Redactor = { text: (v) => v, value: (v) => v };

export function redactorFor(enabled: boolean): Redactor {
  return enabled ? createRedactor() : NO_REDACTION;
}

/** How a field name is treated; exported so reports can explain what was kept. */
export function classifyKey(key: string | undefined): 'keep' | 'free-text' | 'unknown' {
  if (key === undefined) return 'unknown';
  if (FREE_TEXT_KEY.test(key) && !KEEP_KEY.test(key)) return 'free-text';
  if (KEEP_KEY.test(key)) return 'keep';
  return 'unknown';
}

/** Nesting cap: deeper structures are replaced whole rather than walked without limit. */
const MAX_DEPTH = 64;

function redactAny(v: unknown, key: string | undefined, text: (s: string) => string, depth: number): unknown {
  if (depth > MAX_DEPTH) return text(JSON.stringify(v) ?? '');
  if (typeof v === 'string') return redactString(v, key, text, depth);
  if (Array.isArray(v)) return v.map((item) => redactAny(item, key, text, depth + 1));
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) out[k] = redactAny(item, k, text, depth + 1);
    return out;
  }
  if (v instanceof Uint8Array) return `‹blob ${v.length} bytes›`;
  return v; // numbers, booleans, null, bigint: counts, flags and timestamps stay readable
}

function redactString(s: string, key: string | undefined, text: (s: string) => string, depth: number): string {
  const embedded = parseEmbeddedJson(s);
  if (embedded !== undefined) return JSON.stringify(redactAny(embedded, key, text, depth + 1));
  const cls = classifyKey(key);
  if (EMAIL.test(s)) return text(s);
  if (cls === 'keep') return s;
  if (cls === 'free-text') return s === '' ? s : text(s);
  return looksStructured(s) ? s : text(s);
}

/** Ids, dates, numbers and single tokens are kept under unknown keys; anything with spaces is text. */
function looksStructured(s: string): boolean {
  return s === '' || UUID.test(s) || ISO_DATE.test(s) || NUMERIC.test(s) || TOKEN.test(s) || /^file:\/\/\S+$/.test(s);
}

function parseEmbeddedJson(s: string): unknown {
  const t = s.trimStart();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    const parsed: unknown = JSON.parse(s);
    return parsed !== null && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
