// `syncdoc query <snapshot> <sql>`: read-only SQL over every store of a snapshot.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { action, writeOut } from '../runtime.js';

interface QueryCliOptions {
  keyEnv?: string;
  keyFile?: string;
  aes?: string;
}

export function register(program: Command): void {
  program
    .command('query')
    .description('read-only SQL over a snapshot: SQLite stores attached by name, MMKV/AsyncStorage stores and decoded collections as tables')
    .argument('<snapshot>', 'snapshot folder, file or archive')
    .argument('<sql>', 'one SELECT (or WITH / read-only PRAGMA) statement; `SELECT * FROM _tables` lists the tables')
    .option('--key-env <VAR>', 'encryption key for MMKV instances, from this environment variable')
    .option('--key-file <FILE>', 'encryption key for MMKV instances, from this file')
    .option('--aes <bits>', 'AES key size for MMKV, 128 or 256 (default: try both)')
    .action(
      action<[string, string], QueryCliOptions>(async ([snapshot, sql], opts, globals) => {
        const { parseMmkvOptions } = await import('./mmkv.js');
        const mmkv = await parseMmkvOptions({ ...opts, as: [] }, process.env);
        if (sql.trim() === '') {
          const { UsageError } = await import('../../errors.js');
          throw new UsageError('empty SQL', { hint: 'e.g. syncdoc query <snapshot> "SELECT * FROM _tables"' });
        }
        const { runQuery } = await import('../../query/query.js');
        const report = await runQuery(snapshot, sql, { mmkv, redact: globals.redact });
        if (globals.json) {
          const { renderJson } = await import('../../output/json.js');
          await writeOut(renderJson(report));
          return ExitCode.ok;
        }
        const { createLogger } = await import('../../output/logger.js');
        const logger = createLogger(globals);
        for (const f of report.findings) logger.warn(`${f.code} ${f.store ?? ''}: ${f.message}`);
        const { renderTable } = await import('../../output/style.js');
        const body = report.rowCount === 0 ? '(no rows)\n' : renderTable(report.columns, report.rows) + '\n';
        await writeOut(body + `${report.rowCount} row(s)\n`);
        return ExitCode.ok;
      }),
    );
}
