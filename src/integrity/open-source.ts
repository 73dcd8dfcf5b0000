/**
 * Turns what the user typed into a record source: `local:<url>`, `http(s)://…` or `convex:<url>`
 * is a live backend; a ZIP in the Convex export layout is a Convex export; anything else is
 * opened as a snapshot (folder, SQLite file, archive; private copies only) and read as the
 * unified database when it is one, else through the legacy SQLite adapter. Sources come back with
 * the snapshot's findings so single-source checks and comparisons can report them.
 */
import type Database from 'better-sqlite3';
import { basename } from 'node:path';
import { openBackend, type BackendSpec } from '../backends/open.js';
import { InputError, UsageError } from '../errors.js';
import type { Finding } from '../findings.js';
import { openOps, readOutbox } from '../outbox/read-outbox.js';
import { isConvexExport } from '../readers/convex-export.js';
import { openSqlite } from '../readers/sqlite-open.js';
import { openSnapshot } from '../snapshot/open.js';
import type { Snapshot, StoreRef } from '../snapshot/types.js';
import { createRecordHasher } from './record-hash.js';
import { compositeSource } from './sources/composite.js';
import { legacyProfileSource } from './sources/legacy-profile.js';
import { isUnifiedDatabase, legacyTableSpecs, unifiedLayout } from './sources/sqlite-layouts.js';
import { sqliteTableSource } from './sources/sqlite-tables.js';
import { backendSource, convexExportSource } from './sources/server.js';
import type { PendingOp, RecordSource } from './source.js';

export interface OpenedSource {
  source: RecordSource;
  /** The opened snapshot, for device sources (single-source checks read its stores). */
  snapshot?: Snapshot;
  findings: Finding[];
}

const BACKEND_SPEC = /^(local|convex):(.*)$|^(https?:\/\/.*)$/;

/** Parses a backend spec without opening anything (flag validation happens before any I/O). */
export function parseBackendSpec(spec: string): BackendSpec | undefined {
  const m = BACKEND_SPEC.exec(spec);
  if (!m) return undefined;
  if (m[3] !== undefined) return { kind: 'http', url: m[3] };
  const kind = m[1] as 'local' | 'convex';
  const url = m[2] ?? '';
  if (url !== '' && !/^https?:\/\//.test(url)) {
    throw new UsageError(`bad backend source "${spec}": expected ${kind}:http://host:port`, {
      hint: 'e.g. syncdoc verify app.db local:http://127.0.0.1:8787',
    });
  }
  if (kind === 'convex' && url === '') {
    throw new UsageError('convex: needs the deployment URL', { hint: 'e.g. convex:https://happy-lynx-123.convex.cloud' });
  }
  return url === '' ? { kind } : { kind, url };
}

export interface OpenSourceOptions {
  /** Migrate profile for snapshot folders and archives: `auto` (default) or a profile name/file. */
  profile?: string;
  env?: NodeJS.ProcessEnv;
}

export async function openRecordSource(spec: string, opts: OpenSourceOptions = {}): Promise<OpenedSource> {
  const env = opts.env ?? process.env;
  const backendSpec = parseBackendSpec(spec);
  if (backendSpec) {
    const token = env['SYNCDOC_CONVEX_TOKEN'];
    const opened = await openBackend(backendSpec.kind === 'convex' && token ? { ...backendSpec, authToken: token } : backendSpec);
    return { source: backendSource(opened.backend, spec, () => opened.backend.close()), findings: [] };
  }
  if (/\.zip$/i.test(spec) && (await isConvexExport(spec))) {
    return { source: await convexExportSource(spec), findings: [] };
  }
  // verify never shows or records the stores' sha256, and only reads its stores: no hashing, and
  // a lone database file is linked rather than copied
  const snapshot = await openSnapshot(spec, { sha256: false, linkSqlite: true });
  try {
    const findings = [...snapshot.findings];
    const source = await deviceSource(snapshot, spec, opts.profile ?? 'auto', findings);
    return { source, snapshot, findings };
  } catch (err) {
    snapshot.close();
    throw err;
  }
}

/**
 * A unified database is read as such; a snapshot folder or archive goes through migrate's profile
 * mapping (every layer merged); a single legacy SQLite file, or a snapshot no profile matches, is
 * read table by table.
 */
async function deviceSource(snapshot: Snapshot, label: string, profile: string, findings: Finding[]): Promise<RecordSource> {
  const sqliteStores = snapshot.stores.filter((s) => s.kind === 'sqlite');
  const pendingOps = async (): Promise<PendingOp[]> =>
    openOps(readOutbox(snapshot)).flatMap((op) =>
      op.recordId === null ? [] : [{ collection: op.collection, recordId: op.recordId, op: op.op, queue: `${op.store}#${op.queue}` }],
    );
  const unified = sqliteStores.filter((s) => withDb(s, isUnifiedDatabase));
  if (unified.length === 1 && sqliteStores.length === 1) {
    const store = unified[0]!;
    const layout = withDb(store, unifiedLayout);
    return sqliteTableSource({
      info: { kind: 'unified-db', label, side: 'device', typedNumbers: false, mapping: 'unified schema (src/schema)' },
      dbPath: store.localPath,
      specs: layout.specs,
      scans: layout.scans,
      pendingOps,
      onClose: () => snapshot.close(),
    });
  }
  if (snapshot.container !== 'file') {
    try {
      return await legacyProfileSource(snapshot, label, profile, await createRecordHasher(), { pendingOps, close: async () => snapshot.close() });
    } catch (err) {
      // only "no profile matches" falls back; a profile that fails on its input is an error
      if (!(err instanceof InputError) || profile !== 'auto' || !/no migration profile/.test(err.message)) throw err;
      findings.push({
        code: 'VERIFY_LEGACY_ADAPTER',
        severity: 'info',
        message: 'no migrate profile matches this snapshot: its SQLite tables are read one table per collection',
      });
    }
  }
  const info = {
    kind: 'legacy-snapshot' as const,
    label,
    side: 'device' as const,
    typedNumbers: false,
    mapping: 'legacy SQLite adapter: one table per collection, MMKV/AsyncStorage layers not read',
  };
  const parts = sqliteStores.map((store) =>
    sqliteTableSource({
      info: { ...info, label: `${label}#${store.path}` },
      dbPath: store.localPath,
      specs: withDb(store, (db) => legacyTableSpecs(db).specs),
    }),
  );
  return compositeSource(info, parts, { pendingOps, close: async () => snapshot.close() });
}

function withDb<T>(store: StoreRef, fn: (db: Database.Database) => T): T {
  const db = openSqlite(store);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** A short name for a source in tables: the file name or the URL. */
export function shortLabel(label: string): string {
  return BACKEND_SPEC.test(label) ? label : basename(label);
}
