// Migrating the fixtures and two generated snapshots (a small one with a server export, and one
// large enough for the scan workers, the hashing ahead and the range-by-range bulk insert) must give
// the very database content the build before the migrate speed work gave (commit 83918e3). The
// hashes in fixtures/migrate-reference.json were computed from that build's output with
// `contentHash` (every table's schema and rows, with storage classes; only the syncdoc version in
// migration_log left out). A change that means to alter the output updates them, and says why.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, scratchDir } from '../test-support/cli.js';
import { contentHash } from '../test-support/db-dump.js';
import { migrateSnapshot } from './run.js';
import { generateTripleLayerSnapshot } from './synthetic.js';

const REFERENCE = JSON.parse(readFileSync(join(FIXTURES, 'migrate-reference.json'), 'utf8')) as Record<string, string>;
const GENERATED: Record<string, Parameters<typeof generateTripleLayerSnapshot>[1]> = {
  'synthetic-3000': { rows: 3000, mmkvRows: 300, serverRows: 500 },
  'synthetic-70000': { rows: 70_000, mmkvRows: 500, serverRows: 0 },
};

describe('migrate output equals the reference build’s', () => {
  it.each(Object.keys(REFERENCE))('%s', async (name) => {
    let snapshot = join(FIXTURES, 'snapshots', name);
    const generated = GENERATED[name];
    if (generated !== undefined) {
      snapshot = join(scratchDir(), 'snapshot');
      await generateTripleLayerSnapshot(snapshot, generated);
    }
    const out = join(scratchDir(), 'unified.db');
    await migrateSnapshot({ snapshot, out, profile: 'auto', conflict: 'lww', dryRun: false, force: false });
    expect(contentHash(out, ['migration_log.syncdoc_version'])).toBe(REFERENCE[name]);
  }, 120_000);
});
