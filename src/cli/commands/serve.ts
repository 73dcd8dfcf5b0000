/**
 * `syncdoc serve [--port P] [--db F]`: runs the local reference sync server in the foreground on
 * 127.0.0.1 until Ctrl-C. Prints its URL on stdout (JSON with --json) so scripts can read it; logs
 * go to stderr. Without --db the data lives in a temporary database removed on exit.
 */
import type { Command } from 'commander';
import { BackendError, InputError, UsageError } from '../../errors.js';
import { action, writeOut } from '../runtime.js';

interface ServeOptions {
  port?: string;
  db?: string;
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got "${raw}"`, { hint: 'e.g. --port 8787 (0 picks a free port)' });
  return port;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the local reference sync server (JSON push/pull protocol, SQLite storage) on 127.0.0.1')
    .option('--port <port>', 'TCP port (default: a free ephemeral port)')
    .option('--db <file>', 'SQLite database file (default: a temporary database removed on exit)')
    .action(
      action<[], ServeOptions>(async (_args, opts, globals) => {
        const port = parsePort(opts.port);
        const { startLocalServer } = await import('../../backends/local/server.js');
        const { createLogger } = await import('../../output/logger.js');
        const { renderJson } = await import('../../output/json.js');
        const logger = createLogger(globals);
        let server;
        try {
          server = await startLocalServer({ port, ...(opts.db === undefined ? {} : { dbPath: opts.db }) });
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (code === 'EADDRINUSE') throw new BackendError(`port ${port} is in use`, { code: 'E_PORT_IN_USE', subject: `127.0.0.1:${port}`, hint: 'choose another --port, or --port 0 for a free one', cause: err });
          if (opts.db !== undefined && (typeof code !== 'string' || code.startsWith('SQLITE_') || ['ENOENT', 'EACCES', 'EISDIR'].includes(code))) {
            throw new InputError(`cannot use the database: ${(err as Error).message}`, { code: 'E_SERVE_DB', subject: opts.db, hint: '--db must name a writable SQLite file, or a new file in an existing folder', cause: err });
          }
          throw new BackendError(`cannot start the server: ${(err as Error).message}`, { code: 'E_SERVE', hint: 'rerun with --verbose for details', cause: err });
        }
        await writeOut(globals.json ? renderJson({ url: server.url, port: server.port, db: opts.db ?? null }) : `${server.url}\n`);
        logger.info(`syncdoc serve: listening on ${server.url} (db ${opts.db ?? 'temporary'}); Ctrl-C to stop`);
        // Serve until Ctrl-C/SIGTERM: main's signal handler removes the temporary database and exits
        // 130. Every push commits before it is answered, so stopping at any moment loses nothing.
        return await new Promise<never>(() => {});
      }),
    );
}
