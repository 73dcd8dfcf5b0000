/**
 * Flavour fingerprints: which app-side library or layout wrote a SQLite store, recognised from its
 * schema, never from its file name. Every flavour that matches is reported (a WatermelonDB file can
 * also carry a hybrid queue), each with the evidence that matched, so a reader can judge a surprising
 * verdict. Drizzle's applied-migration log is returned too, since it dates the schema.
 */
import type { SqliteDb } from './sqlite-open.js';
import { quoteIdent, type SqliteSchema, type SqliteTable } from './sqlite.js';

export type SqliteFlavour = 'drizzle' | 'watermelondb' | 'hybrid-queue' | 'triple-layer' | 'android-asyncstorage';

export interface FlavourMatch {
  flavour: SqliteFlavour;
  evidence: string[];
}

export interface DrizzleMigration {
  hash: string;
  /** `created_at` as stored (drizzle-kit journal `when`, ms). */
  createdAt: number | null;
}

export interface FlavourContext {
  /** MMKV stores elsewhere in the same snapshot: part of the triple-layer picture. */
  mmkvStores: number;
}

export interface FlavourResult {
  flavours: FlavourMatch[];
  drizzleMigrations: DrizzleMigration[] | null;
}

export function detectFlavours(db: SqliteDb, schema: SqliteSchema, context: FlavourContext): FlavourResult {
  const byName = new Map(schema.tables.map((t) => [t.name, t]));
  const has = (table: string, ...columns: string[]): boolean => {
    const t = byName.get(table);
    return t !== undefined && columns.every((c) => hasColumn(t, c));
  };
  const flavours: FlavourMatch[] = [];
  let drizzleMigrations: DrizzleMigration[] | null = null;

  if (has('__drizzle_migrations', 'hash')) {
    drizzleMigrations = readDrizzleMigrations(db, byName.get('__drizzle_migrations') as SqliteTable);
    const last = drizzleMigrations.at(-1);
    flavours.push({
      flavour: 'drizzle',
      evidence: [
        `table __drizzle_migrations: ${drizzleMigrations.length} applied migration(s)` +
          (last?.createdAt != null ? `, last created_at ${isoOrRaw(last.createdAt)}` : ''),
      ],
    });
  }

  const watermelonTables = schema.tables.filter((t) => hasColumn(t, '_status') && hasColumn(t, '_changed')).map((t) => t.name);
  if (watermelonTables.length > 0) {
    const evidence = [`_status/_changed columns in: ${watermelonTables.join(', ')}`];
    if (has('local_storage', 'key', 'value')) evidence.push('table local_storage(key, value)');
    flavours.push({ flavour: 'watermelondb', evidence });
  }

  if (has('sync_queue', 'idempotency_key')) {
    const q = byName.get('sync_queue') as SqliteTable;
    const evidence = ['sync_queue.idempotency_key'];
    for (const c of ['sequence_number', 'seq', 'depends_on', 'status']) if (hasColumn(q, c)) evidence.push(`sync_queue.${c}`);
    flavours.push({ flavour: 'hybrid-queue', evidence });
  }

  if (byName.has('outbox') && byName.has('sync_metadata')) {
    const evidence = ['table outbox', 'table sync_metadata'];
    if (context.mmkvStores > 0) evidence.push(`${context.mmkvStores} MMKV store(s) in the same snapshot`);
    flavours.push({ flavour: 'triple-layer', evidence });
  }

  if (has('catalystLocalStorage', 'key', 'value')) {
    const rows = byName.get('catalystLocalStorage')?.rowCount;
    flavours.push({
      flavour: 'android-asyncstorage',
      evidence: [`table catalystLocalStorage(key, value)${rows != null ? ` with ${rows} key(s)` : ''}`],
    });
  }
  return { flavours, drizzleMigrations };
}

function hasColumn(t: SqliteTable, name: string): boolean {
  return t.columns.some((c) => c.name === name);
}

function readDrizzleMigrations(db: SqliteDb, table: SqliteTable): DrizzleMigration[] {
  const createdAt = hasColumn(table, 'created_at') ? 'created_at' : 'NULL';
  // id is NULL in every row of drizzle's SQLite log (SERIAL is no rowid alias): order by insertion
  const rows = db
    .prepare(
      `SELECT hash, ${createdAt === 'NULL' ? 'NULL' : quoteIdent(createdAt)} AS created_at FROM ${quoteIdent(table.name)} ORDER BY rowid`,
    )
    .all() as Array<{ hash: unknown; created_at: unknown }>;
  return rows.map((r) => ({ hash: String(r.hash), createdAt: r.created_at === null ? null : Number(r.created_at) }));
}

function isoOrRaw(ms: number): string {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(ms);
}
