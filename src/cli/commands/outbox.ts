/**
 * `syncdoc outbox list|lint|replay <snapshot|db>`: the outbox commands. Each subcommand validates
 * its flags first (usage errors exit 2 before any file or network is touched), opens the snapshot
 * read-only, calls the outbox domain function and renders its report as text or one JSON document.
 * Exit codes: list 0; lint 0 or 1 (error findings); replay 0 (all applied/duplicate), 1 (rejected,
 * conflict or blocked ops), 3 (outcomes unknown or ops unsent), 5 (backend unreachable).
 */
import type { Command } from 'commander';
import type { ChalkInstance } from 'chalk';
import { ExitCode, UsageError } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { action, writeOut } from '../runtime.js';
import type { OutboxListReport } from '../../outbox/list.js';
import type { OutboxLintReport } from '../../outbox/lint.js';
import type { ReplayReport } from '../../outbox/replay-outbox.js';
import type { Redactor } from '../../privacy/redact.js';
import type { OutboxSnapshot } from '../../outbox/types.js';

const BACKENDS = ['local', 'http', 'convex'] as const;
type BackendKind = (typeof BACKENDS)[number];

export interface ReplayCliOptions {
  backend?: string;
  url?: string;
  journal?: string;
  batch?: string;
  maxBatchBytes?: string;
  concurrency?: string;
  dryRun?: boolean;
  maxAttempts?: string;
  timeoutMs?: string;
  backoffBaseMs?: string;
  backoffMaxMs?: string;
  pushFunction?: string;
  pullFunction?: string;
  authEnv?: string;
}

export interface ReplayCommandOptions {
  snapshot: string;
  backend: BackendKind;
  url?: string;
  journal?: string;
  batchSize: number;
  maxBatchBytes: number;
  concurrency: number;
  dryRun: boolean;
  maxAttempts: number;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  pushFunction?: string;
  pullFunction?: string;
  authToken?: string;
}

function intFlag(raw: string | undefined, flag: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${raw}"`, { hint: `e.g. ${flag} ${fallback}` });
  }
  return n;
}

function checkSnapshotArg(snapshot: string, sub: string): void {
  if (snapshot.trim() === '') throw new UsageError('the snapshot path is empty', { hint: `syncdoc outbox ${sub} <snapshot folder|database>` });
}

/** argv → options for replay; every usage error is raised here, before any file or network is touched. */
export function toReplayOptions(snapshot: string, opts: ReplayCliOptions, env: NodeJS.ProcessEnv = process.env): ReplayCommandOptions {
  checkSnapshotArg(snapshot, 'replay');
  const backend = opts.backend;
  if (backend === undefined) throw new UsageError('--backend is required', { hint: 'pass --backend local (embedded server), http --url U, or convex --url U' });
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend must be one of ${BACKENDS.join(', ')}, got "${backend}"`, { hint: 'e.g. --backend local' });
  }
  if ((backend === 'http' || backend === 'convex') && opts.url === undefined && opts.dryRun !== true) {
    throw new UsageError(`--backend ${backend} needs --url`, { hint: backend === 'convex' ? 'e.g. --url https://happy-animal-123.convex.cloud' : 'e.g. --url https://api.example.com/sync' });
  }
  if (opts.url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(opts.url);
    } catch {
      throw new UsageError(`--url is not a URL: "${opts.url}"`, { hint: 'e.g. --url http://127.0.0.1:8787' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url must be http(s), got "${opts.url}"`, { hint: 'e.g. --url http://127.0.0.1:8787' });
  }
  if (backend !== 'convex' && (opts.pushFunction !== undefined || opts.pullFunction !== undefined)) {
    throw new UsageError('--push-function/--pull-function only apply to --backend convex', { hint: 'drop them, or use --backend convex' });
  }
  let authToken: string | undefined;
  if (opts.authEnv !== undefined) {
    authToken = env[opts.authEnv];
    if (authToken === undefined || authToken === '') throw new UsageError(`--auth-env ${opts.authEnv}: that environment variable is not set`, { hint: `export ${opts.authEnv}=<token> first (tokens never go on the command line)` });
  }
  const backoffBaseMs = intFlag(opts.backoffBaseMs, '--backoff-base-ms', 100);
  const backoffMaxMs = intFlag(opts.backoffMaxMs, '--backoff-max-ms', 10_000);
  if (backoffMaxMs < backoffBaseMs) throw new UsageError('--backoff-max-ms must be ≥ --backoff-base-ms', { hint: 'e.g. --backoff-base-ms 100 --backoff-max-ms 10000' });
  return {
    snapshot,
    backend: backend as BackendKind,
    ...(opts.url === undefined ? {} : { url: opts.url }),
    ...(opts.journal === undefined ? {} : { journal: opts.journal }),
    batchSize: intFlag(opts.batch, '--batch', 500),
    maxBatchBytes: intFlag(opts.maxBatchBytes, '--max-batch-bytes', 1024 * 1024, 256),
    concurrency: intFlag(opts.concurrency, '--concurrency', 4),
    dryRun: opts.dryRun === true,
    maxAttempts: intFlag(opts.maxAttempts, '--max-attempts', 8),
    timeoutMs: intFlag(opts.timeoutMs, '--timeout-ms', 30_000),
    backoffBaseMs,
    backoffMaxMs,
    ...(opts.pushFunction === undefined ? {} : { pushFunction: opts.pushFunction }),
    ...(opts.pullFunction === undefined ? {} : { pullFunction: opts.pullFunction }),
    ...(authToken === undefined ? {} : { authToken }),
  };
}

