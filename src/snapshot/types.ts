/**
 * The shape of an opened snapshot: every store found in it, detected by its bytes, with a private
 * copy to read. Consumers (inspect, mmkv, query, outbox, migrate, verify) only ever read
 * `localPath`s, never the user's files.
 */
import type { Finding } from '../findings.js';

export type StoreKind = 'sqlite' | 'mmkv' | 'asyncstorage-ios' | 'convex-export';

export interface StoreRef {
  kind: StoreKind;
  /**
   * Path inside the snapshot, POSIX separators (e.g. `SQLite/tasks.db`, `mmkv/mmkv.default`). For
   * `asyncstorage-ios` it is the manifest's path (`…/RCTAsyncLocalStorage_V1/manifest.json`).
   */
  path: string;
  /**
   * Absolute path of syncdoc's private copy of the store file (never the user's file). For
   * `asyncstorage-ios` it is the copied manifest.json; the md5-named side files of large values are
   * copied beside it.
   */
  localPath: string;
  /** Size and sha256 of the original (equal to the copy's); for `asyncstorage-ios`, of manifest.json. */
  sizeBytes: number;
  /** Empty when the snapshot was opened with `{ sha256: false }`. */
  sha256: string;
  /**
   * Companion files, by role, as absolute paths of the private copies:
   * sqlite → `wal`, `shm`, `journal`; mmkv → `crc`; asyncstorage-ios → `manifest`.
   */
  companions: Partial<Record<'wal' | 'shm' | 'journal' | 'crc' | 'manifest', string>>;
}

export interface Snapshot {
  /** What the user passed on the command line. */
  input: string;
  /** How the input was read. */
  container: 'folder' | 'file' | 'zip' | 'tar' | 'tgz' | 'android-backup' | 'xcappdata';
  stores: StoreRef[];
  /** Problems met while opening (refused archive entries, missing companions, …). */
  findings: Finding[];
  /** Removes the private copies. Idempotent. */
  close(): void;
}

export interface OpenSnapshotOptions {
  /** Cap on the total bytes extracted from an archive (default 4 GiB). */
  maxExtractBytes?: number;
  /**
   * false: skip hashing the stores (`StoreRef.sha256` is empty) and copy them with the kernel's
   * file copy. For callers that never show or record the hash (verify); default true.
   */
  sha256?: boolean;
  /**
   * true: a single SQLite file given alone, with no `-wal` or `-journal` beside it, is hard-linked
   * into the private folder instead of copied (falling back to a copy where the file system
   * refuses the link). For callers that open their stores read-only and nothing else (verify): a
   * read-only connection holds the file open `O_RDONLY`, so the user's bytes cannot change, and
   * any `-wal`/`-shm` SQLite makes lands beside the link, in the private folder. The link does
   * change the file's link count and ctime while it exists.
   */
  linkSqlite?: boolean;
}
