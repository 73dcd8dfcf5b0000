/**
 * Human rendering of the migration report (tables on stdout), and the redacted form `--redact`
 * prints: raw values kept for set-aside records and fidelity issues may hold people's text, so they
 * are replaced; counts, ids and decisions stay. The table helpers are passed in so this domain
 * module never imports the terminal libraries itself.
 */
import type { MigrationReport } from './report.js';

interface Paint {
  bold(s: string): string;
  dim(s: string): string;
}
type TableFn = (head: string[], rows: Array<Array<string | number | null | undefined>>) => string;
type FindingsFn = (findings: MigrationReport['findings'], style: never) => string;

/** Human tables list at most this many rows each; `--json` has them all. */
const MAX_ROWS = 50;

function capped<T>(rows: T[], what: string, out: string[]): T[] {
  if (rows.length > MAX_ROWS) out.push(`(first ${MAX_ROWS} of ${rows.length} ${what}; --json lists them all)`);
  return rows.slice(0, MAX_ROWS);
}

export function redactMigrationReport(r: MigrationReport): MigrationReport {
  return {
    ...r,
    setAside: r.setAside.map((s) => ({ ...s, raw: '[redacted]' })),
    fidelity: r.fidelity.map((f) => ({ ...f, raw: '[redacted]' })),
  };
}

export function renderMigrationText(r: MigrationReport, style: Paint, table: TableFn, findings: FindingsFn): string {
  const out: string[] = [];
  out.push(`${style.bold(r.dryRun ? 'migration plan (dry run: nothing written)' : `migrated → ${r.out}`)}`);
  out.push(`profile ${r.profile} (${r.profileReason})`);
  out.push(`conflict rule ${r.conflict}; migration time ${new Date(r.migratedAtMs).toISOString()} (${r.migratedAtSource})`);
  out.push('');
  out.push(
    table(
      ['collection', 'in', 'by layer', 'migrated', 'merged', 'set aside', 'tombstones', 'pending', 'conflicts', 'winners', 'ops carried', 'backfilled', 'superseded', 'dead'],
      r.collections.map((c) => [
        c.collection,
        c.in,
        Object.entries(c.byLayer).map(([k, v]) => `${k} ${v}`).join(', '),
        c.migrated,
        c.merged,
        c.setAside,
        c.tombstones,
        c.pending,
        c.conflicts,
        Object.entries(c.winners).map(([k, v]) => `${k} ${v}`).join(', '),
        c.opsCarried,
        c.opsBackfilled,
        c.opsSuperseded,
        c.opsDead,
      ]),
    ),
  );
  const contested = r.decisions.filter((d) => d.differingFields.length > 0 || d.syncStatus === 'conflict');
  if (contested.length > 0) {
    out.push('', style.bold(`records whose copies differed (${contested.length})`));
    out.push(
      table(
        ['collection', 'id', 'winner', 'why', 'differing fields', 'sync status'],
        capped(contested, 'records', out).map((d) => [d.collection, d.clientId, d.winner, d.reason, d.differingFields.join(', '), `${d.syncStatus}: ${d.syncStatusReason}`]),
      ),
    );
  }
  if (r.duplicates.length > 0) {
    out.push('', style.bold('duplicates inside one layer (merged)'));
    out.push(table(['collection', 'layer', 'kept', 'merged', 'why'], capped(r.duplicates, 'duplicates', out).map((d) => [d.collection, d.layer, d.kept, d.merged.join(', '), d.reason])));
  }
  if (r.setAside.length > 0) {
    out.push('', style.bold('set aside (kept in migration_log, not migrated)'));
    out.push(table(['collection', 'source', 'position', 'reason'], capped(r.setAside, 'set-aside records', out).map((s) => [s.collection, s.source, s.index, s.reason])));
  }
  if (r.fidelity.length > 0) {
    out.push('', style.bold('type fidelity (values kept as they were)'));
    out.push(table(['collection', 'id', 'field', 'problem'], capped(r.fidelity, 'fidelity issues', out).map((f) => [f.collection, f.clientId, f.field, f.problem])));
  }
  if (r.timestampDecisions.length > 0) {
    out.push('', style.bold('timestamp normalisation (→ UTC ms)'));
    out.push(
      table(
        ['collection', 'source', 'field', 'decisions'],
        r.timestampDecisions.map((t) => [t.collection, t.source, t.field, Object.entries(t.decisions).map(([k, v]) => `${k}: ${v}`).join('; ')]),
      ),
    );
  }
  const q = r.queue;
  out.push('', style.bold('sync_queue'));
  out.push(`${q.total} ops: ${Object.entries(q.byStatus).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}; ${q.backfilled} backfilled, ${q.superseded} superseded`);
  for (const d of capped(q.dead, 'dead ops', out)) out.push(`  dead ${d.id}: ${d.reason}`);
  if (r.cleanup.remove.length > 0 || r.cleanup.keep.length > 0) {
    out.push('', style.bold('key-value cleanup plan (printed, never run)'));
    for (const k of r.cleanup.remove) out.push(`  remove ${k.store} ${k.key} (${k.collections.join(', ')}): ${k.command}`);
    for (const k of r.cleanup.keep) out.push(style.dim(`  keep   ${k.store} ${k.key} (configuration)`));
    out.push(style.dim(`  ${r.cleanup.note}`));
  }
  if (r.verified !== null) out.push('', `verified: per-collection digests recomputed from the written rows match the plan (${Object.keys(r.digests).length} collections)`);
  out.push('', findings(r.findings, style as never).trimEnd());
  return out.join('\n') + '\n';
}
