/**
 * Copies a file into syncdoc's private temp folder while hashing it, in one read of the original.
 * The hash is of the bytes actually copied, so the sha256 a report prints always describes the copy
 * every reader opened, even if the user's file changes underneath us. The original is opened
 * read-only and never written.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface CopyResult {
  sha256: string;
  sizeBytes: number;
}

/**
 * Bytes per read: the default 64 KiB chunks cost a third more CPU on a 200 MB database (the
 * stream's per-chunk calls and system calls), 1 MiB ones are as fast as 4 MiB and still small.
 */
const CHUNK_BYTES = 2 ** 20;

export async function copyWithHash(src: string, dest: string): Promise<CopyResult> {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const tap = new Transform({
    highWaterMark: CHUNK_BYTES,
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(src, { highWaterMark: CHUNK_BYTES }), tap, createWriteStream(dest, { mode: 0o600, highWaterMark: CHUNK_BYTES }));
  return { sha256: hash.digest('hex'), sizeBytes };
}

export async function hashFile(path: string): Promise<CopyResult> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/**
 * A private copy without a hash: `copyFile` lets the kernel move the bytes (copy_file_range on
 * Linux), so no byte passes through JavaScript. `sha256` is empty.
 */
export async function copyWithoutHash(src: string, dest: string): Promise<CopyResult> {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  await copyFile(src, dest);
  return { sha256: '', sizeBytes: statSync(dest).size };
}
