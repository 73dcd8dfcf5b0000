/**
 * `openSnapshot`: turns whatever the user pulled off a device (a folder, one store file, an archive)
 * into a `Snapshot`: every store found by its bytes, each with a private copy (plus companions) in a
 * temp folder that `close()` and process exit remove. The user's files are only ever read: stores
 * are copied before anything opens them, because even a read-only SQLite open can create `-wal`/`-shm`
 * files beside a WAL-mode database. Problems that leave the snapshot usable are findings; a snapshot
 * with nothing to read is an `InputError` (exit 4).
 */
import { linkSync, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { Finding } from '../findings.js';
import { extractArchive, isArchiveSignature, listZipEntries, type ArchiveKind } from './archive.js';
import { copyWithHash, copyWithoutHash, hashFile } from './copy.js';
import {
  CONVEX_EXPORT_MARKER,
  HEAD_BYTES,
  isAsyncStorageManifest,
  isMmkvPair,
  MANIFEST_SNIFF_BYTES,
  MMKV_META_BYTES,
  readHead,
  signatureOf,
  type FileSignature,
} from './detect.js';
import { makeTempDir, removeTempDir } from './temp.js';
import type { OpenSnapshotOptions, Snapshot, StoreKind, StoreRef } from './types.js';
import { errorText, walkFolder, type WalkedFile } from './walk.js';

export const DEFAULT_MAX_EXTRACT_BYTES = 4 * 1024 ** 3;

const ACCEPTED =
  'syncdoc reads a folder, a SQLite database, an MMKV file (with its .crc), an iOS AsyncStorage manifest.json, ' +
  'or an archive (.zip, .tar, .tar.gz/.tgz, adb backup .ab, .xcappdata)';
const SQLITE_COMPANIONS = [
  ['wal', '-wal'],
  ['shm', '-shm'],
  ['journal', '-journal'],
] as const;
/** Names that promise a database; when the bytes disagree we say so instead of skipping silently. */
const DB_NAME = /\.(db|db3|sqlite|sqlite3)$/i;

export async function openSnapshot(input: string, opts: OpenSnapshotOptions = {}): Promise<Snapshot> {
  const abs = resolve(input);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) {
    throw new InputError('no such file or folder', {
      code: 'E_INPUT_MISSING',
      subject: input,
      hint: `check the path; ${ACCEPTED}`,
    });
  }
  if (!st.isDirectory() && !st.isFile()) {
    // a FIFO or a device would block or never end: refuse before reading a byte
    throw new InputError('not a regular file or folder', { code: 'E_INPUT_UNSUPPORTED', subject: input, hint: ACCEPTED });
  }
  const tempDir = makePrivateDir();
  try {
    const opened = st.isDirectory() ? await openFolder(abs, tempDir, opts) : await openFile(abs, input, tempDir, opts);
    if (opened.stores.length === 0) throw noStores(input, opened.findings);
    let closed = false;
    return {
      input,
      container: opened.container,
      stores: opened.stores,
      findings: opened.findings,
      close() {
        if (closed) return;
        closed = true;
        removeTempDir(tempDir);
      },
    };
  } catch (err) {
    removeTempDir(tempDir);
    throw err;
  }
}

function makePrivateDir(): string {
  try {
    return makeTempDir('syncdoc-snap-');
  } catch (err) {
    throw new InputError(`cannot create a private temp folder (${errorText(err)})`, {
      code: 'E_TEMP_UNAVAILABLE',
      subject: tmpdir(),
      hint: 'set TMPDIR to a writable folder with room for a copy of the snapshot',
    });
  }
}

interface Opened {
  container: Snapshot['container'];
  stores: StoreRef[];
  findings: Finding[];
}

async function openFolder(abs: string, tempDir: string, opts: OpenSnapshotOptions): Promise<Opened> {
  const container = /\.xcappdata\/?$/i.test(abs) ? 'xcappdata' : 'folder';
  const { files, findings } = walkFolder(abs);
  const stores = await collectStores(files, findings, { copyTo: join(tempDir, 'stores'), hash: opts.sha256 !== false });
  return { container, stores, findings };
}

