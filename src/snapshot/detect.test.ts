// Fuzzing the byte-level parsers that see untrusted input first (fast-check): signature sniffing,
// MMKV meta sanity, the AsyncStorage manifest check, archive entry names and the adb backup header.
// None may throw on garbage, and a name accepted as safe must stay inside the extraction folder.
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { scratchDir } from '../test-support/cli.js';
import { parseAndroidBackupHeader, safeEntryPath } from './archive.js';
import { isAsyncStorageManifest, isMmkvPair, signatureOf } from './detect.js';
import { openSnapshot } from './open.js';

const bytes = fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a));

describe('detection never throws on garbage', () => {
  it('signatureOf / isMmkvPair / isAsyncStorageManifest', () => {
    fc.assert(
      fc.property(bytes, fc.nat(), fc.string(), (buf, size, text) => {
        expect(['sqlite', 'zip', 'gzip', 'tar', 'android-backup', 'empty', 'unknown']).toContain(signatureOf(buf));
        expect(typeof isMmkvPair(size, buf)).toBe('boolean');
        expect(typeof isAsyncStorageManifest(text)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('known signatures are recognised at any length past the magic', () => {
    fc.assert(
      fc.property(bytes, (tail) => {
        expect(signatureOf(Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), tail]))).toBe('sqlite');
        expect(signatureOf(Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), tail]))).toBe('zip');
        expect(signatureOf(Buffer.concat([Buffer.from('ANDROID BACKUP\n', 'latin1'), tail]))).toBe('android-backup');
      }),
    );
  });

  it('manifest: only objects of string|null values', () => {
    expect(isAsyncStorageManifest('{"a":"1","b":null}')).toBe(true);
    expect(isAsyncStorageManifest('{"a":1}')).toBe(false);
    expect(isAsyncStorageManifest('["a"]')).toBe(false);
    expect(isAsyncStorageManifest('{')).toBe(false);
  });
});

describe('archive entry names', () => {
  const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', 'b.db', '..a', 'C:', '\\..'), fc.string({ maxLength: 6 }));
  const name = fc.array(segment, { minLength: 1, maxLength: 6 }).chain((parts) => fc.constantFrom('/', '\\').map((s) => parts.join(s)));

  it('an accepted name always resolves inside the destination', () => {
    const dest = resolve('/tmp/syncdoc-extract-check');
    fc.assert(
      fc.property(fc.oneof(name, fc.string()), (n) => {
        const rel = safeEntryPath(n);
        if (rel === null) return;
        const target = resolve(dest, ...rel.split('/'));
        expect(target.startsWith(dest + sep)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['../evil', null],
    ['a/../../evil', null],
    ['/etc/passwd', null],
    ['C:\\Windows\\x', null],
    ['..\\evil', null],
    ['ok/./app.db', 'ok/app.db'],
    ['dir/', 'dir'],
    ['..hidden/app.db', '..hidden/app.db'],
  ])('%s → %s', (n, expected) => {
    expect(safeEntryPath(n)).toBe(expected);
  });
});

describe('adb backup header', () => {
  it('garbage after the magic is an InputError, never a crash', () => {
    const dir = scratchDir();
    fc.assert(
      fc.property(bytes, (tail) => {
        const file = join(dir, 'x.ab');
        writeFileSync(file, Buffer.concat([Buffer.from('ANDROID BACKUP\n', 'latin1'), tail]));
        try {
          const h = parseAndroidBackupHeader(file, 'x.ab');
          expect(h.encryption).toBe('none');
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes as a snapshot file: a Snapshot or an InputError, nothing else', async () => {
    const dir = scratchDir();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          Buffer.alloc(0),
          Buffer.from('ANDROID BACKUP\n'),
          Buffer.from([0x1f, 0x8b]),
          Buffer.from([0x50, 0x4b, 3, 4]),
          Buffer.from('SQLite format 3\0'),
        ),
        bytes,
        async (magic, tail) => {
          const file = join(dir, 'input.bin');
          writeFileSync(file, Buffer.concat([magic, tail]));
          try {
            const snap = await openSnapshot(file);
            snap.close();
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
