/**
 * `migrateSnapshot`: the whole pipeline behind `syncdoc migrate`. plan (read + pure planning) →
 * apply (one transaction into a temporary file beside the output) → verify (digests recomputed from
 * the written rows) → publish (atomic rename). An existing output is refused without `force`;
 * `dryRun` stops after the plan and writes nothing. Returns the report the CLI renders.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, SyncdocError, UsageError } from '../errors.js';
import { createRecordHasher } from '../integrity/index.js';
import { openSnapshot } from '../snapshot/open.js';
import type { Snapshot } from '../snapshot/types.js';
import { checkOutputConcurrent, writePlan, migrateScanContext, migrationPool, type ApplyHooks } from './apply.js';
import { loadLegacy } from './load.js';
import { planMigration } from './plan.js';
import { publish, removeStaleTemps, tempPathFor } from './publish.js';
import { buildReport, type MigrationReport } from './report.js';
import type { ConflictRule } from './types.js';

export interface MigrateOptions {
  snapshot: string;
  out: string;
  profile: string;
  server?: string;
  conflict: ConflictRule;
  dryRun: boolean;
  force: boolean;
  /** UTC ms for migration_log (default: the snapshot's newest timestamp). */
  nowMs?: number;
  /** false: every row through the general path (tests prove both paths write the same rows). */
  bulk?: boolean;
  hooks?: ApplyHooks & { onPhase?: (phase: 'plan' | 'apply' | 'verify' | 'publish') => void };
}

/** Snapshots at least this large get scan worker threads. */
const POOL_MIN_BYTES = 8 * 2 ** 20;

/**
 * Whether the input (a file, or a folder's files, at most `maxEntries` of them looked at) holds at
 * least `bytes` bytes: a guess, before the snapshot is opened, at whether it will be large.
 */
export function inputAtLeast(path: string, bytes: number, maxEntries = 10_000): boolean {
  let total = 0;
  let seen = 0;
  const folders = [path];
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size >= bytes;
    while (folders.length > 0) {
      const dir = folders.pop()!;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (++seen > maxEntries) return false;
        const full = join(dir, e.name);
        if (e.isDirectory()) folders.push(full);
        else if (e.isFile()) total += statSync(full).size;
        if (total >= bytes) return true;
      }
    }
  } catch {
    // unreadable: openSnapshot reports it
  }
  return false;
}

export function assertOutputFree(out: string, force: boolean): void {
  if (!force && existsSync(out)) {
    throw new UsageError('the output database already exists', {
      code: 'E_OUTPUT_EXISTS',
      subject: out,
      hint: 'pass --force to replace it (atomically, after verification) or choose another --out',
    });
  }
}

export async function migrateSnapshot(opts: MigrateOptions): Promise<MigrationReport> {
  const out = resolve(opts.out);
  if (!opts.dryRun) assertOutputFree(out, opts.force);
  const hasher = await createRecordHasher();
  // worker threads for the full-table scans of a large snapshot: finding the bulk copy's
  // exceptions, hashing its rows, and the re-read that verifies the written file; started before
  // the snapshot is copied so their start-up overlaps the copy. A small snapshot is scanned
  // in-process (sooner than workers start), so a pool started for one is closed unused.
  const guess = inputAtLeast(resolve(opts.snapshot), POOL_MIN_BYTES);
  let pool = guess ? migrationPool() : undefined;
  let snapshot: Snapshot;
  try {
    snapshot = await openSnapshot(opts.snapshot);
  } catch (err) {
    await pool?.close();
    throw err;
  }
  const large = snapshot.stores.reduce((n, s) => n + s.sizeBytes, 0) >= POOL_MIN_BYTES;
  if (!large) {
    await pool?.close();
    pool = undefined;
  } else if (!guess) {
    pool = migrationPool();
  }
  try {
    opts.hooks?.onPhase?.('plan');
    const loaded = await loadLegacy(snapshot, {
      profile: opts.profile,
      ...(opts.server === undefined ? {} : { server: opts.server }),
      ...(opts.bulk === undefined ? {} : { bulk: opts.bulk }),
      scan: migrateScanContext(hasher, pool),
      // the bulk rows' checksums are hashed on the workers while this thread reads and plans
      hashAhead: !opts.dryRun,
    });
    const plan = planMigration(loaded.input, { conflict: opts.conflict, ...(opts.nowMs === undefined ? {} : { nowMs: opts.nowMs }) }, hasher, {
      aliases: loaded.aliases,
    });
    if (opts.dryRun) return buildReport(plan, { out, dryRun: true, verified: null });

    removeStaleTemps(out);
    const temp = tempPathFor(out, process.pid);
    try {
      opts.hooks?.onPhase?.('apply');
      const { digests, synced } = await writePlan(plan, temp, hasher, opts.hooks, loaded.ahead);
      // the file is re-read while its fsync runs; it is published only once both are done
      synced.catch(() => undefined);
      opts.hooks?.onPhase?.('verify');
      const check = await checkOutputConcurrent(temp, hasher, digests, pool);
      await synced;
      if (!check.ok) {
        throw new SyncdocError(ExitCode.problems, `verification failed: digests differ for ${check.mismatched.join(', ') || '(no migration_log)'}`, {
          code: 'E_MIGRATE_VERIFY',
          subject: temp,
          hint: 'nothing was published; rerun with --verbose and report it',
        });
      }
      // a concurrent writer may have created the output meanwhile: never overwrite it silently
      assertOutputFree(out, opts.force);
      opts.hooks?.onPhase?.('publish');
      publish(temp, out);
      return buildReport(plan, { out, dryRun: false, verified: check.digests });
    } catch (err) {
      rmSync(temp, { force: true });
      throw err;
    }
  } finally {
    await pool?.close();
    snapshot.close();
  }
}
