/**
 * What `syncdoc mmkv <file|dir>` reads. A file argument is taken at its word: it is decoded as an
 * MMKV data file (its `.crc` beside it, if any) even when it is too damaged for content detection,
 * because explaining damage is the point. A folder or archive goes through `openSnapshot`, and
 * every MMKV instance detected in it is decoded from syncdoc's private copy. Inputs are only read.
 */
import { readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { InputError, isSyncdocError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { MmkvDecodeOptions, MmkvInstance } from './mmkv.js';

export interface MmkvInputResult {
  /** 'file' when the argument was one data file; otherwise the instances of a folder/archive. */
  mode: 'file' | 'snapshot';
  instances: MmkvInstance[];
  /** Problems met opening a folder/archive, and instances that could not be decoded. */
  findings: Finding[];
}

export async function readMmkvInput(input: string, opts: MmkvDecodeOptions): Promise<MmkvInputResult> {
  const st = statSync(input, { throwIfNoEntry: false });
  if (st === undefined) {
    throw new InputError('no such file or folder', { code: 'E_INPUT_MISSING', subject: input, hint: 'pass an MMKV data file (named by the instance id, beside its .crc) or a folder holding them' });
  }
  if (st.isFile() && !isArchiveName(input)) {
    const dataPath = input.endsWith('.crc') ? input.slice(0, -'.crc'.length) : input;
    // The data file is read on libuv's thread pool while the decoder's modules load (~15 ms of
    // start-up, and a 32 MB read is about as long).
    const [data, { readMmkvFiles }] = await Promise.all([readAhead(dataPath), import('./mmkv.js')]);
    return { mode: 'file', instances: [readMmkvFiles(dataPath, { store: dataPath, ...opts }, data)], findings: [] };
  }
  const { readMmkvInstance } = await import('./mmkv.js');
  // Loaded only for folders and archives: it pulls in the tar and zip readers, which a single
  // file never needs (start-up time is part of every `syncdoc mmkv <file>` run).
  const { openSnapshot } = await import('../snapshot/open.js');
  const snapshot = await openSnapshot(input).catch((err: unknown) => {
    if (isSyncdocError(err) && err.code === 'E_NO_STORES') {
      throw new InputError('no MMKV instance found', { code: 'E_MMKV_NONE', subject: input, hint: 'an instance is a data file plus <name>.crc; pass the data file itself to read one that is damaged' });
    }
    throw err;
  });
  try {
    const findings: Finding[] = [...snapshot.findings];
    const instances: MmkvInstance[] = [];
    let firstError: unknown;
    for (const store of snapshot.stores) {
      if (store.kind !== 'mmkv') continue;
      const crc = store.companions.crc === undefined ? undefined : readFileSync(store.companions.crc);
      const name = basename(store.path);
      try {
        instances.push(readMmkvInstance(readFileSync(store.localPath), crc, { ...opts, name, store: store.path }));
      } catch (err) {
        // One unreadable instance (wrong key, encrypted) must not hide the others.
        if (!isSyncdocError(err)) throw err;
        firstError ??= err;
        findings.push({ code: 'MMKV_UNREADABLE', severity: 'error', message: `${err.message}${err.hint ? ` (${err.hint})` : ''}`, store: store.path });
      }
    }
    // Nothing decodable at all: the (first) reason is the error, exit 4.
    if (instances.length === 0 && firstError !== undefined) throw firstError;
    if (instances.length === 0) {
      throw new InputError('no MMKV instance found', { code: 'E_MMKV_NONE', subject: input, hint: 'an instance is a data file plus <name>.crc; pass the data file itself to read one that is damaged' });
    }
    return { mode: 'snapshot', instances, findings };
  } finally {
    snapshot.close();
  }
}

function isArchiveName(path: string): boolean {
  return /\.(zip|tar|tgz|tar\.gz|ab|xcappdata)$/i.test(path);
}

/**
 * A regular file's bytes in one read on the thread pool (readFile would read it in chunks);
 * undefined on any error or short read, and then the decoder reads the file itself (and reports
 * what went wrong).
 */
async function readAhead(path: string): Promise<Buffer | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) return undefined;
      const bytes = Buffer.allocUnsafeSlow(st.size);
      const { bytesRead } = await fh.read(bytes, 0, st.size, 0);
      return bytesRead === st.size ? bytes : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
