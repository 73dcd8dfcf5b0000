/**
 * The digest scan's fast path: SQLite writes each row's canonical record text itself, escaping
 * strings with its own `json_quote`/`json` (C speed), and hands back one BLOB per window of rows
 * (`group_concat`), so JavaScript sees one value per window instead of ten per row and hashes
 * straight from the bytes. The text must be exactly what the row encoder builds (the digest is the
 * cross-store record hash), so nothing SQLite writes is trusted where its form can differ from ours;
 * instead of testing each row in SQL, the few cases are made visible in the window's bytes and a
 * window showing any of them is re-read whole through the row encoder:
 *
 *   - a `\` anywhere: something was escaped (quotes, backslashes, control characters: SQLite's
 *     escapes are not checked against JSON.stringify's, they just fall back);
 *   - byte 0x01: SQL's own marker for a value it does not write (a number outside the safe integer
 *     range, text or a BLOB in a number or timestamp column, JSON text holding exponents, `-0` or
 *     16 digits in a row);
 *   - a `.` after `:`, `,` or `[` and digits: a REAL (SQLite always writes them with a `.`, where
 *     JavaScript writes 4.0 as `4`) or a decimal in JSON text;
 *   - a `{` anywhere (each record's own is put in after the check): an object in JSON text (keys
 *     unsorted);
 *   - `:null`: a JSON `null` column or a BLOB (json_quote writes both as null; the row encoder
 *     drops the first and writes `$bytes` for the second);
 *   - invalid UTF-8, or text that is not NFC (only checked when a character ≥ U+0300 is present:
 *     below it every string is NFC).
 *
 * Not used for typed numbers, the `distinct` null rule, boolean columns, sha256, tables without a
 * real rowid, or the bucket-hashes mode; those take the row encoder path. A property test compares
 * both paths on random tables of awkward values.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type Database from 'better-sqlite3';
import { quoteIdent, quoteLiteral } from '../readers/sqlite.js';
import { encodeString, type CanonicalRules } from './canonical.js';
import { DigestAccumulator } from './digest.js';
import type { RecordHasher } from './record-hash.js';
import { compileRowEncoder } from './row-encoder.js';
import type { ScanRange, TableSpec } from './table-scan.js';

export const SQL_WINDOW_ROWS = 2048;
const MAX_SAFE = '9007199254740991';
const MARK = 'char(1)';

/**
 * The SQL text of one field value as the row encoder would write it (or the marker), NULL when the
 * column is NULL (`concat` then drops the field, key included). `textOnly`: a plain column of TEXT
 * affinity, which can hold only text (SQLite converts numbers stored into it) or a BLOB (written
 * as `null`, so caught), so it needs no type test per row.
 */
function valueSql(c: string, kind: TableSpec['columns'][number]['kind'], stamp: boolean, textOnly: boolean): string | undefined {
  if (kind === 'boolean') return undefined;
  const safe = `${c} BETWEEN -${MAX_SAFE} AND ${MAX_SAFE}`;
  // a CASE with no ELSE is NULL for a NULL column, with no separate IS NULL test
  const other = `WHEN ${c} NOTNULL THEN ${MARK} END`;
  // numbers are concatenated as SQLite writes them: integers as digits, REALs always with a `.`
  // (caught in the window); text and BLOBs in a timestamp column are marked
  if (stamp) return `CASE WHEN ${c} > -100000000000 AND ${c} < 100000000000 THEN ${c} * 1000 WHEN ${safe} THEN ${c} ${other}`;
  if (kind === 'json') {
    // any digit in JSON text is marked (its numbers may be written differently: 1E2, -0, 1.50,
    // beyond 2^53); so is text SQLite's strict JSON rejects, as it cannot vouch JSON.parse does too
    return (
      `CASE WHEN typeof(${c}) = 'text' THEN iif(${c} GLOB '*[0-9]*' OR NOT json_valid(${c}), ${MARK}, json(${c})) ` +
      `WHEN ${safe} THEN ${c} ${other}`
    );
  }
  if (textOnly) return `iif(${c} ISNULL, NULL, json_quote(${c}))`;
  if (kind === 'integer' || kind === 'real') return `CASE WHEN ${safe} THEN ${c} WHEN typeof(${c}) = 'text' THEN json_quote(${c}) ${other}`;
  return `CASE WHEN typeof(${c}) = 'text' THEN json_quote(${c}) WHEN ${safe} THEN ${c} ${other}`;
}

/**
 * What the fast path needs to know of `table`, from one read of its columns: those whose affinity
 * is TEXT (SQLite's rule: no INT, and CHAR, CLOB or TEXT), and whether its rowid is real (no
 * column shadows the name).
 */
function tableColumns(db: Database.Database, table: string): { textOnly: Set<string>; rowidUsable: boolean } {
  const cols = db.prepare(`SELECT name, type FROM pragma_table_xinfo(?)`).all(table) as Array<{ name: string; type: string }>;
  return {
    textOnly: new Set(cols.filter((c) => !/INT/i.test(c.type) && /CHAR|CLOB|TEXT/i.test(c.type)).map((c) => quoteIdent(c.name))),
    rowidUsable: !cols.some((c) => ['rowid', '_rowid_', 'oid'].includes(c.name.toLowerCase())),
  };
}

