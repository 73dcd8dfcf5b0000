/**
 * `syncdoc inspect <snapshot>`: the stores in a snapshot and the state sync is in. Parses and
 * validates options before touching any file, calls `inspectSnapshot`, renders the report as tables
 * or one JSON document, and returns 0 (no error findings) or 1. Domain and output modules load
 * lazily so `syncdoc --help` stays cheap.
 */
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { action, writeOut } from '../runtime.js';

export interface InspectCliOptions {
  maxExtractBytes?: string;
  walRows?: string;
}

export interface InspectCommandOptions {
  snapshot: string;
  maxExtractBytes?: number;
  walRowLimit?: number;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `4G`, `512M`, `1000000` → bytes. Binary units (KiB…); a `B`/`iB` suffix is allowed. */
export function parseByteSize(raw: string, flag: string): number {
  const m = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(raw.trim());
  const n = m ? Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? NaN) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive size in bytes, got "${raw}"`, { hint: `e.g. ${flag} 8G or ${flag} 500M` });
  }
  return n;
}

function parsePositiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive integer, got "${raw}"`, { hint: `e.g. ${flag} 100` });
  }
  return n;
}

/** argv → options, separately testable: every usage error is raised here, before any file is read. */
export function toInspectOptions(snapshot: string, opts: InspectCliOptions): InspectCommandOptions {
  if (snapshot.trim() === '') throw new UsageError('the snapshot path is empty', { hint: 'syncdoc inspect <folder|file|archive>' });
  return {
    snapshot,
    ...(opts.maxExtractBytes === undefined ? {} : { maxExtractBytes: parseByteSize(opts.maxExtractBytes, '--max-extract-bytes') }),
    ...(opts.walRows === undefined ? {} : { walRowLimit: parsePositiveInt(opts.walRows, '--wal-rows') }),
  };
}

export async function runInspect(options: InspectCommandOptions, globals: GlobalOptions): Promise<ExitCode> {
  const { inspectSnapshot } = await import('../../inspect/inspect.js');
  const { createLogger } = await import('../../output/logger.js');
  const spinner = await createLogger(globals).spinner(`reading ${options.snapshot}`);
  let report;
  try {
    report = await inspectSnapshot(options.snapshot, {
      redact: globals.redact,
      ...(options.maxExtractBytes === undefined ? {} : { maxExtractBytes: options.maxExtractBytes }),
      ...(options.walRowLimit === undefined ? {} : { walRowLimit: options.walRowLimit }),
    });
  } finally {
    spinner.stop();
  }
  if (globals.json) {
    const { renderJson } = await import('../../output/json.js');
    await writeOut(renderJson(report));
  } else {
    const { renderInspectText } = await import('./inspect-render.js');
    const { createStyle } = await import('../../output/style.js');
    await writeOut(renderInspectText(report, createStyle(globals)));
  }
  return report.verdict === 'ok' ? ExitCode.ok : ExitCode.problems;
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('report the stores and sync state of a snapshot (folder or archive), read-only')
    .argument('<snapshot>', 'snapshot folder, store file, or archive (.zip, .tar, .tar.gz, .tgz, adb .ab, .xcappdata)')
    .option('--max-extract-bytes <size>', 'cap on the bytes extracted from an archive (e.g. 8G; default 4G)')
    .option('--wal-rows <n>', 'max primary keys listed per table and change kind in the WAL-only rows (default 1000)')
    .addHelpText('after', '\nExample:\n  syncdoc inspect fixtures/snapshots/drizzle-expo-wal --json --redact\n')
    .action(
      action<[string], InspectCliOptions>(async ([snapshot], opts, globals) => runInspect(toInspectOptions(snapshot, opts), globals)),
    );
}
