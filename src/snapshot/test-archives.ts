/**
 * Test-only builders for small archives made from fixture files: zip (yazl, with a way to plant
 * entry names yazl itself refuses, like `../evil`), tar / tar.gz (tar) and Android `adb backup`
 * files (zlib). Never imported by syncdoc's runtime code.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import * as tar from 'tar';
import yazl from 'yazl';

export interface ZipEntrySpec {
  /** May contain `..` segments or start with `/`: such names are planted by patching the bytes. */
  name: string;
  data: Buffer;
  /** Store the entry as a symbolic link (unix mode in the external attributes) to `data`. */
  symlink?: boolean;
}

export async function writeZip(path: string, entries: ZipEntrySpec[]): Promise<void> {
  const zip = new yazl.ZipFile();
  const patches: Array<[Buffer, Buffer]> = [];
  entries.forEach((e, i) => {
    let name = e.name;
    if (name.includes('..') || name.startsWith('/')) {
      // same-length placeholder, swapped back after yazl wrote it (names are not checksummed)
      const placeholder = name.replace(/\.\./g, () => 'Q' + String.fromCharCode(65 + (i % 26))).replace(/^\//, 'Z');
      patches.push([Buffer.from(placeholder), Buffer.from(name)]);
      name = placeholder;
    }
    zip.addBuffer(e.data, name, e.symlink ? { mode: 0o120777 } : {});
  });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  let bytes: Buffer = Buffer.concat(chunks);
  for (const [from, to] of patches) bytes = replaceAll(bytes, from, to);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

function replaceAll(buf: Buffer, from: Buffer, to: Buffer): Buffer {
  let at = buf.indexOf(from);
  while (at !== -1) {
    to.copy(buf, at);
    at = buf.indexOf(from, at + to.length);
  }
  return buf;
}

/** A tar (or tar.gz) of `files` (paths relative to `cwd`). */
export async function writeTar(path: string, cwd: string, files: string[], gzip: boolean): Promise<void> {
  await tar.c({ file: path, cwd, gzip, portable: true }, files);
}

/** An unencrypted `adb backup` file wrapping the tar at `tarPath`. */
export function writeAndroidBackup(path: string, tarPath: string, compressed: boolean, encryption = 'none'): void {
  const body = readFileSync(tarPath);
  const header = Buffer.from(`ANDROID BACKUP\n5\n${compressed ? 1 : 0}\n${encryption}\n`, 'latin1');
  writeFileSync(path, Buffer.concat([header, compressed ? deflateSync(body) : body]));
}

export function writeFileIn(dir: string, rel: string, data: Buffer | string): string {
  const p = join(dir, ...rel.split('/'));
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  return p;
}
