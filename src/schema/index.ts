/**
 * The unified schema's public face: the Drizzle tables, the map from a collection name to its
 * table, and the column lists every writer and reader of the unified database agrees on. The
 * sync columns are the same in every collection table; only the domain columns differ.
 */
import { getTableConfig, type SQLiteTableWithColumns } from 'drizzle-orm/sqlite-core';
import * as t from './tables.js';

export * from './tables.js';
export { applyUnifiedSchema, migrationsFolder } from './apply-migrations.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTable = SQLiteTableWithColumns<any>;

/** Collection name (the legacy collection, snake_case) → its table. */
export const COLLECTION_TABLES: Readonly<Record<string, AnyTable>> = {
  moods: t.moods,
  exercises: t.exercises,
  user_progress: t.userProgress,
  tasks: t.tasks,
  health_data: t.healthData,
  text_notes: t.textNotes,
  voice_notes: t.voiceNotes,
  pins: t.pins,
  forms: t.forms,
  quotes: t.quotes,
};

/** Sync columns every collection table has, in table order around the domain columns. */
export const SYNC_HEAD_COLUMNS = ['client_id', 'server_id', 'user_id'] as const;
export const SYNC_TAIL_COLUMNS = [
  'created_at',
  'updated_at',
  'deleted_at',
  'version',
  'vector_clock',
  'sync_status',
  'row_checksum',
] as const;

export type ColumnKind = 'text' | 'integer' | 'real' | 'boolean' | 'json';

export interface CollectionColumns {
  table: string;
  /** Domain columns in table order, with the kind of value each holds. */
  domain: Array<{ name: string; kind: ColumnKind }>;
}

const SYNC = new Set<string>([...SYNC_HEAD_COLUMNS, ...SYNC_TAIL_COLUMNS]);
/** Text columns that hold JSON (arrays, objects); the schema stores them as text. */
const JSON_COLUMNS = new Set(['moods.tags', 'forms.answers']);

/** Domain columns of a known collection, or undefined when it goes to `records`. */
export function collectionColumns(collection: string): CollectionColumns | undefined {
  const table = COLLECTION_TABLES[collection];
  if (table === undefined) return undefined;
  const cfg = getTableConfig(table);
  const domain = cfg.columns
    .filter((c) => !SYNC.has(c.name))
    .map((c) => {
      const kind: ColumnKind = JSON_COLUMNS.has(`${collection}.${c.name}`)
        ? 'json'
        : c.columnType === 'SQLiteBoolean'
          ? 'boolean'
          : c.getSQLType() === 'integer'
            ? 'integer'
            : c.getSQLType() === 'real'
              ? 'real'
              : 'text';
      return { name: c.name, kind };
    });
  return { table: cfg.name, domain };
}
