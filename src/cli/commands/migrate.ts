/**
 * `syncdoc migrate <snapshot> --out <db>`: legacy stores → one unified SQLite database, verified by
 * digests and published atomically. Options are validated before any file is touched (an existing
 * output without --force is a usage error, exit 2); the report renders as tables or one JSON
 * document. Exit 0 when migrated (or planned with --dry-run), 1 when error findings were met.
 */
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { action, writeOut } from '../runtime.js';

export interface MigrateCliOptions {
  out?: string;
  profile?: string;
  server?: string;
  conflict?: string;
  dryRun?: boolean;
  force?: boolean;
  now?: string;
}

export interface MigrateCommandOptions {
  snapshot: string;
  out: string;
  profile: string;
  server?: string;
  conflict: 'lww' | 'device-wins' | 'server-wins';
  dryRun: boolean;
  force: boolean;
  nowMs?: number;
}

const CONFLICT_RULES = ['lww', 'device-wins', 'server-wins'] as const;
const BUILT_IN = ['auto', 'triple-layer', 'hybrid-queue', 'watermelondb', 'drizzle-expo', 'redux-persist'];

/** argv → options; every usage error is raised here, before any file is read. */
export function toMigrateOptions(snapshot: string, opts: MigrateCliOptions): MigrateCommandOptions {
  if (snapshot.trim() === '') throw new UsageError('the snapshot path is empty', { hint: 'syncdoc migrate <snapshot> --out <db>' });
  if (opts.out === undefined || opts.out.trim() === '') throw new UsageError('--out is required', { hint: 'syncdoc migrate <snapshot> --out unified.db' });
  const conflict = opts.conflict ?? 'lww';
  if (!(CONFLICT_RULES as readonly string[]).includes(conflict)) {
    throw new UsageError(`--conflict must be one of ${CONFLICT_RULES.join(', ')}, got "${conflict}"`, { hint: '--conflict lww' });
  }
  const profile = opts.profile ?? 'auto';
  if (!BUILT_IN.includes(profile) && !profile.endsWith('.json')) {
    throw new UsageError(`unknown profile "${profile}"`, { hint: `--profile ${BUILT_IN.join('|')} or a .json profile file` });
  }
  let nowMs: number | undefined;
  if (opts.now !== undefined) {
    const n = /^\d+$/.test(opts.now) ? Number(opts.now) : Date.parse(opts.now);
    if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--now must be UTC ms or an ISO-8601 time, got "${opts.now}"`, { hint: '--now 2025-03-14T12:00:00Z' });
    nowMs = n;
  }
  return {
    snapshot,
    out: opts.out,
    profile,
    conflict: conflict as MigrateCommandOptions['conflict'],
    dryRun: opts.dryRun === true,
    force: opts.force === true,
    ...(opts.server === undefined ? {} : { server: opts.server }),
    ...(nowMs === undefined ? {} : { nowMs }),
  };
}

export async function runMigrate(options: MigrateCommandOptions, globals: GlobalOptions): Promise<ExitCode> {
  const { migrateSnapshot, assertOutputFree } = await import('../../migrate/run.js');
  if (!options.dryRun) assertOutputFree(options.out, options.force);
  const { createLogger } = await import('../../output/logger.js');
  const spinner = await createLogger(globals).spinner(`migrating ${options.snapshot}`);
  let report;
  try {
    report = await migrateSnapshot({ ...options, hooks: { onPhase: (p) => spinner.text(`${p}: ${options.snapshot}`) } });
  } finally {
    spinner.stop();
  }
  const { redactMigrationReport, renderMigrationText } = await import('../../migrate/render.js');
  const shown = globals.redact ? redactMigrationReport(report) : report;
  if (globals.json) {
    const { renderJson } = await import('../../output/json.js');
    await writeOut(renderJson(shown));
  } else {
    const { createStyle, renderTable, renderFindings } = await import('../../output/style.js');
    await writeOut(renderMigrationText(shown, createStyle(globals), renderTable, renderFindings));
  }
  return report.findings.some((f) => f.severity === 'error') ? ExitCode.problems : ExitCode.ok;
}

export function register(program: Command): void {
  program
    .command('migrate')
    .description('migrate a legacy snapshot into one unified SQLite database (verified, atomic, deterministic)')
    .argument('<snapshot>', 'snapshot folder, file or archive')
    .option('--out <db>', 'the unified database to write')
    .option('--profile <name|file.json>', 'auto | triple-layer | hybrid-queue | watermelondb | drizzle-expo | redux-persist | a JSON profile file', 'auto')
    .option('--server <convex-export.zip>', 'the server copy (a Convex export) when the snapshot does not hold it')
    .option('--conflict <rule>', 'lww (newest updated_at; ties: server, sqlite, mmkv) | device-wins | server-wins', 'lww')
    .option('--dry-run', 'print the plan, write nothing')
    .option('--force', 'replace an existing output (atomically, after verification)')
    .option('--now <ms|iso>', "the migration's timestamp (default: the snapshot's newest timestamp)")
    .action(
      action<[string], MigrateCliOptions>(async ([snapshot], opts, globals) => runMigrate(toMigrateOptions(snapshot, opts), globals)),
    );
}