async function withOutbox<T>(snapshot: string, globals: GlobalOptions, body: (outbox: OutboxSnapshot) => Promise<T>): Promise<T> {
  const { openSnapshot } = await import('../../snapshot/open.js');
  const { readOutbox } = await import('../../outbox/read-outbox.js');
  const { createLogger } = await import('../../output/logger.js');
  const spinner = await createLogger(globals).spinner(`reading ${snapshot}`);
  const snap = await openSnapshot(snapshot);
  try {
    const outbox = readOutbox(snap, { ignoreAfterMs: Date.now() });
    spinner.stop();
    return await body(outbox);
  } finally {
    spinner.stop();
    snap.close();
  }
}

async function style(globals: GlobalOptions): Promise<ChalkInstance> {
  const { createStyle } = await import('../../output/style.js');
  return createStyle(globals);
}

function fmtTime(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

export async function renderListText(report: OutboxListReport): Promise<string> {
  const { renderTable } = await import('../../output/style.js');
  const { formatAge } = await import('../../outbox/list.js');
  const fmtAge = (ms: number | null): string => (ms === null ? '' : formatAge(ms));
  if (report.queues.length === 0) return 'no outbox queue found in this snapshot\n';
  const head = `${report.totals.listed} of ${report.totals.all} queue entries (${report.totals.open} open) in ${report.queues
    .map((q) => `${q.store}:${q.queue} (${q.shape})`)
    .join(', ')}; ages relative to the newest timestamp in the snapshot, ${fmtTime(report.newestTimestamp)}\n`;
  if (report.ops.length === 0) return head + 'the outbox is empty\n';
  const rows = report.ops.map((o) => [
    o.position,
    o.id,
    o.collection,
    o.recordId,
    o.op,
    o.status,
    `${o.attempts}${o.maxAttempts === null ? '' : '/' + o.maxAttempts}`,
    fmtAge(o.ageMs),
    o.lastError === null ? '' : o.lastError.length > 60 ? o.lastError.slice(0, 59) + '…' : o.lastError,
    o.dependsOn.join(','),
  ]);
  return head + renderTable(['#', 'id', 'collection', 'record', 'op', 'status', 'attempts', 'age', 'last error', 'depends on'], rows) + '\n';
}

export async function renderLintText(report: OutboxLintReport, globals: GlobalOptions): Promise<string> {
  const s = await style(globals);
  if (report.queues.length === 0) return 'no outbox queue found in this snapshot\nno findings\n';
  const lines = [
    `${report.totals.ops} queue entries (${report.totals.open} open) in ${report.queues.map((q) => `${q.store}:${q.queue} (${q.shape})`).join(', ')}`,
  ];
  if (report.findings.length === 0) lines.push('no findings');
  for (const f of report.findings) {
    const sev = f.severity === 'error' ? s.red(f.severity) : f.severity === 'warn' ? s.yellow(f.severity) : s.cyan(f.severity);
    lines.push(`${sev} ${s.bold(f.code)} ${s.dim(`${f.store ?? ''} ${f.ref ?? ''}`.trim())}: ${f.message}`);
    if (f.ops.length > 0) lines.push(`    ops: ${f.ops.join(', ')}`);
    if (f.records.length > 0) lines.push(`    records: ${f.records.join(', ')}`);
  }
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  lines.push(`${report.verdict === 'pass' ? s.green('pass') : s.red('fail')}: ${errors} error finding(s), ${report.findings.length - errors} other(s)`);
  return lines.join('\n') + '\n';
}

export async function renderReplayText(report: ReplayReport, globals: GlobalOptions, redactor: Redactor): Promise<string> {
  const s = await style(globals);
  const lines: string[] = [];
  if (report.dryRun) {
    lines.push(`dry run: ${report.requests?.length ?? 0} request(s) to ${report.backend.kind}${report.backend.url ? ' ' + report.backend.url : ''}, nothing sent`);
    for (const r of report.requests ?? []) {
      lines.push(`request ${r.index + 1}: ${r.ops.length} op(s)`);
      for (const op of r.ops) {
        const payload = op.payload === null ? 'null' : JSON.stringify(redactor.value(op.payload, 'payload'));
        lines.push(`  ${op.op} ${op.collection}/${op.recordId} key=${op.idempotencyKey} payload=${payload}`);
      }
    }
  } else {
    lines.push(`replayed to ${report.backend.kind}${report.backend.url ? ' ' + report.backend.url : ''}${report.backend.embedded ? ' (embedded server, temporary database)' : ''}; journal: ${report.journal ?? 'in memory'}`);
  }
  const t = report.totals;
  lines.push(
    `${t.ops} op(s): ${t.applied} applied, ${t.duplicate} duplicate, ${t.conflict} conflict, ${t.rejected} rejected, ${t.blocked} blocked, ${t.indefinite} indefinite, ${t.unsent} unsent; ${t.skipped} skipped (done/dead), ${t.resumed} answered by an earlier run, ${t.requests} request(s)${t.batchesHalved ? `, ${t.batchesHalved} batch(es) halved` : ''}`,
  );
  const notOk = report.ops.filter((o) => o.outcome !== 'applied' && o.outcome !== 'duplicate');
  if (notOk.length > 0 && !report.dryRun) {
    lines.push('ops not delivered:');
    for (const o of notOk) {
      lines.push(`  ${o.outcome.padEnd(10)} ${o.id} ${o.op} ${o.collection}/${o.recordId}${o.reason ? ': ' + redactor.text(o.reason) : ''}`);
    }
  }
  if (report.deadLetters.length > 0) lines.push(`dead letters (conflict/rejected, not retried): ${report.deadLetters.map((d) => d.id).join(', ')}`);
  const verdict = report.verdict === 'pass' ? s.green('pass') : report.verdict === 'fail' ? s.red('fail') : s.yellow('inconclusive');
  const why =
    report.verdict === 'inconclusive'
      ? `: ${t.indefinite} outcome(s) unknown, ${t.unsent} op(s) unsent; rerun the same command to resume from the journal`
      : report.verdict === 'fail'
        ? `: ${t.conflict + t.rejected} dead letter(s), ${t.blocked} op(s) blocked behind them`
        : '';
  lines.push(`${verdict}${why}`);
  return lines.join('\n') + '\n';
}

function redactReplay(report: ReplayReport, redactor: Redactor): ReplayReport {
  const redactOp = <T extends { reason?: string }>(o: T): T => (o.reason === undefined ? o : { ...o, reason: redactor.text(o.reason) });
  return {
    ...report,
    ops: report.ops.map(redactOp),
    deadLetters: report.deadLetters.map(redactOp),
    ...(report.requests ? { requests: report.requests.map((r) => ({ ...r, ops: r.ops.map((o) => ({ ...o, payload: redactor.value(o.payload, 'payload') as typeof o.payload })) })) } : {}),
  };
}

export async function runReplay(options: ReplayCommandOptions, globals: GlobalOptions): Promise<ExitCode> {
  const { replayOutbox } = await import('../../outbox/replay-outbox.js');
  const { redactorFor } = await import('../../privacy/redact.js');
  const { createLogger } = await import('../../output/logger.js');
  const logger = createLogger(globals);
  const redactor = redactorFor(globals.redact);
  return withOutbox(options.snapshot, globals, async (outbox) => {
    for (const q of outbox.queues.filter((x) => x.walMissing)) {
      logger.warn(`${q.store} is in WAL mode but its -wal is missing: ${q.queue} may hold ops already sent or miss newer ones (see \`syncdoc outbox lint\`)`);
    }
    const spinner = await logger.spinner('replaying');
    let report: ReplayReport;
    try {
      report = await replayOutbox(outbox, {
        snapshotInput: options.snapshot,
        backend: {
          kind: options.backend,
          ...(options.url === undefined ? {} : { url: options.url }),
          timeoutMs: options.timeoutMs,
          // the token came from an env var; convex takes it as a JWT, the JSON protocol as a bearer header
          ...(options.authToken === undefined ? {} : options.backend === 'convex' ? { authToken: options.authToken } : { headers: { authorization: `Bearer ${options.authToken}` } }),
          ...(options.pushFunction === undefined ? {} : { pushFunction: options.pushFunction }),
          ...(options.pullFunction === undefined ? {} : { pullFunction: options.pullFunction }),
        },
        ...(options.journal === undefined ? {} : { journalPath: options.journal }),
        dryRun: options.dryRun,
        batchSize: options.batchSize,
        maxBatchBytes: options.maxBatchBytes,
        concurrency: options.concurrency,
        maxAttempts: options.maxAttempts,
        backoffBaseMs: options.backoffBaseMs,
        backoffMaxMs: options.backoffMaxMs,
        onProgress: (p) => {
          const width = 24;
          const filled = p.total === 0 ? width : Math.round((p.finished / p.total) * width);
          spinner.text(`replay [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.finished}/${p.total} ops, ${p.requests} request(s), ${p.inFlight} in flight`);
        },
      });
    } finally {
      spinner.stop();
    }
    if (globals.json) {
      const { renderJson } = await import('../../output/json.js');
      await writeOut(renderJson(redactReplay(report, redactor)));
    } else {
      await writeOut(await renderReplayText(report, globals, redactor));
    }
    if (report.dryRun) return ExitCode.ok;
    return report.verdict === 'pass' ? ExitCode.ok : report.verdict === 'fail' ? ExitCode.problems : ExitCode.inconclusive;
  });
}

export function register(program: Command): void {
  const outbox = program.command('outbox').description('list, lint and replay the outbox (queued sync ops) of a snapshot or database');

  outbox
    .command('list')
    .description('queue entries in send order: id, collection, record, op, status, attempts, age, last error, dependencies')
    .argument('<snapshot>', 'snapshot folder, archive or database file')
    .option('--all', 'include entries already done (history)')
    .option('--payloads', 'include each entry payload (free text redacted with --redact)')
    .action(
      action<[string], { all?: boolean; payloads?: boolean }>(async ([snapshot], opts, globals) => {
        checkSnapshotArg(snapshot, 'list');
        const { listOutbox } = await import('../../outbox/list.js');
        const { redactorFor } = await import('../../privacy/redact.js');
        const report = await withOutbox(snapshot, globals, async (o) =>
          listOutbox(o, { all: opts.all === true, payloads: opts.payloads === true, redactor: redactorFor(globals.redact) }),
        );
        if (globals.json) {
          const { renderJson } = await import('../../output/json.js');
          await writeOut(renderJson(report));
        } else {
          await writeOut(await renderListText(report));
        }
        return ExitCode.ok;
      }),
    );

  outbox
    .command('lint')
    .description('find queue anomalies: duplicates, orphans, ordering, cycles, blocked chains, stuck and poison ops, sequence and timestamp problems, bad payloads, lost enqueues')
    .argument('<snapshot>', 'snapshot folder, archive or database file')
    .option('--max-attempts <n>', 'retry budget assumed for queues that record none', '5')
    .action(
      action<[string], { maxAttempts?: string }>(async ([snapshot], opts, globals) => {
        checkSnapshotArg(snapshot, 'lint');
        const defaultMaxAttempts = intFlag(opts.maxAttempts, '--max-attempts', 5);
        const { lintOutbox } = await import('../../outbox/lint.js');
        const { redactorFor } = await import('../../privacy/redact.js');
        const report = await withOutbox(snapshot, globals, async (o) =>
          lintOutbox(o, { nowMs: Date.now(), defaultMaxAttempts, redactor: redactorFor(globals.redact) }),
        );
        if (globals.json) {
          const { renderJson } = await import('../../output/json.js');
          await writeOut(renderJson(report));
        } else {
          await writeOut(await renderLintText(report, globals));
        }
        return report.verdict === 'pass' ? ExitCode.ok : ExitCode.problems;
      }),
    );

  outbox
    .command('replay')
    .description('send the open ops to a backend exactly once (journal-backed, resumable): 0 all applied, 1 rejected/conflict, 3 unknown, 5 unreachable')
    .argument('<snapshot>', 'snapshot folder, archive or database file (never modified)')
    .option('--backend <kind>', 'local (embedded server unless --url) | http | convex')
    .option('--url <url>', 'backend URL (local server, http endpoint base, or Convex deployment)')
    .option('--journal <file>', 'replay journal (SQLite); default: one per outbox and backend under $SYNCDOC_HOME or ~/.local/state/syncdoc')
    .option('--batch <n>', 'ops per request (default 500, capped by the backend limit)')
    .option('--max-batch-bytes <n>', 'encoded bytes per request (default 1048576)')
    .option('--concurrency <n>', 'requests in flight at once, across different records (default 4)')
    .option('--dry-run', 'print the requests in order and send nothing')
    .option('--max-attempts <n>', 'sends per op in this run before giving up on it (default 8)')
    .option('--timeout-ms <n>', 'per request (default 30000); a timeout is an indefinite failure')
    .option('--backoff-base-ms <n>', 'first retry delay ceiling (default 100); doubles per attempt, full jitter')
    .option('--backoff-max-ms <n>', 'retry delay cap (default 10000)')
    .option('--push-function <name>', 'convex: mutation receiving the ops (default sync:pushOps)')
    .option('--pull-function <name>', 'convex: query for changes (default sync:changesSince)')
    .option('--auth-env <var>', 'environment variable holding the auth token (convex)')
    .action(
      action<[string], ReplayCliOptions>(async ([snapshot], opts, globals) => runReplay(toReplayOptions(snapshot, opts), globals)),
    );
}