async function openFile(abs: string, input: string, tempDir: string, opts: OpenSnapshotOptions): Promise<Opened> {
  const head = readHeadOrThrow(abs, input);
  const signature = signatureOf(head);
  if (signature === 'empty') {
    throw new InputError('empty file', { code: 'E_INPUT_EMPTY', subject: input, hint: `pull the file again from the device; ${ACCEPTED}` });
  }
  if (signature === 'zip' && (await isConvexExport(abs))) {
    return singleStore(abs, 'convex-export', tempDir, opts.sha256 !== false);
  }
  const archive = archiveKindOf(signature);
  if (archive) {
    const extractDir = join(tempDir, 'extract');
    const maxExtractBytes = opts.maxExtractBytes ?? DEFAULT_MAX_EXTRACT_BYTES;
    const refused = await extractArchive(abs, archive, extractDir, { maxExtractBytes, subject: input });
    const { files, findings } = walkFolder(extractDir);
    findings.unshift(...refused);
    // extracted files are already private copies: hash them in place instead of copying again
    const stores = await collectStores(files, findings, { copyTo: null, hash: opts.sha256 !== false });
    return { container: archive, stores, findings };
  }
  // one store file: its companions are its siblings, found by name next to it
  const dir = dirname(abs);
  const name = basename(abs);
  const siblings = walkSiblings(dir, name);
  const findings: Finding[] = [];
  const stores = await collectStores(siblings, findings, {
    copyTo: join(tempDir, 'stores'),
    only: name,
    hash: opts.sha256 !== false,
    linkSqlite: opts.linkSqlite === true,
  });
  if (stores.length === 0) {
    throw new InputError('not a store syncdoc can read (unrecognised content)', {
      code: 'E_INPUT_UNRECOGNISED',
      subject: input,
      hint: ACCEPTED,
    });
  }
  return { container: 'file', stores, findings };
}

function archiveKindOf(signature: FileSignature): ArchiveKind | null {
  return isArchiveSignature(signature) ? (signature === 'gzip' ? 'tgz' : signature) : null;
}

async function singleStore(abs: string, kind: StoreKind, tempDir: string, hash: boolean): Promise<Opened> {
  const name = basename(abs);
  const localPath = join(tempDir, 'stores', name);
  const { sha256, sizeBytes } = await (hash ? copyWithHash : copyWithoutHash)(abs, localPath);
  return { container: 'file', stores: [{ kind, path: name, localPath, sizeBytes, sha256, companions: {} }], findings: [] };
}

/** The named file and the companions it may have, as walk entries relative to their folder. */
function walkSiblings(dir: string, name: string): WalkedFile[] {
  const out: WalkedFile[] = [];
  const candidates = [name, ...SQLITE_COMPANIONS.map(([, suffix]) => name + suffix), name + '.crc'];
  for (const n of candidates) {
    const st = statSync(join(dir, n), { throwIfNoEntry: false });
    if (st?.isFile()) out.push({ rel: n, abs: join(dir, n), sizeBytes: st.size });
  }
  if (name === 'manifest.json') {
    for (const f of walkFolder(dir, { maxDepth: 0, maxFiles: 100_000 }).files) if (f.rel !== name) out.push(f);
  }
  return out;
}

interface CollectOptions {
  /** Where to copy each store (mirroring its relative path); null = the files are already private. */
  copyTo: string | null;
  /** Consider only this relative path as a store (single-file input); others are companions. */
  only?: string;
  /** false: no sha256 (empty), and copies made by the kernel (`OpenSnapshotOptions.sha256`). */
  hash: boolean;
  /** Hard-link a SQLite store without companions instead of copying it (`OpenSnapshotOptions.linkSqlite`). */
  linkSqlite?: boolean;
}

/**
 * Detects every store among `files` and materialises it. Detection reads only file heads; the
 * pass is bounded by the walk's own limits.
 */
