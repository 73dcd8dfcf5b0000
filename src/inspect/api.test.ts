// The programmatic API as a script would use it: import from the package entry, open a snapshot
// once, inspect it twice (plain and redacted) without re-copying, then close it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, inspectSnapshot, openSnapshot } from '../index.js';
import { FIXTURES } from '../test-support/cli.js';

describe('programmatic API', () => {
  it('an open Snapshot can be inspected repeatedly; inspect does not close what it did not open', async () => {
    const snap = await openSnapshot(join(FIXTURES, 'snapshots', 'drizzle-expo-wal'));
    try {
      const plain = await inspectSnapshot(snap);
      const redacted = await inspectSnapshot(snap, { redact: true, walRowLimit: 2 });
      expect(existsSync(snap.stores[0]?.localPath ?? '')).toBe(true);
      const tasks = (r: typeof plain) => r.stores[0]?.sqlite?.walOnlyRows?.find((d) => d.table === 'tasks');
      expect(tasks(plain)?.inserted).toHaveLength(4);
      expect(tasks(redacted)).toMatchObject({ insertedCount: 4, listTruncated: true });
      expect(tasks(redacted)?.inserted).toHaveLength(2);
      const text = (r: typeof plain) => tasks(r)?.updated.find((u) => u.changes['text'])?.changes['text'];
      expect(text(plain)).toEqual({ mainFile: 'Water chapter book plants', withWal: 'Water chapter book plants (updated)' });
      expect(tasks(redacted)?.updated.map((u) => u.key)).toEqual(
        tasks(plain)
          ?.updated.slice(0, 2)
          .map((u) => u.key),
      );
      expect(text(redacted)).toEqual({ mainFile: '‹text-1›', withWal: '‹text-2›' });
    } finally {
      snap.close();
    }
    expect(existsSync(snap.stores[0]?.localPath ?? '')).toBe(false);
  });

  it('errors are typed', async () => {
    await expect(inspectSnapshot('/no/such/place')).rejects.toBeInstanceOf(InputError);
  });
});
