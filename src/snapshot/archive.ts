/**
 * Archive extraction into syncdoc's private temp folder: zip (yauzl), tar / tar.gz (tar), unencrypted
 * Android `adb backup` files (a text header, then a zlib-deflated tar). Every entry name is checked
 * before anything is written: absolute paths, `..` segments and link entries that lead outside the
 * folder are refused with a finding, and the total size is capped (declared sizes are summed before
 * writing; yauzl also checks the actual bytes against them). Nothing is ever written outside `destDir`.
 */
import { createReadStream, createWriteStream, mkdirSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInflate } from 'node:zlib';
import * as tar from 'tar';
import yauzl from 'yauzl';
import { InputError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { FileSignature } from './detect.js';

export type ArchiveKind = 'zip' | 'tar' | 'tgz' | 'android-backup';

export function isArchiveSignature(sig: FileSignature): sig is 'zip' | 'tar' | 'gzip' | 'android-backup' {
  return sig === 'zip' || sig === 'tar' || sig === 'gzip' || sig === 'android-backup';
}

export interface ExtractOptions {
  maxExtractBytes: number;
  /** The archive as the user named it, for messages. */
  subject: string;
}

/** A cap on entries, so a crafted central directory cannot keep us busy forever. */
const MAX_ENTRIES = 1_000_000;

export async function extractArchive(path: string, kind: ArchiveKind, destDir: string, opts: ExtractOptions): Promise<Finding[]> {
  mkdirSync(destDir, { recursive: true, mode: 0o700 });
  try {
    if (kind === 'zip') return await extractZip(path, destDir, opts);
    if (kind === 'android-backup') return await extractAndroidBackup(path, destDir, opts);
    return await extractTar(createReadStream(path), destDir, opts);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read ${kind} archive (${err instanceof Error ? err.message : String(err)})`, {
      code: 'E_ARCHIVE_CORRUPT',
      subject: opts.subject,
      hint: 'the archive is damaged or truncated: pull or export it again',
    });
  }
}

/**
 * The safe relative path for an entry name, or null when it escapes the folder. Backslashes are
 * treated as separators (zips made on Windows), a drive letter counts as absolute.
 */
export function safeEntryPath(name: string): string | null {
  const unified = name.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) return null;
  const parts = unified.split('/');
  if (parts.includes('..')) return null;
  const normal = posix.normalize(unified).replace(/\/+$/, '');
  if (normal === '' || normal === '.' || normal.includes('\0')) return null;
  return normal;
}

function refused(name: string, why: string): Finding {
  return { code: 'ARCHIVE_ENTRY_REFUSED', severity: 'warn', message: `archive entry refused: ${why}`, ref: name };
}

function tooLarge(opts: ExtractOptions): InputError {
  return new InputError(`archive expands to more than ${opts.maxExtractBytes} bytes`, {
    code: 'E_ARCHIVE_TOO_LARGE',
    subject: opts.subject,
    hint: 'raise the cap with --max-extract-bytes <n> if the archive is trusted',
  });
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

async function extractZip(path: string, destDir: string, opts: ExtractOptions): Promise<Finding[]> {
  // decodeStrings off: yauzl would otherwise abort the whole archive on one bad name; we refuse it alone
  const zip = await yauzl.openPromise(path, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  const findings: Finding[] = [];
  let total = 0;
  let count = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (++count > MAX_ENTRIES) throw tooLarge(opts);
      const name = (entry.fileName as unknown as Buffer).toString('utf8');
      const rel = safeEntryPath(name);
      if (rel === null) {
        findings.push(refused(name, 'its path leads outside the extraction folder'));
        continue;
      }
      if (name.endsWith('/')) continue;
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (mode === S_IFLNK) {
        findings.push(refused(name, 'symbolic links are not extracted'));
        continue;
      }
      if (entry.isEncrypted()) {
        findings.push(refused(name, 'encrypted entry'));
        continue;
      }
      total += entry.uncompressedSize;
      if (total > opts.maxExtractBytes) throw tooLarge(opts);
      const dest = join(destDir, ...rel.split('/'));
      mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
      const stream = await zip.openReadStreamPromise(entry);
      await pipeline(stream, createWriteStream(dest, { mode: 0o600 }));
    }
  } finally {
    zip.close();
  }
  return findings;
}

/** Lists a zip's entry names without extracting anything (used to recognise Convex exports). */
export async function listZipEntries(path: string): Promise<string[]> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, decodeStrings: false });
  const names: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      if (names.length >= MAX_ENTRIES) break;
      names.push((entry.fileName as unknown as Buffer).toString('utf8'));
    }
  } finally {
    zip.close();
  }
  return names;
}

async function extractTar(source: NodeJS.ReadableStream, destDir: string, opts: ExtractOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  let total = 0;
  let count = 0;
  let overflow = false;
  const extractor = tar.x({
    cwd: destDir,
    strict: false,
    preservePaths: false,
    preserveOwner: false,
    noChmod: true,
    filter: (name, entry) => {
      if (overflow) return false;
      const e = entry as tar.ReadEntry;
      const rel = safeEntryPath(name);
      if (rel === null) {
        findings.push(refused(name, 'its path leads outside the extraction folder'));
        return false;
      }
      if (e.type === 'SymbolicLink' || e.type === 'Link') {
        findings.push(refused(name, 'links are not extracted'));
        return false;
      }
      if (e.type !== 'File' && e.type !== 'OldFile' && e.type !== 'ContiguousFile' && e.type !== 'Directory') return false;
      total += e.size;
      if (++count > MAX_ENTRIES || total > opts.maxExtractBytes) {
        overflow = true;
        return false;
      }
      return true;
    },
    onwarn: (code, message) => {
      findings.push({ code: 'ARCHIVE_ENTRY_REFUSED', severity: 'warn', message: `tar: ${message} (${code})` });
    },
  });
  await pipeline(source, extractor);
  if (overflow) throw tooLarge(opts);
  return findings;
}

/**
 * `adb backup` files: `ANDROID BACKUP\n<version>\n<compressed 0|1>\n<encryption>\n` then a tar,
 * zlib-deflated when compressed is 1. Encrypted backups need the user's password, which we do not take.
 */
async function extractAndroidBackup(path: string, destDir: string, opts: ExtractOptions): Promise<Finding[]> {
  const header = parseAndroidBackupHeader(path, opts.subject);
  const body = createReadStream(path, { start: header.dataOffset });
  const source = header.compressed ? body.pipe(createInflate()) : body;
  if (header.compressed) body.on('error', (err) => source.destroy(err));
  return extractTar(source, destDir, opts);
}

export interface AndroidBackupHeader {
  version: number;
  compressed: boolean;
  encryption: string;
  dataOffset: number;
}

export function parseAndroidBackupHeader(path: string, subject: string): AndroidBackupHeader {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1024);
  let n: number;
  try {
    n = readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < n && lines.length < 4; i++) {
    if (buf[i] === 0x0a) {
      lines.push(buf.subarray(start, i).toString('latin1'));
      start = i + 1;
    }
  }
  const [magic, version, compressed, encryption] = lines;
  if (magic !== 'ANDROID BACKUP' || version === undefined || compressed === undefined || encryption === undefined) {
    throw new InputError('not a valid Android backup header', {
      code: 'E_ARCHIVE_CORRUPT',
      subject,
      hint: 'the .ab file is truncated; run `adb backup` again',
    });
  }
  if (encryption !== 'none') {
    throw new InputError(`encrypted Android backup (${encryption})`, {
      code: 'E_BACKUP_ENCRYPTED',
      subject,
      hint: 'make the backup without a password (leave the password field empty on the device)',
    });
  }
  return { version: Number(version), compressed: compressed === '1', encryption, dataOffset: start };
}