/** `concat` (SQLite 3.44 and later; better-sqlite3 bundles a newer one) writes the lines. */
function hasConcat(db: Database.Database): boolean {
  const [major = 0, minor = 0] = (db.prepare('SELECT sqlite_version()').pluck().get() as string).split('.').map(Number);
  return major > 3 || (major === 3 && minor >= 44);
}

/**
 * SQL for one window of rows (params: after-rowid, last-rowid), or undefined when not applicable.
 * `withRowid`: each line starts with its row's rowid.
 */
export function compileSqlCanonical(
  spec: TableSpec,
  rules: CanonicalRules,
  kept: TableSpec['columns'],
  textOnly: ReadonlySet<string> = new Set(),
  windowRows = SQL_WINDOW_ROWS,
  withRowid = false,
): string | undefined {
  if (rules.typedNumbers || !rules.nullIsAbsent || !spec.hasRowid) return undefined;
  const pieces: Array<{ key: string; text: string }> = [];
  for (const col of kept) {
    if (col.field === 'id' || rules.exclude.has(col.field)) continue;
    const c = `(${col.sql})`;
    const value = valueSql(c, col.kind, rules.isTimestamp(col.field), textOnly.has(col.sql));
    if (value === undefined) return undefined;
    const key = col.field.normalize('NFC');
    pieces.push({ key, text: `${quoteLiteral(',' + encodeString(key) + ':')} || ${value}` });
  }
  const id = `(${spec.idSql})`;
  // String(id) is the id the row encoder hashes and buckets: only text ids are written here (a
  // number or NULL id is marked)
  const idText = textOnly.has(spec.idSql) ? `json_quote(${id})` : `iif(typeof(${id}) = 'text', json_quote(${id}), ${MARK})`;
  pieces.push({ key: 'id', text: `${quoteLiteral(',"id":')} || ${idText}` });
  pieces.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const where = spec.where === undefined ? '' : ` AND (${spec.where})`;
  // line: (the rowid's digits,) the quoted id, then the record text with its `{` still the first
  // field's `,` (so that any `{` in a window is an object; the reader puts the `{` in), then a
  // newline. One `concat` builds it in one allocation, and skips the NULL fields.
  const inner =
    `SELECT rowid AS r, concat(${withRowid ? 'rowid, ' : ''}${idText}, ${pieces.map((p) => p.text).join(', ')}, '}', char(10)) AS line ` +
    `FROM ${quoteIdent(spec.table)} WHERE rowid > ? AND rowid <= ?${where} ORDER BY rowid LIMIT ${windowRows}`;
  return `SELECT max(r), count(*), count(line), CAST(group_concat(line, '') AS BLOB) FROM (${inner})`;
}

