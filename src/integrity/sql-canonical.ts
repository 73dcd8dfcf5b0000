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
 *   - a `{` after the record's own: an object in JSON text (keys unsorted);
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
// stands in for each record's opening `{` so that any other `{` in a window is an object
const OPEN = 2;

/**
 * The SQL text of one non-null field value, as the row encoder would write it (or the marker).
 * `textOnly`: a plain column of TEXT affinity, which can hold only text (SQLite converts numbers
 * stored into it) or a BLOB (written as `null`, so caught), so it needs no type test per row.
 */
function valueSql(c: string, kind: TableSpec['columns'][number]['kind'], stamp: boolean, textOnly: boolean): string | undefined {
  if (kind === 'boolean') return undefined;
  const safe = `${c} BETWEEN -${MAX_SAFE} AND ${MAX_SAFE}`;
  // numbers are concatenated as SQLite writes them: integers as digits, REALs always with a `.`
  // (caught in the window); text and BLOBs in a timestamp column are marked
  if (stamp) return `CASE WHEN ${c} > -100000000000 AND ${c} < 100000000000 THEN ${c} * 1000 WHEN ${safe} THEN ${c} ELSE ${MARK} END`;
  if (kind === 'json') {
    // any digit in JSON text is marked (its numbers may be written differently: 1E2, -0, 1.50,
    // beyond 2^53); so is text SQLite's strict JSON rejects, as it cannot vouch JSON.parse does too
    return (
      `CASE WHEN typeof(${c}) <> 'text' THEN iif(${safe}, ${c}, ${MARK}) ` +
      `WHEN ${c} GLOB '*[0-9]*' OR NOT json_valid(${c}) THEN ${MARK} ELSE json(${c}) END`
    );
  }
  if (textOnly) return `json_quote(${c})`;
  if (kind === 'integer' || kind === 'real') return `CASE WHEN ${safe} THEN ${c} WHEN typeof(${c}) = 'text' THEN json_quote(${c}) ELSE ${MARK} END`;
  return `CASE WHEN typeof(${c}) = 'text' THEN json_quote(${c}) WHEN ${safe} THEN ${c} ELSE ${MARK} END`;
}

/** The columns of `table` whose affinity is TEXT (SQLite's rule: no INT, and CHAR, CLOB or TEXT). */
function textColumns(db: Database.Database, table: string): Set<string> {
  const cols = db.prepare(`SELECT name, type FROM pragma_table_xinfo(?)`).all(table) as Array<{ name: string; type: string }>;
  return new Set(cols.filter((c) => !/INT/i.test(c.type) && /CHAR|CLOB|TEXT/i.test(c.type)).map((c) => quoteIdent(c.name)));
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
    pieces.push({ key, text: `iif(${c} IS NULL, '', ${quoteLiteral(',' + encodeString(key) + ':')} || ${value})` });
  }
  const id = `(${spec.idSql})`;
  // String(id) is the id the row encoder hashes and buckets: only text ids are written here (a
  // number or NULL id is marked)
  const idText = textOnly.has(spec.idSql) ? `json_quote(${id})` : `iif(typeof(${id}) = 'text', json_quote(${id}), ${MARK})`;
  pieces.push({ key: 'id', text: `${quoteLiteral(',"id":')} || ${idText}` });
  pieces.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const where = spec.where === undefined ? '' : ` AND (${spec.where})`;
  // line: (the rowid's digits,) the quoted id, then the record text with its `{` as byte 2, then a newline
  const inner =
    `SELECT rowid AS r, ${withRowid ? 'rowid || ' : ''}${idText} || char(${OPEN}) || substr(${pieces.map((p) => p.text).join(' || ')}, 2) || '}' || char(10) AS line ` +
    `FROM ${quoteIdent(spec.table)} WHERE rowid > ? AND rowid <= ?${where} ORDER BY rowid LIMIT ${windowRows}`;
  return `SELECT max(r), count(*), count(line), CAST(group_concat(line, '') AS BLOB) FROM (${inner})`;
}

const REAL = /[:,[]-?\d+\./;
const BEYOND_U2FF = /[\xcc-\xff]/; // UTF-8 lead bytes of U+0300 and up

/** Whether a window's bytes are exactly what the row encoder would give (see the module note). */
function windowIsCanonical(blob: Buffer): boolean {
  // single-byte searches are memchr, so the common clean window costs almost nothing to check
  if (blob.indexOf(92) !== -1 || blob.indexOf(1) !== -1 || blob.indexOf(123) !== -1 || blob.indexOf(':null') !== -1) return false;
  if (!isUtf8(blob)) return false;
  const hasDot = blob.indexOf(46) !== -1;
  const ascii = isAscii(blob);
  if (!hasDot && ascii) return true;
  const latin1 = blob.toString('latin1');
  if (hasDot && REAL.test(latin1)) return false;
  if (ascii || !BEYOND_U2FF.test(latin1)) return true;
  const text = blob.toString('utf8');
  return text === text.normalize('NFC');
}

/** Whether `table` has a real rowid under that name (no column shadows it). */
function rowidUsable(db: Database.Database, table: string): boolean {
  const cols = db.prepare(`SELECT lower(name) FROM pragma_table_xinfo(?)`).pluck().all(table) as string[];
  return !cols.some((c) => c === 'rowid' || c === '_rowid_' || c === 'oid');
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
  const sql = compileSqlCanonical(spec, rules, rowSelect.kept, textColumns(db, spec.table), windowRows, withRowid);
  if (sql === undefined || !rowidUsable(db, spec.table)) return false;
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
        blob[q + 1] = 123;
        each(rowid, h32Raw(blob.subarray(pos + 1, q)) & 0xff, h64Raw(blob.subarray(q + 1, nl)));
        pos = nl + 1;
      }
    }
    after = max;
  }
  return true;
}
