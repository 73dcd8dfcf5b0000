// openSnapshot on every input shape: folder, single store file, zip, tar, tar.gz, adb backup (plain
// and deflated), .xcappdata; companions travel with their store; hostile archive entries are
// refused; the extraction cap holds; the user's files are never modified and temp folders go away.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { inspectSnapshot } from '../inspect/inspect.js';
import { copyFixture, FIXTURES, hashTree, scratchDir } from '../test-support/cli.js';
import { openSnapshot } from './open.js';
import { writeAndroidBackup, writeFileIn, writeTar, writeZip } from './test-archives.js';
import type { Snapshot } from './types.js';
import { walkFolder } from './walk.js';

const SNAPSHOTS = join(FIXTURES, 'snapshots');
const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

function filesUnder(dir: string): string[] {
  return walkFolder(dir).files.map((f) => f.rel);
}

async function withSnapshot<T>(input: string, body: (s: Snapshot) => T | Promise<T>, opts = {}): Promise<T> {
  const s = await openSnapshot(input, opts);
  try {
    return await body(s);
  } finally {
    s.close();
  }
}

async function expectInputError(p: Promise<unknown>, code: string): Promise<InputError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).code).toBe(code);
  expect((err as InputError).hint).toBeTruthy();
  return err as InputError;
}

