/**
 * Store and container detection by content, never by file name alone. Each check reads a small,
 * fixed number of bytes from the start of a file, so detection costs the same on a 10 KB and a
 * 10 GB file. Names are used only to pair companions (`-wal`, `.crc`, `manifest.json`) with the
 * file whose bytes were recognised.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** What the first bytes of a file say it is. */
export type FileSignature = 'sqlite' | 'zip' | 'gzip' | 'tar' | 'android-backup' | 'empty' | 'unknown';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_EMPTY_MAGIC = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ANDROID_BACKUP_MAGIC = Buffer.from('ANDROID BACKUP\n', 'latin1');
/** ustar magic sits at offset 257 of the first tar header block. */
const TAR_MAGIC_OFFSET = 257;
const TAR_MAGIC = Buffer.from('ustar', 'latin1');

/** Reads at most `length` bytes from the start of a file (fewer if the file is shorter). */
export function readHead(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function signatureOf(head: Buffer): FileSignature {
  if (head.length === 0) return 'empty';
  if (startsWith(head, SQLITE_MAGIC)) return 'sqlite';
  if (startsWith(head, ZIP_MAGIC) || startsWith(head, ZIP_EMPTY_MAGIC)) return 'zip';
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ANDROID_BACKUP_MAGIC)) return 'android-backup';
  if (head.length >= TAR_MAGIC_OFFSET + TAR_MAGIC.length && startsWith(head.subarray(TAR_MAGIC_OFFSET), TAR_MAGIC)) {
    return 'tar';
  }
  return 'unknown';
}

/** Enough bytes for every signature above (the tar magic is the farthest in). */
export const HEAD_BYTES = 512;

export function sniffFile(path: string): FileSignature {
  return signatureOf(readHead(path, HEAD_BYTES));
}

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.subarray(0, prefix.length).equals(prefix);
}

/**
 * MMKV has no magic number: an instance is a data file plus `<name>.crc` whose meta header is sane
 * (mmkv-format.md §1, §3): a known meta version (0–6). Sizes are deliberately not checked here: an
 * `actual_size` beyond the data file is damage the MMKV reader must report (and recover from), not
 * a reason to hide the store from inspect or folder scans.
 */
export function isMmkvPair(dataSizeBytes: number, crcHead: Buffer): boolean {
  if (crcHead.length < 8 || dataSizeBytes < 4) return false;
  const version = crcHead.readUInt32LE(4);
  return version <= 6;
}

/** The meta bytes worth reading from a `.crc` file. */
export const MMKV_META_BYTES = 112;

/**
 * iOS AsyncStorage keeps `RCTAsyncLocalStorage_V1/manifest.json`: one JSON object whose values are
 * the stored strings, or null when the value lives in a side file named by the key's md5.
 */
export function isAsyncStorageManifest(text: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return false;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
  return Object.values(parsed).every((v) => v === null || typeof v === 'string');
}

/** Largest manifest we parse to decide; bigger ones are still detected if they start with `{`. */
export const MANIFEST_SNIFF_BYTES = 64 * 1024 * 1024;

/** The entry that marks a zip as a Convex snapshot export. */
export const CONVEX_EXPORT_MARKER = '_tables/documents.jsonl';