async function collectStores(files: WalkedFile[], findings: Finding[], opts: CollectOptions): Promise<StoreRef[]> {
  const byRel = new Map(files.map((f) => [f.rel, f]));
  const stores: StoreRef[] = [];
  const sqliteMains = new Set<string>();
  for (const file of files) {
    if (opts.only !== undefined && file.rel !== opts.only) continue;
    let detected: Detected | null;
    try {
      detected = await detectStore(file, byRel, findings);
    } catch (err) {
      findings.push({
        code: 'SNAPSHOT_UNREADABLE_ENTRY',
        severity: 'warn',
        message: `cannot read file (${errorText(err)})`,
        ref: file.rel,
      });
      continue;
    }
    if (!detected) continue;
    if (detected.kind === 'sqlite') sqliteMains.add(file.rel);
    try {
      stores.push(await materialise(file, detected, opts.copyTo, opts.hash, opts.linkSqlite === true));
    } catch (err) {
      throw new InputError(`cannot copy store (${errorText(err)})`, {
        code: 'E_INPUT_UNREADABLE',
        subject: file.abs,
        hint: 'check the file permissions, and that the temp folder has room for a copy of the store',
      });
    }
  }
  if (opts.only === undefined) reportOrphanCompanions(files, sqliteMains, findings);
  return stores;
}

interface Detected {
  kind: StoreKind;
  /** Companion walk entries by role. */
  companions: Partial<Record<keyof StoreRef['companions'], WalkedFile>>;
  /** Extra files copied beside the store (AsyncStorage side files). */
  extra: WalkedFile[];
}

async function detectStore(file: WalkedFile, byRel: Map<string, WalkedFile>, findings: Finding[]): Promise<Detected | null> {
  const named = DB_NAME.test(file.rel);
  if (file.sizeBytes === 0) {
    if (named)
      findings.push({
        code: 'SNAPSHOT_EMPTY_FILE',
        severity: 'warn',
        message: 'file is named like a database but is empty',
        ref: file.rel,
      });
    return null;
  }
  const signature = signatureOf(readHead(file.abs, HEAD_BYTES));
  if (signature === 'sqlite') {
    const companions: Detected['companions'] = {};
    for (const [role, suffix] of SQLITE_COMPANIONS) {
      const c = byRel.get(file.rel + suffix);
      if (c) companions[role] = c;
    }
    return { kind: 'sqlite', companions, extra: [] };
  }
  if (signature === 'zip' && (await isConvexExport(file.abs))) return { kind: 'convex-export', companions: {}, extra: [] };
  if (isArchiveSignature(signature)) {
    findings.push({
      code: 'SNAPSHOT_NESTED_ARCHIVE',
      severity: 'info',
      message: `${signature} archive inside the snapshot was not opened; pass it to syncdoc on its own to read it`,
      ref: file.rel,
    });
    return null;
  }
  const crc = byRel.get(file.rel + '.crc');
  if (crc && isMmkvPair(file.sizeBytes, readHead(crc.abs, MMKV_META_BYTES))) {
    return { kind: 'mmkv', companions: { crc }, extra: [] };
  }
  if (
    basename(file.rel) === 'manifest.json' &&
    file.sizeBytes <= MANIFEST_SNIFF_BYTES &&
    isAsyncStorageManifest(readFileSync(file.abs, 'utf8'))
  ) {
    const folder = dirname(file.rel);
    const prefix = folder === '.' ? '' : folder + '/';
    const extra = [...byRel.values()].filter((f) => f !== file && f.rel.startsWith(prefix) && !f.rel.slice(prefix.length).includes('/'));
    return { kind: 'asyncstorage-ios', companions: { manifest: file }, extra };
  }
  if (named) {
    findings.push({
      code: 'SNAPSHOT_UNRECOGNISED_FILE',
      severity: 'warn',
      message: 'file is named like a database but its bytes are not SQLite (corrupt, encrypted or not a database)',
      ref: file.rel,
    });
  }
  return null;
}