describe('folders and single files', () => {
  it('copies each store with its companions; hashes are of the original; close() removes the copies', async () => {
    const dir = copyFixture('snapshots/drizzle-expo-wal');
    const before = hashTree(dir);
    const s = await openSnapshot(dir);
    const [store] = s.stores;
    expect(s.container).toBe('folder');
    expect(store).toMatchObject({ kind: 'sqlite', path: 'SQLite/tasks.db', sha256: sha256(join(dir, 'SQLite/tasks.db')) });
    expect(Object.keys(store?.companions ?? {}).sort()).toEqual(['shm', 'wal']);
    expect(relative(dir, store?.localPath ?? dir).startsWith('..')).toBe(true);
    expect(sha256(store?.companions.wal ?? '')).toBe(sha256(join(dir, 'SQLite/tasks.db-wal')));
    expect(existsSync(store?.localPath ?? '')).toBe(true);
    s.close();
    s.close(); // idempotent
    expect(existsSync(store?.localPath ?? '')).toBe(false);
    expect(hashTree(dir)).toEqual(before);
  });

  it('{ sha256: false }: same stores and byte-identical copies, no hash; the originals untouched', async () => {
    const dir = copyFixture('snapshots/drizzle-expo-wal');
    const before = hashTree(dir);
    for (const input of [dir, join(dir, 'SQLite/tasks.db')]) {
      await withSnapshot(
        input,
        (s) => {
          const [store] = s.stores;
          expect(store).toMatchObject({ kind: 'sqlite', path: input === dir ? 'SQLite/tasks.db' : 'tasks.db', sha256: '' });
          expect(store?.sizeBytes).toBe(readFileSync(join(dir, 'SQLite/tasks.db')).length);
          expect(sha256(store?.localPath ?? '')).toBe(sha256(join(dir, 'SQLite/tasks.db')));
          expect(sha256(store?.companions.wal ?? '')).toBe(sha256(join(dir, 'SQLite/tasks.db-wal')));
          expect(relative(dir, store?.localPath ?? dir).startsWith('..')).toBe(true);
        },
        { sha256: false },
      );
    }
    expect(hashTree(dir)).toEqual(before);
  });

  it('a single MMKV data file brings its .crc', async () => {
    await withSnapshot(join(SNAPSHOTS, 'triple-layer-legacy', 'mmkv', 'mmkv.default'), (s) => {
      expect(s.container).toBe('file');
      expect(s.stores).toHaveLength(1);
      expect(s.stores[0]).toMatchObject({ kind: 'mmkv', path: 'mmkv.default' });
      expect(readFileSync(s.stores[0]?.companions.crc ?? '')).toEqual(
        readFileSync(join(SNAPSHOTS, 'triple-layer-legacy', 'mmkv', 'mmkv.default.crc')),
      );
    });
  });

  it('a Convex export zip is a store, not an archive to extract', async () => {
    const zip = join(SNAPSHOTS, 'triple-layer-legacy', 'server', 'snapshot_happy-lynx-123_20250314T113000Z.zip');
    await withSnapshot(zip, (s) => {
      expect(s.container).toBe('file');
      expect(s.stores.map((x) => [x.kind, x.sha256])).toEqual([['convex-export', sha256(zip)]]);
    });
  });

  it('an iOS AsyncStorage folder: manifest.json plus its md5-named side files', async () => {
    const dir = scratchDir();
    const big = 'x'.repeat(2048);
    const md5 = createHash('md5').update('persist:root').digest('hex');
    writeFileIn(dir, 'Documents/RCTAsyncLocalStorage_V1/manifest.json', JSON.stringify({ '@app/theme': 'dark', 'persist:root': null }));
    writeFileIn(dir, `Documents/RCTAsyncLocalStorage_V1/${md5}`, big);
    await withSnapshot(dir, (s) => {
      expect(s.stores).toHaveLength(1);
      const store = s.stores[0];
      expect(store).toMatchObject({ kind: 'asyncstorage-ios', path: 'Documents/RCTAsyncLocalStorage_V1/manifest.json' });
      const folder = dirname(store?.localPath ?? '');
      expect(readdirSync(folder).sort()).toEqual([md5, 'manifest.json'].sort());
      expect(readFileSync(join(folder, md5), 'utf8')).toBe(big);
      expect(store?.localPath).toBe(join(folder, 'manifest.json'));
      expect(store?.companions.manifest).toBe(store?.localPath);
    });
  });

  it('MMKV needs a sane .crc: a bogus meta version is not an instance; a damaged size still is', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'store'), Buffer.alloc(4096));
    const crc = Buffer.alloc(4096);
    crc.writeUInt32LE(99, 4);
    writeFileSync(join(dir, 'store.crc'), crc);
    await expectInputError(openSnapshot(dir), 'E_NO_STORES');
    crc.writeUInt32LE(4, 4);
    crc.writeUInt32LE(100, 28);
    writeFileSync(join(dir, 'store.crc'), crc);
    await withSnapshot(dir, (s) => expect(s.stores.map((x) => x.kind)).toEqual(['mmkv']));
    // actual_size beyond the data file is damage for the MMKV reader to report, not a reason to hide it
    crc.writeUInt32LE(5000, 28);
    writeFileSync(join(dir, 'store.crc'), crc);
    await withSnapshot(dir, (s) => expect(s.stores.map((x) => x.kind)).toEqual(['mmkv']));
  });

  it('an orphan -wal and a nested archive are reported, not silently skipped', async () => {
    const dir = scratchDir();
    cpSync(join(SNAPSHOTS, 'watermelondb-basic', 'watermelon.db'), join(dir, 'watermelon.db'));
    writeFileSync(join(dir, 'gone.db-wal'), Buffer.alloc(100, 1));
    await writeTar(join(dir, 'inner.tar'), join(SNAPSHOTS, 'watermelondb-basic'), ['watermelon.db'], false);
    await withSnapshot(dir, (s) => {
      expect(s.stores.map((x) => x.path)).toEqual(['watermelon.db']);
      expect(s.findings.map((f) => [f.code, f.ref])).toEqual(
        expect.arrayContaining([
          ['SNAPSHOT_ORPHAN_COMPANION', 'gone.db-wal'],
          ['SNAPSHOT_NESTED_ARCHIVE', 'inner.tar'],
        ]),
      );
    });
  });

  it('a folder holding only an archive: the error points at the archive', async () => {
    const dir = scratchDir();
    await writeTar(join(dir, 'backup.tgz'), join(SNAPSHOTS, 'watermelondb-basic'), ['watermelon.db'], true);
    const err = await expectInputError(openSnapshot(dir), 'E_NO_STORES');
    expect(err.message).toBe('no stores found (1 archive(s) inside were not opened)');
    expect(err.hint).toBe(`pass the archive itself: syncdoc inspect ${join(dir, 'backup.tgz')}`);
  });

  it('a FIFO or device as input is refused without reading it', async () => {
    const dir = scratchDir();
    execFileSync('mkfifo', [join(dir, 'pipe.db')]);
    await expectInputError(openSnapshot(join(dir, 'pipe.db')), 'E_INPUT_UNSUPPORTED');
    await expectInputError(openSnapshot('/dev/null'), 'E_INPUT_UNSUPPORTED');
  });

  it('the walk is bounded: too many files or too deep is a finding', () => {
    const dir = scratchDir();
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `f${i}`), 'x');
    let deep = dir;
    for (let i = 0; i < 4; i++) mkdirSync((deep = join(deep, 'd')));
    writeFileSync(join(deep, 'bottom'), 'x');
    const few = walkFolder(dir, { maxDepth: 64, maxFiles: 3 });
    expect(few.files).toHaveLength(3);
    expect(few.findings.map((f) => f.code)).toEqual(['SNAPSHOT_WALK_LIMIT']);
    const shallow = walkFolder(dir, { maxDepth: 2, maxFiles: 100 });
    expect(shallow.files.map((f) => f.rel)).not.toContain('d/d/d/d/bottom');
    expect(shallow.findings.map((f) => f.code)).toEqual(['SNAPSHOT_WALK_LIMIT']);
  });

  it('links inside the folder are skipped silently, dangling links are refused', () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'real'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'inside'));
    symlinkSync(join(dir, 'missing'), join(dir, 'dangling'));
    const { files, findings } = walkFolder(dir);
    expect(files.map((f) => f.rel)).toEqual(['real']);
    expect(findings.map((f) => [f.code, f.ref])).toEqual([['SNAPSHOT_LINK_OUTSIDE', 'dangling']]);
  });
});

