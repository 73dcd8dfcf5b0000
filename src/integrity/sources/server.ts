/**
 * Server-side record sources: a Convex export ZIP and a live backend (pulled through the shared
 * `Backend` interface). Server documents are camelCase already; the record id is the device's
 * `clientId` when the document carries one (that is what the device knows it by), else the
 * server `_id`. Table names map to snake_case collections (`userProgress` → `user_progress`).
 */
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
 * A feed can repeat a record, so this source keeps one entry per record in memory (unlike the
 * file sources, which stream).
 */
export function backendSource(backend: Backend, label: string, close: () => Promise<void>): RecordSource {
  let state: Promise<Map<string, Map<string, LogicalRecord>>> | undefined;
  const load = (): Promise<Map<string, Map<string, LogicalRecord>>> =>
    (state ??= (async () => {
      const byCollection = new Map<string, Map<string, LogicalRecord>>();
      let cursor: string | null = null;
      for (let page = 0; page < MAX_PAGES; page++) {
        const res = await backend.pull(cursor, PULL_PAGE);
        for (const ch of res.changes) {
          const collection = snakeCase(ch.collection);
          let m = byCollection.get(collection);
          if (!m) byCollection.set(collection, (m = new Map()));
          m.set(ch.recordId, changeRecord(ch));
        }
        cursor = res.cursor;
        if (!res.hasMore) break;
      }
      return byCollection;
    })());
  return streamingSource(
    { kind: 'backend', label, side: 'server', typedNumbers: backend.kind === 'convex', mapping: `${backend.kind} backend, change feed from the start` },
    async () => [...(await load()).keys()].sort(),
    async function* (collection) {
      yield* (await load()).get(collection)?.values() ?? [];
    },
    { close },
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
