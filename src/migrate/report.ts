/**
 * The migration report, built from the plan: per collection what each layer contributed, what was
 * merged, which conflicts were resolved and how, what was set aside and why, the queue (carried,
 * backfilled, superseded, dead), type-fidelity issues, timestamp decisions, and the MMKV /
 * AsyncStorage cleanup plan (keys safe to remove after verification: printed, never run). The
 * table and `--json` are both rendered from this one object.
 */
import type { Finding } from '../findings.js';
import type { CollectionCounts, MigrationPlan, RecordDecision } from './types.js';

export interface CleanupStep {
  store: string;
  key: string;
  collections: string[];
  /** How to remove it in the app (react-native-mmkv / AsyncStorage API). */
  command: string;
}

export interface MigrationReport {
  verdict: 'migrated' | 'planned';
  dryRun: boolean;
  out: string;
  profile: string;
  profileReason: string;
  conflict: string;
  migratedAtMs: number;
  migratedAtSource: string;
  collections: Array<{ collection: string } & CollectionCounts>;
  /** Records with more than one copy, or not synced: which copy won, why, what differed. */
  decisions: RecordDecision[];
  duplicates: MigrationPlan['duplicates'];
  setAside: MigrationPlan['setAside'];
  fidelity: MigrationPlan['fidelity'];
  timestampDecisions: MigrationPlan['timestampDecisions'];
  queue: { total: number; byStatus: Record<string, number>; backfilled: number; superseded: number; dead: Array<{ id: string; reason: string }> };
  cleanup: { keep: Array<{ store: string; key: string }>; remove: CleanupStep[]; note: string };
  sources: MigrationPlan['sources'];
  digests: Record<string, { count: number; sum: string }>;
  verified: boolean | null;
  findings: Finding[];
}

export function buildReport(plan: MigrationPlan, opts: { out: string; dryRun: boolean; verified: Record<string, string> | null }): MigrationReport {
  const byStatus: Record<string, number> = {};
  for (const r of plan.queue) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const digests: MigrationReport['digests'] = {};
  // after a migration: the digests recomputed from the written file; a dry run knows them only
  // when no rows are left to the bulk copy (those are digested while being written)
  const source = opts.verified ?? (plan.bulk.length === 0 ? plan.digests : {});
  for (const [c, d] of Object.entries(source)) {
    const parsed = JSON.parse(d) as { count: number; sum: string };
    digests[c] = { count: parsed.count, sum: parsed.sum };
  }
  return {
    verdict: opts.dryRun ? 'planned' : 'migrated',
    dryRun: opts.dryRun,
    out: opts.out,
    profile: plan.profile,
    profileReason: plan.profileReason,
    conflict: plan.conflict,
    migratedAtMs: plan.nowMs,
    migratedAtSource: plan.nowSource,
    collections: plan.collections.map((c) => ({ collection: c, ...plan.counts[c]! })),
    decisions: plan.decisions.filter((d) => d.candidates.length > 1 || d.syncStatus !== 'synced'),
    duplicates: plan.duplicates,
    setAside: plan.setAside,
    fidelity: plan.fidelity,
    timestampDecisions: plan.timestampDecisions,
    queue: {
      total: plan.queue.length,
      byStatus,
      backfilled: plan.queue.filter((r) => r.origin === 'backfill').length,
      superseded: plan.queue.filter((r) => r.statusReason?.startsWith('superseded') === true).length,
      dead: plan.queue.filter((r) => r.status === 'dead').map((r) => ({ id: r.id, reason: r.statusReason ?? '' })),
    },
    cleanup: {
      keep: plan.keyValueKeys.filter((k) => k.role === 'config').map((k) => ({ store: k.store, key: k.key })),
      remove: plan.keyValueKeys
        .filter((k) => k.role === 'data')
        .map((k) => ({
          store: k.store,
          key: k.key,
          collections: k.collections,
          command: k.store.includes('mmkv') ? `storage.remove(${JSON.stringify(k.key)})` : `AsyncStorage.removeItem(${JSON.stringify(k.key)})`,
        })),
      note: 'run these in the app only after `syncdoc verify` passes on the migrated database; syncdoc never runs them',
    },
    sources: plan.sources,
    digests,
    verified: opts.verified === null ? null : true,
    findings: plan.findings,
  };
}
