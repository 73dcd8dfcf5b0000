// Fuzzing the SQLite-side readers with damaged copies of a real fixture (fast-check): the WAL frame
// reader on flipped bytes and random files, and the whole store inspection on databases with
// overwritten bytes. Damage must become counts and findings, never an exception.
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectSqliteStore } from '../inspect/sqlite-store.js';
import { NO_REDACTION } from '../privacy/redact.js';
import { openSnapshot } from '../snapshot/open.js';
import { FIXTURES, scratchDir } from '../test-support/cli.js';
import { readWalInfo } from './sqlite-wal.js';

const WAL_FIXTURE = join(FIXTURES, 'snapshots', 'drizzle-expo-wal', 'SQLite');

function expectConsistent(info: ReturnType<typeof readWalInfo>): void {
  expect(info.validFrames).toBeLessThanOrEqual(info.framesInFile);
  expect(info.commitFrames).toBeLessThanOrEqual(info.validFrames);
  expect(info.framesAfterLastCommit).toBeGreaterThanOrEqual(0);
  expect(info.lastCommitFrameIndex).toBeLessThan(Math.max(info.validFrames, 1));
}

describe('WAL reader fuzz', () => {
  const wal = readFileSync(join(WAL_FIXTURE, 'tasks.db-wal'));

  it('flipped bytes never throw, and a damaged frame cuts the valid chain there', () => {
    const dir = scratchDir();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(wal.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const copy = Buffer.from(wal);
        for (const [at, x] of flips) copy[at] = (copy[at] ?? 0) ^ x;
        writeFileSync(join(dir, 'x-wal'), copy);
        const info = readWalInfo(join(dir, 'x-wal'));
        expectConsistent(info);
        const first = Math.min(...flips.map(([at]) => at));
        if (first >= 32 && info.headerValid) {
          // frames before the first damaged one stay valid
          expect(info.validFrames).toBe(Math.floor((first - 32) / (24 + 4096)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('random files and truncations never throw', () => {
    const dir = scratchDir();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 9000 }).map((a) => Buffer.from(a)),
          fc.nat(wal.length).map((n) => wal.subarray(0, n)),
        ),
        (buf) => {
          writeFileSync(join(dir, 'y-wal'), buf);
          expectConsistent(readWalInfo(join(dir, 'y-wal')));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('store inspection fuzz', () => {
  it('a database with overwritten bytes yields findings, not exceptions', async () => {
    const db = readFileSync(join(FIXTURES, 'snapshots', 'watermelondb-basic', 'watermelon.db'));
    const dir = scratchDir();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(db.length - 1),
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 0, max: 255 }),
        async (at, length, value) => {
          const copy = Buffer.from(db);
          copy.fill(value, at, Math.min(at + length, copy.length));
          writeFileSync(join(dir, 'watermelon.db'), copy);
          let snap;
          try {
            snap = await openSnapshot(join(dir, 'watermelon.db'));
          } catch {
            return; // header destroyed: not a SQLite file any more (an InputError, tested elsewhere)
          }
          try {
            const store = snap.stores[0];
            if (!store) return;
            const result = inspectSqliteStore(store, { mmkvStores: 0, redactor: NO_REDACTION, walRowLimit: 10 });
            expect(Array.isArray(result.findings)).toBe(true);
          } finally {
            snap.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
