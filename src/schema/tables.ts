/**
 * The unified local schema: SQLite as the single local truth. Every collection table carries the
 * same sync columns (client id, server id, owner, ms timestamps, tombstone, causality, sync status,
 * row checksum) beside its snake_case domain columns; arrays and objects are stored as JSON text.
 * Collections a profile declares but this file does not know go to the generic `records` table.
 * drizzle-kit reads this file directly, so it deliberately has no local imports.
 */
import { sql } from 'drizzle-orm';
import { index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** The standard sync columns, in the order DESIGN.md lists them (domain columns go in between). */
function syncColumns() {
  return {
    clientId: text('client_id').primaryKey(),
    serverId: text('server_id').unique(),
    userId: text('user_id'),
  };
}

function syncTailColumns() {
  return {
    createdAt: integer('created_at'),
    updatedAt: integer('updated_at'),
    deletedAt: integer('deleted_at'),
    version: integer('version'),
    vectorClock: text('vector_clock'),
    syncStatus: text('sync_status', { enum: ['pending', 'synced', 'conflict', 'failed'] }).notNull(),
    rowChecksum: text('row_checksum').notNull(),
  };
}

export const moods = sqliteTable('moods', {
  ...syncColumns(),
  mood: text('mood'),
  rating: integer('rating'),
  note: text('note'),
  tags: text('tags'),
  ...syncTailColumns(),
});

export const exercises = sqliteTable('exercises', {
  ...syncColumns(),
  name: text('name'),
  category: text('category'),
  durationSec: integer('duration_sec'),
  completedAt: integer('completed_at'),
  notes: text('notes'),
  ...syncTailColumns(),
});

export const userProgress = sqliteTable('user_progress', {
  ...syncColumns(),
  streakDays: integer('streak_days'),
  totalSessions: integer('total_sessions'),
  totalMinutes: integer('total_minutes'),
  lastActivityAt: integer('last_activity_at'),
  ...syncTailColumns(),
});

export const tasks = sqliteTable('tasks', {
  ...syncColumns(),
  text: text('text'),
  isCompleted: integer('is_completed', { mode: 'boolean' }),
  ...syncTailColumns(),
});

export const healthData = sqliteTable('health_data', {
  ...syncColumns(),
  metricType: text('metric_type'),
  value: real('value'),
  unit: text('unit'),
  recordedAt: integer('recorded_at'),
  source: text('source'),
  ...syncTailColumns(),
});

export const textNotes = sqliteTable('text_notes', {
  ...syncColumns(),
  title: text('title'),
  body: text('body'),
  isPinned: integer('is_pinned', { mode: 'boolean' }),
  ...syncTailColumns(),
});

export const voiceNotes = sqliteTable('voice_notes', {
  ...syncColumns(),
  title: text('title'),
  audioUri: text('audio_uri'),
  durationMs: integer('duration_ms'),
  transcript: text('transcript'),
  ...syncTailColumns(),
});

export const pins = sqliteTable('pins', {
  ...syncColumns(),
  title: text('title'),
  description: text('description'),
  latitude: real('latitude'),
  longitude: real('longitude'),
  category: text('category'),
  createdBy: text('created_by'),
  serverVersion: integer('server_version'),
  ...syncTailColumns(),
});

export const forms = sqliteTable('forms', {
  ...syncColumns(),
  pinId: text('pin_id'),
  template: text('template'),
  answers: text('answers'),
  status: text('status'),
  createdBy: text('created_by'),
  serverVersion: integer('server_version'),
  ...syncTailColumns(),
});

export const quotes = sqliteTable('quotes', {
  ...syncColumns(),
  text: text('text'),
  author: text('author'),
  isFavorite: integer('is_favorite', { mode: 'boolean' }),
  ...syncTailColumns(),
});

/** Collections the schema has no table for: the domain fields live in `data` (JSON text). */
export const records = sqliteTable(
  'records',
  {
    collection: text('collection').notNull(),
    clientId: text('client_id').notNull(),
    serverId: text('server_id'),
    userId: text('user_id'),
    data: text('data').notNull(),
    ...syncTailColumns(),
  },
  (t) => [
    // composite primary key expressed as a unique index so drizzle-kit emits a plain rowid table
    uniqueIndex('records_collection_client_id').on(t.collection, t.clientId),
    uniqueIndex('records_collection_server_id').on(t.collection, t.serverId),
  ],
);

/** The outbox. `seq` keeps the legacy queues' order; `status_reason` says why an op is done/dead. */
export const syncQueue = sqliteTable(
  'sync_queue',
  {
    id: text('id').primaryKey(),
    seq: integer('seq').notNull().unique(),
    collection: text('collection').notNull(),
    recordClientId: text('record_client_id').notNull(),
    op: text('op', { enum: ['create', 'update', 'delete'] }).notNull(),
    payload: text('payload').notNull(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    status: text('status', { enum: ['pending', 'in_flight', 'done', 'failed', 'dead'] }).notNull(),
    statusReason: text('status_reason'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts'),
    nextAttemptAt: integer('next_attempt_at'),
    lastError: text('last_error'),
    dependsOn: text('depends_on'),
    createdAt: integer('created_at'),
  },
  (t) => [index('sync_queue_status_seq').on(t.status, t.seq), index('sync_queue_record').on(t.collection, t.recordClientId)],
);

export const syncMetadata = sqliteTable('sync_metadata', {
  collection: text('collection').primaryKey(),
  cursor: text('cursor'),
  lastSyncAt: integer('last_sync_at'),
  initialSyncComplete: integer('initial_sync_complete', { mode: 'boolean' }).notNull().default(sql`0`),
});

/** One row per migration run: what went in (source fingerprints), what came out (counts, digests). */
export const migrationLog = sqliteTable('migration_log', {
  id: integer('id').primaryKey(),
  migratedAt: integer('migrated_at').notNull(),
  profile: text('profile').notNull(),
  conflictRule: text('conflict_rule').notNull(),
  /** JSON: [{path, sha256, sizeBytes}] of every source store. */
  sources: text('sources').notNull(),
  /** JSON: {collection: {in, migrated, merged, setAside}}. */
  counts: text('counts').notNull(),
  /** JSON: {collection: digest} as computed at plan time; verify recomputes them from the rows. */
  digests: text('digests').notNull(),
  /** JSON: the full migration report (decisions, type fidelity, set-aside records with raw values). */
  report: text('report').notNull(),
  syncdocVersion: text('syncdoc_version').notNull(),
});
