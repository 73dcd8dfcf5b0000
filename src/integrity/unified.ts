/**
 * How rows of the unified database (src/schema) read as logical records. The column list and
 * kinds come from migrate's own layout (`layoutOf` in src/migrate/rows.ts, the one that wrote the
 * row checksums and digests), so verify reads back exactly the record migrate hashed: `client_id`
 * is the id, content columns become camelCase fields. Rows of the generic `records` table spread
 * their `data` JSON into fields beside the sync columns, as migrate's generic encoder does.
 */
import { layoutOf } from '../migrate/rows.js';
import { quoteIdent } from '../readers/sqlite.js';
import { camelCase, type LogicalRecord } from './canonical.js';
import { safeJson } from './row-encoder.js';
import type { TableSpec } from './table-scan.js';


/** The table spec of a collection with its own table; undefined for `records` collections. */
export function unifiedTableSpec(collection: string): TableSpec | undefined {
  const layout = layoutOf(collection);
  if (layout.generic) return undefined;
  return {
    collection,
    table: layout.table,
    idSql: quoteIdent('client_id'),
    columns: layout.contentColumns.map((column, i) => ({ sql: quoteIdent(column), field: layout.specs[i]!.field, kind: layout.specs[i]!.kind })),
    hasRowid: true,
  };
}

/** Content columns of the `records` table beside `client_id` and `data`. */
const RECORDS_CONTENT = ['user_id', 'created_at', 'updated_at', 'deleted_at', 'version'] as const;

export function recordsRowRecord(row: Readonly<Record<string, unknown>>): LogicalRecord {
  const fields: Record<string, unknown> = {};
  const data = typeof row['data'] === 'string' ? safeJson(row['data']) : row['data'];
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data)) fields[camelCase(k)] = v;
  } else if (data !== undefined && data !== null) {
    fields['data'] = data;
  }
  for (const c of RECORDS_CONTENT) fields[camelCase(c)] = row[c];
  return { id: String(row['client_id']), fields };
}
