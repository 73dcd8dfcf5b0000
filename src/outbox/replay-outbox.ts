/**
 * The replay use case end to end: plan the snapshot's open ops, pick the journal (given, or the
 * default one under the syncdoc state folder, never inside the snapshot), open the backend, run
 * the engine and close everything. `dryRun` opens neither a backend nor a journal file: it runs the
 * same scheduler against a recorder that answers "applied", so the printed requests are exactly the
 * ones a run where everything succeeds would send, in order.
 */
import { openBackend, type BackendSpec } from '../backends/open.js';
import type { Backend } from '../backends/types.js';
import { assertJournalOutsideSnapshot, defaultJournalPath, memoryJournal, openJournal, type Journal } from './journal.js';
import { planReplay } from './replay-plan.js';
import { replayPlan, type ReplayOptions, type ReplayRequest, type ReplayResult } from './replay.js';
import type { OutboxSnapshot } from './types.js';

export interface ReplayOutboxOptions extends Omit<ReplayOptions, 'onRequest'> {
  /** What the user passed (snapshot folder or file): the journal must stay outside it. */
  snapshotInput: string;
  backend: BackendSpec;
  /** Journal path; omitted: the default for this outbox and backend. */
  journalPath?: string;
  dryRun: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface ReplayReport extends ReplayResult {
  dryRun: boolean;
  backend: { kind: BackendSpec['kind']; url: string | null; embedded: boolean };
  /** Null for --dry-run and for the embedded server (its data ends with the run). */
  journal: string | null;
  /** --dry-run: the requests that would be sent, in order. */
  requests?: ReplayRequest[];
}

function dryRunBackend(kind: Backend['kind']): Backend {
  return {
    kind,
    async push(ops) {
      return ops.map((o) => ({ idempotencyKey: o.idempotencyKey, status: 'applied' as const, version: 1 }));
    },
    async pull() {
      return { changes: [], cursor: '', hasMore: false };
    },
    async close() {},
  };
}

export async function replayOutbox(outbox: OutboxSnapshot, options: ReplayOutboxOptions): Promise<ReplayReport> {
  const plan = planReplay(outbox.ops);
  const spec = options.backend;
  const embedded = spec.kind === 'local' && spec.url === undefined;
  const identity = { fingerprint: plan.fingerprint, backend: `${spec.kind} ${spec.url ?? 'embedded'}` };
  if (options.journalPath !== undefined) assertJournalOutsideSnapshot(options.journalPath, options.snapshotInput);

  if (options.dryRun) {
    const requests: ReplayRequest[] = [];
    const result = await replayPlan(plan, dryRunBackend(spec.kind), memoryJournal(), {
      ...options,
      concurrency: 1,
      onRequest: (r) => requests.push(r),
    });
    return { ...result, dryRun: true, backend: { kind: spec.kind, url: spec.url ?? null, embedded }, journal: null, requests };
  }

  let journal: Journal;
  if (options.journalPath !== undefined) journal = openJournal(options.journalPath, identity);
  else if (embedded) journal = memoryJournal();
  else journal = openJournal(defaultJournalPath(identity, options.env), identity);
  try {
    const opened = await openBackend(spec);
    try {
      const result = await replayPlan(plan, opened.backend, journal, options);
      return {
        ...result,
        dryRun: false,
        backend: { kind: spec.kind, url: opened.embedded?.url ?? spec.url ?? null, embedded },
        journal: journal.path,
      };
    } finally {
      await opened.backend.close();
    }
  } finally {
    journal.close();
  }
}
