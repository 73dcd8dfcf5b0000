/**
 * MMKV encryption: AES in CFB-128 mode over the whole data region as one stream starting at
 * offset 4 with the meta IV. The app's key string is cut or zero-padded to 16 bytes (AES-128) or
 * 32 bytes (AES-256); nothing in the files says which, so callers may try both. This module only
 * decrypts; deciding whether the result is right (it parses to its end) is the decoder's job.
 */
import { createRequire } from 'node:module';

// node:crypto is loaded on first decryption, synchronously: loading it costs ~5 ms of start-up
// that every `syncdoc mmkv` run of a plain store would pay for nothing.
const require = createRequire(import.meta.url);

export type AesBits = 128 | 256;

/** The key bytes MMKV really uses: the UTF-8 key cut to, or zero-padded up to, the AES size. */
export function effectiveMmkvKey(key: Uint8Array, bits: AesBits): Buffer {
  const out = Buffer.alloc(bits / 8);
  out.set(key.subarray(0, out.length));
  return out;
}

/**
 * The IV for a meta version: the stored random IV from version 2 on, the first 16 bytes of the
 * padded key before that (MMKV < 1.1).
 */
export function mmkvIv(metaIv: Uint8Array | undefined, metaVersion: number, effectiveKey: Buffer): Buffer {
  if (metaIv !== undefined && metaVersion >= 2) return Buffer.from(metaIv);
  const iv = Buffer.alloc(16);
  iv.set(effectiveKey.subarray(0, 16));
  return iv;
}

export function decryptMmkvRegion(region: Uint8Array, key: Uint8Array, bits: AesBits, iv: Uint8Array): Buffer {
  const { createDecipheriv } = require('node:crypto') as typeof import('node:crypto');
  const decipher = createDecipheriv(bits === 128 ? 'aes-128-cfb' : 'aes-256-cfb', key, iv);
  // CFB is a stream mode: update() returns exactly region.length bytes, final() nothing.
  return Buffer.concat([decipher.update(region), decipher.final()]);
}

/** Which AES sizes to try for a key, most likely first (a key longer than 16 bytes suggests AES-256). */
export function aesCandidates(key: Uint8Array, forced: AesBits | undefined): AesBits[] {
  if (forced !== undefined) return [forced];
  return key.length > 16 ? [256, 128] : [128, 256];
}