const REAL = /[:,[]-?\d+\./;

/**
 * Whether `blob` holds a UTF-8 lead byte of U+0300 and up (0xCC–0xFF), a word at a time. A byte is
 * one when its bits 7 and 6 are set and also bit 5, bit 4, or bits 3 and 2; shifting a word left
 * by k brings each byte's bit 7−k to its bit 7, so the test runs on four bytes at once, in int32
 * arithmetic only, and only on words with a non-ASCII byte (four words are tested for that at a
 * time). A latin1 string and a regular expression cost five times more.
 */
export function hasBeyondU2ff(blob: Uint8Array): boolean {
  const n = blob.length;
  let i = 0;
  for (; i < n && (blob.byteOffset + i) % 4 !== 0; i++) if (blob[i]! >= 0xcc) return true;
  if (i === n) return false;
  const words = new Int32Array(blob.buffer, blob.byteOffset + i, (n - i) >>> 2);
  const len = words.length;
  const beyond = (v: number): boolean => (v & (v << 1) & ((v << 2) | (v << 3) | ((v << 4) & (v << 5))) & 0x80808080) !== 0;
  let w = 0;
  for (; w + 4 <= len; w += 4) {
    if (((words[w]! | words[w + 1]! | words[w + 2]! | words[w + 3]!) & 0x80808080) === 0) continue;
    if (beyond(words[w]!) || beyond(words[w + 1]!) || beyond(words[w + 2]!) || beyond(words[w + 3]!)) return true;
  }
  for (; w < len; w++) if (beyond(words[w]!)) return true;
  for (i += len * 4; i < n; i++) if (blob[i]! >= 0xcc) return true;
  return false;
}

/** Whether a window's bytes are exactly what the row encoder would give (see the module note). */
function windowIsCanonical(blob: Buffer): boolean {
  // single-byte searches are memchr, so the common clean window costs almost nothing to check
  if (blob.indexOf(92) !== -1 || blob.indexOf(1) !== -1 || blob.indexOf(123) !== -1 || blob.indexOf(':null') !== -1) return false;
  if (!isUtf8(blob)) return false;
  if (blob.indexOf(46) !== -1 && REAL.test(blob.toString('latin1'))) return false;
  if (isAscii(blob) || !hasBeyondU2ff(blob)) return true;
  const text = blob.toString('utf8');
  return text === text.normalize('NFC');
}

/**
 * The digest of `spec`'s rows in `range` through SQL-written canonical text; undefined when the
 * fast path does not apply. `rowSelect` is the row encoder's SELECT (columns `kept`), for the
 * windows SQL's text cannot be vouched for.
 */
export function sqlDigest(
  db: Database.Database,
  spec: TableSpec,
  rules: CanonicalRules,
  range: ScanRange,
  hasher: RecordHasher,
  rowSelect: { sql: string; kept: TableSpec['columns'] },
  windowRows = SQL_WINDOW_ROWS,
): DigestAccumulator | undefined {
  const acc = new DigestAccumulator();
  return sqlRecordHashes(db, spec, rules, range, hasher, rowSelect, { windowRows }, (_, bucket, h) => acc.add(bucket, h)) ? acc : undefined;
}

/**
 * Every record hash of `spec`'s rows in `range`, through SQL-written canonical text:
 * `each(rowid, bucket, hash)` per row, the rowid read from the window's bytes when `withRowid` (then
 * `range` must hold safe integers; `rowSelect.sql` then ends with the rowid column), NaN otherwise.
 * false (nothing called) when the fast path does not apply.
 */
export function sqlRecordHashes(
  db: Database.Database,
  spec: TableSpec,
  rules: CanonicalRules,
  range: ScanRange,
  hasher: RecordHasher,
  rowSelect: { sql: string; kept: TableSpec['columns'] },
  opts: { windowRows?: number; withRowid?: boolean },
  each: (rowid: number, bucket: number, hash: bigint) => void,
): boolean {
  const raw = hasher.raw;
  if (raw === undefined) return false;
  const windowRows = opts.windowRows ?? SQL_WINDOW_ROWS;
  const withRowid = opts.withRowid === true;
  const table = tableColumns(db, spec.table);
  const sql = compileSqlCanonical(spec, rules, rowSelect.kept, table.textOnly, windowRows, withRowid);
  if (sql === undefined || !table.rowidUsable || !hasConcat(db)) return false;
  const { h32Raw, h64Raw } = raw;
  const windows = db.prepare(sql).raw(true).safeIntegers(true);
  const joiner = spec.where === undefined ? ' WHERE ' : ' AND ';
  const where = spec.where === undefined ? '' : ` AND (${spec.where})`;
  const between = db.prepare(`${rowSelect.sql}${joiner}rowid > ? AND rowid <= ?`).raw(true).safeIntegers(false);
  const windowEnd = db
    .prepare(`SELECT max(r) FROM (SELECT rowid AS r FROM ${quoteIdent(spec.table)} WHERE rowid > ? AND rowid <= ?${where} ORDER BY rowid LIMIT ${windowRows})`)
    .pluck()
    .safeIntegers(true);
  const encode = compileRowEncoder(rowSelect.kept, rules);
  // ±Infinity bind as REALs, which every rowid (down to -2^63) compares inside
  let after: bigint | number = range ? BigInt(range[0]) - 1n : -Infinity;
  const last = range ? BigInt(range[1]) : Infinity;
  for (;;) {
    let got: [bigint | null, bigint, bigint, Buffer | null];
    try {
      got = windows.get(after, last) as typeof got;
    } catch {
      // json_quote refuses some BLOBs outright: the window's rows go through the row encoder
      got = [windowEnd.get(after, last) as bigint | null, 1n, 0n, null];
    }
    const [max, count, lines, blob] = got;
    if (count === 0n || max === null) break;
    // a NULL line (not expected, but group_concat would skip it silently) sends the window back too
    if (blob === null || lines !== count || !windowIsCanonical(blob)) {
      for (const row of between.iterate(after, max) as IterableIterator<unknown[]>) {
        each(withRowid ? (row[row.length - 1] as number) : NaN, hasher.bucketOf(String(row[0])), hasher.hash(encode(row)));
      }
    } else {
      for (let pos = 0; pos < blob.length; ) {
        let rowid = NaN;
        if (withRowid) {
          // the rowid's digits (a `-` first for a negative one), up to the id's opening quote
          const neg = blob[pos] === 45;
          if (neg) pos++;
          rowid = 0;
          for (let b = blob[pos]!; b !== 34; b = blob[++pos]!) rowid = rowid * 10 + (b - 48);
          if (neg) rowid = -rowid;
        }
        const q = blob.indexOf(34, pos + 1); // the id's closing quote (no `\`, so no quote inside it)
        const nl = blob.indexOf(10, q);
        blob[q + 1] = 123; // the first field's `,` becomes the record's `{`
        each(rowid, h32Raw(blob.subarray(pos + 1, q)) & 0xff, h64Raw(blob.subarray(q + 1, nl)));
        pos = nl + 1;
      }
    }
    after = max;
  }
  return true;
}