async function materialise(file: WalkedFile, detected: Detected, copyTo: string | null, hash: boolean, linkSqlite: boolean): Promise<StoreRef> {
  // only a lone database: with a -journal beside it a hot journal is rolled back read-write in the
  // private folder, and a -wal is read with it; both need copies
  const link = linkSqlite && detected.kind === 'sqlite' && Object.keys(detected.companions).length === 0;
  const place = async (f: WalkedFile): Promise<{ path: string; sha256: string; sizeBytes: number }> => {
    if (copyTo === null) return { path: f.abs, ...(hash ? await hashFile(f.abs) : { sha256: '', sizeBytes: f.sizeBytes }) };
    const dest = join(copyTo, ...f.rel.split('/'));
    if (link && f === file && linked(f.abs, dest)) return { path: dest, ...(hash ? await hashFile(dest) : { sha256: '', sizeBytes: statSync(dest).size }) };
    return { path: dest, ...(await (hash ? copyWithHash : copyWithoutHash)(f.abs, dest)) };
  };
  const companions: StoreRef['companions'] = {};
  for (const [role, c] of Object.entries(detected.companions) as Array<[keyof StoreRef['companions'], WalkedFile]>) {
    if (c === file) continue;
    companions[role] = (await place(c)).path;
  }
  for (const f of detected.extra) await place(f);
  const main = await place(file);
  if (detected.kind === 'asyncstorage-ios') companions.manifest = main.path;
  return { kind: detected.kind, path: file.rel, localPath: main.path, sizeBytes: main.sizeBytes, sha256: main.sha256, companions };
}

/**
 * Hard-links `src` at `dest`; false where the file system refuses (another device, permissions)
 * and for a symbolic link (SQLite follows one to put its -wal/-shm beside the target).
 */
function linked(src: string, dest: string): boolean {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  try {
    if (lstatSync(src).isSymbolicLink()) return false;
    linkSync(src, dest);
    return true;
  } catch {
    return false;
  }
}

function reportOrphanCompanions(files: WalkedFile[], sqliteMains: Set<string>, findings: Finding[]): void {
  for (const f of files) {
    const m = /^(.*)-(wal|journal)$/.exec(f.rel);
    if (m && m[1] !== undefined && !sqliteMains.has(m[1]) && f.sizeBytes > 0) {
      findings.push({
        code: 'SNAPSHOT_ORPHAN_COMPANION',
        severity: 'warn',
        message: `-${m[2]} file without its database: the writes it holds cannot be read`,
        ref: f.rel,
      });
    }
  }
}

async function isConvexExport(path: string): Promise<boolean> {
  try {
    return (await listZipEntries(path)).includes(CONVEX_EXPORT_MARKER);
  } catch {
    return false;
  }
}

function readHeadOrThrow(abs: string, input: string): Buffer {
  try {
    return readHead(abs, HEAD_BYTES);
  } catch (err) {
    throw new InputError(`cannot read file (${errorText(err)})`, {
      code: 'E_INPUT_UNREADABLE',
      subject: input,
      hint: 'check the file permissions',
    });
  }
}

/** The snapshot-opening findings that explain an empty result, as `(… ; …)` notes for the error. */
function noStores(input: string, findings: Finding[]): InputError {
  const count = (...codes: string[]): number => findings.filter((f) => codes.includes(f.code)).length;
  const refused = count('SNAPSHOT_LINK_OUTSIDE', 'ARCHIVE_ENTRY_REFUSED');
  const unrecognised = count('SNAPSHOT_UNRECOGNISED_FILE', 'SNAPSHOT_EMPTY_FILE');
  const unreadable = count('SNAPSHOT_UNREADABLE_ENTRY');
  const nested = findings.filter((f) => f.code === 'SNAPSHOT_NESTED_ARCHIVE');
  const notes = [
    refused ? `${refused} link(s) or entries pointing outside the snapshot were refused` : '',
    unrecognised ? `${unrecognised} file(s) named like databases are empty or not SQLite` : '',
    unreadable ? `${unreadable} file(s) or folder(s) could not be read` : '',
    nested.length ? `${nested.length} archive(s) inside were not opened` : '',
  ].filter(Boolean);
  const first = nested[0]?.ref;
  return new InputError(`no stores found${notes.length ? ` (${notes.join('; ')})` : ''}`, {
    code: 'E_NO_STORES',
    subject: input,
    hint:
      first !== undefined
        ? `pass the archive itself: syncdoc inspect ${join(input, first)}`
        : `point syncdoc at the app's data folder (Android: files/ and databases/; iOS: Documents/ and Library/); ${ACCEPTED}`,
  });
}
