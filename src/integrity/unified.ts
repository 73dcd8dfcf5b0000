/**
 * How a row of the unified database (src/schema) reads as a logical record: `client_id` is the id,
 * every other column becomes its camelCase field, JSON text columns are parsed and boolean columns
 * read as booleans (the kinds come from the schema's `collectionColumns`). Rows of the generic
 * `records` table spread their `data` JSON into fields. Migrate writes `row_checksum` with
 * `unifiedRowChecksum` and verify recomputes it from the stored row with the same mapping, so the
 * two cannot disagree about what a record is.
 */
import { collectionColumns, SYNC_HEAD_COLUMNS, SYNC_TAIL_COLUMNS } from '../schema/index.js';
import { camelCase, type CanonicalOptions, type CanonicalRules, type LogicalRecord } from './canonical.js';
import { rowChecksum, type RecordHasher } from './record-hash.js';
import { rowToRecord, type FieldKind } from './row-encoder.js';
import type { TableSpec } from './table-scan.js';

const SYNC_KINDS: Record<string, FieldKind> = {
  server_id: 'text',
  user_id: 'text',
  created_at: 'integer',
  updated_at: 'integer',
  deleted_at: 'integer',
  version: 'integer',
  vector_clock: 'text',
  sync_status: 'text',
  row_checksum: 'text',
};

const quote = (c: string): string => `"${c}"`;

/** The table spec of a collection with its own table; undefined for `records` collections. */
export function unifiedTableSpec(collection: string): TableSpec | undefined {
  const cols = collectionColumns(collection);
  if (!cols) return undefined;
  const head = SYNC_HEAD_COLUMNS.filter((c) => c !== 'client_id').map((c) => ({ column: c, kind: SYNC_KINDS[c]! }));
  const domain = cols.domain.map((d) => ({ column: d.name, kind: d.kind as FieldKind }));
  const tail = SYNC_TAIL_COLUMNS.map((c) => ({ column: c, kind: SYNC_KINDS[c]! }));
  return {
    collection,
    table: cols.table,
    idSql: quote('client_id'),
    columns: [...head, ...domain, ...tail].map((c) => ({ sql: quote(c.column), field: camelCase(c.column), kind: c.kind })),
    hasRowid: true,
  };
}

/** Sync columns of the `records` table, beside `collection`, `client_id` and `data`. */
export const RECORDS_TABLE_COLUMNS = ['server_id', 'user_id', ...SYNC_TAIL_COLUMNS] as const;

/**
 * A unified row (column name → stored value, as written to SQLite) as a logical record. For a
 * collection without its own table the row is a `records` row: `data` holds the domain fields.
 */
export function unifiedRowRecord(collection: string, row: Readonly<Record<string, unknown>>): LogicalRecord {
  const spec = unifiedTableSpec(collection);
  if (spec) {
    // spec columns are the quoted column names; strip the quotes to index the row object
    return rowToRecord(spec.columns, [row['client_id'], ...spec.columns.map((c) => row[c.sql.slice(1, -1)])]);
  }
  return recordsRowRecord(row);
}

export function recordsRowRecord(row: Readonly<Record<string, unknown>>): LogicalRecord {
  const fields: Record<string, unknown> = {};
  const data = typeof row['data'] === 'string' ? safeJson(row['data']) : row['data'];
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) fields[camelCase(k)] = v;
  } else if (data !== undefined && data !== null) {
    fields['data'] = data;
  }
  for (const c of RECORDS_TABLE_COLUMNS) fields[camelCase(c)] = row[c];
  return { id: String(row['client_id']), fields };
}

/** The `row_checksum` of a unified row: what migrate stores and verify recomputes. */
export function unifiedRowChecksum(
  collection: string,
  row: Readonly<Record<string, unknown>>,
  hasher: RecordHasher,
  rules: CanonicalRules | CanonicalOptions = {},
): string {
  return rowChecksum(unifiedRowRecord(collection, row), hasher, rules);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
