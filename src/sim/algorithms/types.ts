/**
 * The plug-in contract every sync algorithm implements. The engine owns time, the network, the
 * outbox and the history; an algorithm decides only how a write changes a local record, what an
 * outbox op carries, how the server applies an op, and how a pulled record is merged. Declared
 * flaws are data (`declarations`), matched by the checkers against violations.
 */
import type { ApplyStatus, OutboxEntry, Rec, ReplicaCtx, SentOp, WriteInput, Cell } from '../model.js';

/**
 * A situation in which the algorithm fails a checker by design. A violation matches when its
 * checker is listed, the losing write came from `lostOrigin`, and some write to the same record
 * by `concurrentWithOrigin` was concurrent with the losing one.
 */
export interface Declaration {
  checkers: Array<'no-lost-write' | 'causality'>;
  lostOrigin: 'device' | 'web' | 'any';
  concurrentWithOrigin: 'device' | 'web' | 'any';
  text: string;
}

export interface ServerApplyResult {
  rec: Rec | undefined;
  status: ApplyStatus;
  /** The algorithm detected concurrent writes (vector clocks); counted in the run's stats. */
  conflict?: boolean;
}

export interface Algorithm {
  readonly name: string;
  readonly description: string;
  readonly declarations: readonly Declaration[];
  /** Metadata for a record present, synced, everywhere at time 0. */
  initial(cells: Record<string, Cell>, ex: Cell): Rec;
  newMem(): unknown;
  /** A user write on a device (or a web client's read-modify-write at the server). */
  localWrite(ctx: ReplicaCtx, prev: Rec | undefined, write: WriteInput): { rec: Rec; p: unknown };
  /** Payload to send for an outbox op; `earlierInBatch` counts ops for the same key before it. */
  prepareOp(ctx: ReplicaCtx, local: Rec | undefined, op: OutboxEntry, earlierInBatch: number): unknown;
  serverApply(server: ReplicaCtx, prev: Rec | undefined, op: SentOp): ServerApplyResult;
  /**
   * Merge a pulled server record. `pendingFields` is null when no op for this record is pending,
   * else the fields (and `$exists`) pending ops write. Returns the new local record, or undefined
   * to leave the local one as it is.
   */
  pullApply(ctx: ReplicaCtx, local: Rec | undefined, remote: Rec, pendingFields: ReadonlySet<string> | null): Rec | undefined;
  /**
   * Whether `pullApply` reads `pendingFields`. When false the engine passes null and does not build
   * the set (a scan of the outbox and a Set per pulled record that has pending ops).
   */
  readonly readsPendingFields: boolean;
  /** After the server acknowledged `op`; `server` is the server's record after applying it. */
  onAck?(ctx: ReplicaCtx, local: Rec | undefined, op: OutboxEntry, status: ApplyStatus, server: Rec | undefined): Rec | undefined;
  /** After a crash: memory is gone, the store is not; rebuild memory from the store. */
  onRestart?(ctx: ReplicaCtx, store: ReadonlyMap<string, Rec>): void;
}