describe('archives', () => {
  /** Every file of a fixture folder except truth.json, as relative paths. */
  const fixtureFiles = (name: string): string[] => filesUnder(join(SNAPSHOTS, name)).filter((f) => f !== 'truth.json');

  async function zipFixture(name: string, dest: string, prefix = ''): Promise<void> {
    const dir = join(SNAPSHOTS, name);
    await writeZip(
      dest,
      fixtureFiles(name).map((rel) => ({ name: prefix + rel, data: readFileSync(join(dir, rel)) })),
    );
  }

  it('zip: same stores and hashes as the folder', async () => {
    const dir = scratchDir();
    const zip = join(dir, 'triple.zip');
    await zipFixture('triple-layer-legacy', zip);
    const before = hashTree(dir);
    const fromFolder = await withSnapshot(join(SNAPSHOTS, 'triple-layer-legacy'), (s) => s.stores.map((x) => [x.kind, x.path, x.sha256]));
    const fromZip = await withSnapshot(zip, (s) => {
      expect(s.container).toBe('zip');
      return s.stores.map((x) => [x.kind, x.path, x.sha256]);
    });
    expect(fromZip).toEqual(fromFolder);
    expect(hashTree(dir)).toEqual(before);
  });

  it.each([
    ['tar', false],
    ['tgz', true],
  ] as const)('%s: companions travel with the store, so WAL-only rows are still found', async (container, gzip) => {
    const dir = scratchDir();
    const file = join(dir, `snap.${container}`);
    await writeTar(file, join(SNAPSHOTS, 'drizzle-expo-wal'), fixtureFiles('drizzle-expo-wal'), gzip);
    const report = await inspectSnapshot(file);
    expect(report.snapshot.container).toBe(container);
    expect(report.stores[0]?.companions).toEqual(['shm', 'wal']);
    const tasks = report.stores[0]?.sqlite?.walOnlyRows?.find((d) => d.table === 'tasks');
    expect([tasks?.insertedCount, tasks?.updatedCount]).toEqual([4, 5]);
  });

  it.each([true, false])('adb backup (compressed=%s)', async (compressed) => {
    const dir = scratchDir();
    const stage = join(dir, 'stage');
    cpSync(join(SNAPSHOTS, 'watermelondb-basic', 'watermelon.db'), join(stage, 'apps/com.example.wellness/db/watermelon.db'), {
      recursive: true,
    });
    cpSync(join(SNAPSHOTS, 'triple-layer-legacy', 'mmkv'), join(stage, 'apps/com.example.wellness/f/mmkv'), { recursive: true });
    await writeTar(join(dir, 'backup.tar'), stage, ['apps'], false);
    writeAndroidBackup(join(dir, 'backup.ab'), join(dir, 'backup.tar'), compressed);
    await withSnapshot(join(dir, 'backup.ab'), (s) => {
      expect(s.container).toBe('android-backup');
      expect(s.stores.map((x) => [x.kind, x.path])).toEqual([
        ['sqlite', 'apps/com.example.wellness/db/watermelon.db'],
        ['mmkv', 'apps/com.example.wellness/f/mmkv/mmkv.default'],
      ]);
      expect(s.stores[0]?.sha256).toBe(sha256(join(SNAPSHOTS, 'watermelondb-basic', 'watermelon.db')));
    });
  });

  it('an encrypted adb backup is refused with a hint', async () => {
    const dir = scratchDir();
    await writeTar(join(dir, 'b.tar'), join(SNAPSHOTS, 'watermelondb-basic'), ['watermelon.db'], false);
    writeAndroidBackup(join(dir, 'b.ab'), join(dir, 'b.tar'), true, 'AES-256');
    const err = await expectInputError(openSnapshot(join(dir, 'b.ab')), 'E_BACKUP_ENCRYPTED');
    expect(err.hint).toMatch(/password/);
  });

  it('.xcappdata package (a folder)', async () => {
    const dir = scratchDir();
    const pkg = join(dir, 'Wellness 2025-03-14.xcappdata');
    cpSync(join(SNAPSHOTS, 'drizzle-expo-wal', 'SQLite'), join(pkg, 'AppData', 'Documents', 'SQLite'), { recursive: true });
    await withSnapshot(pkg, (s) => {
      expect(s.container).toBe('xcappdata');
      expect(s.stores.map((x) => x.path)).toEqual(['AppData/Documents/SQLite/tasks.db']);
    });
  });

  it('tar: ../ paths, absolute paths and links pointing outside are refused; nothing lands outside', async () => {
    const dir = scratchDir();
    const stage = join(dir, 'stage');
    mkdirSync(join(stage, 'inner'), { recursive: true });
    cpSync(join(SNAPSHOTS, 'watermelondb-basic', 'watermelon.db'), join(stage, 'inner', 'app.db'));
    writeFileSync(join(stage, 'evil'), 'pwned');
    symlinkSync('/etc/passwd', join(stage, 'inner', 'passwd.db'));
    // tar writes `inner/../evil` as given (preservePaths lets the test plant it)
    const { c } = await import('tar');
    await c({ file: join(dir, 'hostile.tar'), cwd: stage, preservePaths: true, portable: true }, [
      'inner/app.db',
      'inner/passwd.db',
      'inner/../evil',
    ]);
    const s = await openSnapshot(join(dir, 'hostile.tar'));
    try {
      expect(s.stores.map((x) => x.path)).toEqual(['inner/app.db']);
      const refused = s.findings.filter((f) => f.code === 'ARCHIVE_ENTRY_REFUSED').map((f) => f.ref);
      expect(refused).toEqual(expect.arrayContaining(['inner/passwd.db', 'inner/../evil']));
    } finally {
      s.close();
    }
    rmSync(stage, { recursive: true });
    expect(readdirSync(dir).sort()).toEqual(['hostile.tar']);
  });

  it('zip: absolute paths and symlink entries are refused', async () => {
    const dir = scratchDir();
    await writeZip(join(dir, 'h.zip'), [
      { name: '/abs.db', data: readFileSync(join(SNAPSHOTS, 'watermelondb-basic', 'watermelon.db')) },
      { name: 'link.db', data: Buffer.from('/etc/passwd'), symlink: true },
      { name: 'ok/app.db', data: readFileSync(join(SNAPSHOTS, 'watermelondb-basic', 'watermelon.db')) },
    ]);
    await withSnapshot(join(dir, 'h.zip'), (s) => {
      expect(s.stores.map((x) => x.path)).toEqual(['ok/app.db']);
      expect(s.findings.filter((f) => f.code === 'ARCHIVE_ENTRY_REFUSED').map((f) => f.ref)).toEqual(['/abs.db', 'link.db']);
    });
  });

  it.each(['zip', 'tgz'] as const)('%s: the extraction cap stops a too-large archive', async (kind) => {
    const dir = scratchDir();
    const file = join(dir, `big.${kind}`);
    if (kind === 'zip') await zipFixture('watermelondb-basic', file);
    else await writeTar(file, join(SNAPSHOTS, 'watermelondb-basic'), ['watermelon.db'], true);
    const err = await expectInputError(openSnapshot(file, { maxExtractBytes: 10_000 }), 'E_ARCHIVE_TOO_LARGE');
    expect(err.hint).toMatch(/--max-extract-bytes/);
    await withSnapshot(file, (s) => expect(s.stores).toHaveLength(1), { maxExtractBytes: 200_000 });
  });

  it('a truncated zip is a corrupt archive (exit 4)', async () => {
    const dir = scratchDir();
    const zip = join(dir, 'full.zip');
    await zipFixture('watermelondb-basic', zip);
    writeFileSync(join(dir, 'cut.zip'), readFileSync(zip).subarray(0, 3000));
    await expectInputError(openSnapshot(join(dir, 'cut.zip')), 'E_ARCHIVE_CORRUPT');
  });
});
