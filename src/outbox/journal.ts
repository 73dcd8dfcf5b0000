/**
 * The replay journal: one SQLite file recording, per op, whether it may have reached the backend
 * and what the backend answered. An op is marked `sent` (committed) before its request leaves, and
 * its outcome is committed when the answer arrives, so a replay killed at any instant resumes
 * correctly: `sent` ops are re-sent with the same idempotency key (the server deduplicates), never-sent
 * ops are sent, finished ops are left alone. The file is locked exclusively while a replay runs.
 * It lives outside the user's snapshot, always.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { BackendError, UsageError } from '../errors.js';

/** `pending`: definitely not applied. `sent`: may have been applied. The rest are final answers. */
export type JournalState = 'pending' | 'sent' | 'applied' | 'duplicate' | 'conflict' | 'rejected';
export const FINAL_STATES: ReadonlySet<JournalState> = new Set(['applied', 'duplicate', 'conflict', 'rejected']);

export interface JournalEntry {
  state: JournalState;
  /** Requests that carried this op, across every run. */
  sends: number;
  reason: string | null;
  version: number | null;
}

export interface JournalOutcome {
  key: string;
  state: JournalState;
  reason?: string | null;
  version?: number | null;
}

export interface Journal {
  readonly path: string | null;
  /** What earlier runs recorded, by idempotency key. */
  load(): Map<string, JournalEntry>;
  /** Before a request leaves: these ops may be applied from now on. */
  markSent(keys: readonly string[]): void;
  /** After an answer (or a definite failure): one transaction. */
  record(outcomes: readonly JournalOutcome[]): void;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ops (
  idempotency_key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  sends INTEGER NOT NULL DEFAULT 0,
  reason TEXT,
  version INTEGER,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

export interface JournalIdentity {
  /** The plan's fingerprint: the journal belongs to exactly this list of ops. */
  fingerprint: string;
  /** Backend kind and URL: resuming against another backend would lie about what it holds. */
  backend: string;
}

export function openJournal(path: string, identity: JournalIdentity): Journal {
  mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database | undefined;
  try {
    // timeout 0: a journal held by another replay fails at once instead of waiting
    db = new Database(path, { timeout: 0 });
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives the process being killed (not power loss).
    db.pragma('synchronous = NORMAL');
    // Held until close: a second replay on the same journal fails instead of double-sending.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN IMMEDIATE');
    db.exec(SCHEMA);
    db.exec('COMMIT');
  } catch (err) {
    db?.close();
    const busy = /^SQLITE_BUSY/.test((err as { code?: string }).code ?? '');
    throw new BackendError(busy ? 'the replay journal is locked by another replay' : `cannot open the replay journal (${(err as Error).message})`, {
      code: busy ? 'E_JOURNAL_LOCKED' : 'E_JOURNAL',
      subject: path,
      hint: busy ? 'wait for the other `syncdoc outbox replay` to finish, or pass another --journal' : 'pass a writable --journal path',
      cause: err,
    });
  }
  const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const putMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  for (const [key, value] of Object.entries(identity)) {
    const have = getMeta.get(key)?.value;
    if (have === undefined) putMeta.run(key, value);
    else if (have !== value) {
      db.close();
      throw new UsageError(
        key === 'fingerprint'
          ? 'the replay journal belongs to another outbox (different ops or keys)'
          : `the replay journal was written against another backend (${have})`,
        { code: 'E_JOURNAL_MISMATCH', subject: path, hint: 'pass a new --journal path for this snapshot/backend, or the snapshot and backend the journal was made for' },
      );
    }
  }
  const markSentStmt = db.prepare(
    `INSERT INTO ops (idempotency_key, state, sends, updated_at) VALUES (?, 'sent', 1, ?)
     ON CONFLICT (idempotency_key) DO UPDATE SET state = 'sent', sends = sends + 1, updated_at = excluded.updated_at`,
  );
  const recordStmt = db.prepare(
    `INSERT INTO ops (idempotency_key, state, reason, version, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (idempotency_key) DO UPDATE SET state = excluded.state, reason = excluded.reason,
       version = COALESCE(excluded.version, version), updated_at = excluded.updated_at`,
  );
  const markSentTx = db.transaction((keys: readonly string[]) => {
    const now = Date.now();
    for (const k of keys) markSentStmt.run(k, now);
  });
  const recordTx = db.transaction((outcomes: readonly JournalOutcome[]) => {
    const now = Date.now();
    for (const o of outcomes) recordStmt.run(o.key, o.state, o.reason ?? null, o.version ?? null, now);
  });
  return {
    path,
    load() {
      const rows = db.prepare('SELECT idempotency_key AS key, state, sends, reason, version FROM ops').all() as Array<JournalEntry & { key: string }>;
      return new Map(rows.map((r) => [r.key, { state: r.state, sends: r.sends, reason: r.reason, version: r.version }]));
    },
    markSent: (keys) => markSentTx(keys),
    record: (outcomes) => recordTx(outcomes),
    close: () => db.close(),
  };
}

/** A journal that lives in memory: --dry-run, and the embedded backend whose data dies with the run. */
export function memoryJournal(): Journal {
  const entries = new Map<string, JournalEntry>();
  return {
    path: null,
    load: () => new Map(entries),
    markSent(keys) {
      for (const k of keys) {
        const e = entries.get(k);
        entries.set(k, { state: 'sent', sends: (e?.sends ?? 0) + 1, reason: e?.reason ?? null, version: e?.version ?? null });
      }
    },
    record(outcomes) {
      for (const o of outcomes) {
        const e = entries.get(o.key);
        entries.set(o.key, { state: o.state, sends: e?.sends ?? 0, reason: o.reason ?? null, version: o.version ?? e?.version ?? null });
      }
    },
    close() {},
  };
}

/** Where journals live by default: $SYNCDOC_HOME, else $XDG_STATE_HOME/syncdoc, else ~/.local/state/syncdoc. */
export function syncdocStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['SYNCDOC_HOME']) return resolve(env['SYNCDOC_HOME']);
  if (env['XDG_STATE_HOME']) return join(resolve(env['XDG_STATE_HOME']), 'syncdoc');
  return join(homedir(), '.local', 'state', 'syncdoc');
}

/** The default journal of one (outbox, backend) pair, named so a rerun finds it again. */
export function defaultJournalPath(identity: JournalIdentity, env: NodeJS.ProcessEnv = process.env): string {
  const id = createHash('sha256').update(`${identity.fingerprint}\n${identity.backend}`).digest('hex').slice(0, 24);
  return join(syncdocStateDir(env), 'journals', `replay-${id}.sqlite`);
}

/** Refuses a journal inside the user's snapshot (a folder) or on top of the snapshot file itself. */
export function assertJournalOutsideSnapshot(journalPath: string, snapshotInput: string): void {
  const j = resolve(journalPath);
  const s = resolve(snapshotInput);
  const rel = relative(s, j);
  const inside = j === s || (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel));
  const companion = [s + '-wal', s + '-shm', s + '-journal'].includes(j);
  if (inside || companion) {
    throw new UsageError('the replay journal must not be written inside the snapshot', {
      subject: journalPath,
      hint: 'pass a --journal path outside the snapshot (the snapshot is never modified), or omit --journal for the default location',
    });
  }
}

export function journalExists(path: string): boolean {
  return existsSync(path);
}
