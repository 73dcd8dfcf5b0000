/**
 * Server-side record sources: a Convex export ZIP and a live backend (pulled through the shared
 * `Backend` interface). Server documents are camelCase already; the record id is the device's
 * `clientId` when the document carries one (that is what the device knows it by), else the
 * server `_id`. Table names map to snake_case collections (`userProgress` → `user_progress`).
 */
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import Database from 'better-sqlite3';
import { makeTempDir, removeTempDir } from '../../snapshot/temp.js';
import { openConvexExport, type ConvexDocument } from '../../readers/convex-export.js';
import type { Backend, Change } from '../../backends/types.js';
import { camelCase, snakeCase, type LogicalRecord } from '../canonical.js';
import { streamingSource, type RecordSource } from '../source.js';

export function documentRecord(doc: ConvexDocument | Record<string, unknown>): LogicalRecord | null {
  const id = doc['clientId'] ?? doc['_id'];
  if (typeof id !== 'string' || id === '') return null;
  return { id, fields: doc };
}

export async function convexExportSource(path: string, label = path): Promise<RecordSource> {
  const ex = await openConvexExport(path);
  const tableOf = new Map(ex.tables.map((t) => [snakeCase(t.name), t.name]));
  return streamingSource(
    { kind: 'convex-export', label, side: 'server', typedNumbers: true, mapping: 'Convex export (clientId, else _id, is the record id)' },
    async () => [...tableOf.keys()].sort(),
    async function* (collection) {
      for await (const doc of ex.documents(tableOf.get(collection) ?? collection)) {
        const rec = documentRecord(doc);
        if (rec) yield rec;
      }
    },
    { close: async () => ex.close() },
  );
}

/** Pages pulled per request; the reference server and the Convex module cap near this. */
const PULL_PAGE = 500;
/** Bound on pages, so a server that always says `hasMore` cannot keep verify looping. */
const MAX_PAGES = 1_000_000;

/**
 * A live backend's current state: the change feed from the beginning, latest change per record.
 * A feed can repeat a record, so the last change per record has to be found before anything can
 * be hashed. Rather than hold the whole feed in memory, each pulled page is upserted into a
 * private SQLite file (one row per record, the record `v8`-serialised so int64 bigints and bytes
 * survive), and every round then streams one collection from it in id order: memory stays at a
 * page, whatever the size of the backend. The file is removed on close (and on exit).
 */
export function backendSource(backend: Backend, label: string, close: () => Promise<void>): RecordSource {
  let spilled: Promise<Database.Database> | undefined;
  let dir: string | undefined;
  const load = (): Promise<Database.Database> =>
    (spilled ??= (async () => {
      dir = makeTempDir('syncdoc-feed-');
      const db = new Database(join(dir, 'feed.db'));
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.exec('CREATE TABLE feed (collection TEXT NOT NULL, record_id TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (collection, record_id)) WITHOUT ROWID');
      const upsert = db.prepare('INSERT OR REPLACE INTO feed (collection, record_id, record) VALUES (?, ?, ?)');
      const writePage = db.transaction((changes: Change[]) => {
        for (const ch of changes) upsert.run(snakeCase(ch.collection), ch.recordId, serialize(changeRecord(ch)));
      });
      let cursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await backend.pull(cursor, PULL_PAGE);
        writePage(res.changes);
        cursor = res.cursor;
        if (!res.hasMore) break;
      }
      return db;
    })());
  return streamingSource(
    { kind: 'backend', label, side: 'server', typedNumbers: backend.kind === 'convex', mapping: `${backend.kind} backend, change feed from the start` },
    async () => ((await load()).prepare('SELECT DISTINCT collection FROM feed ORDER BY collection').pluck().all() as string[]),
    async function* (collection) {
      const rows = (await load()).prepare('SELECT record FROM feed WHERE collection = ? ORDER BY record_id').pluck().iterate(collection);
      for (const blob of rows as IterableIterator<Buffer>) yield deserialize(blob) as LogicalRecord;
    },
    {
      close: async () => {
        if (spilled) (await spilled.catch(() => undefined))?.close();
        if (dir !== undefined) removeTempDir(dir);
        await close();
      },
    },
  );
}

function changeRecord(ch: Change): LogicalRecord {
  const fields: Record<string, unknown> = { ...(ch.data ?? {}) };
  if (ch.deleted && fields['deletedAt'] === undefined && fields['deleted_at'] === undefined) {
    fields['deletedAt'] = ch.updatedAt ?? 0;
  }
  // backends speak the device's payload names (snake_case) or camelCase; fields are camelCase
  return { id: ch.recordId, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [camelCase(k), v])) };
}
