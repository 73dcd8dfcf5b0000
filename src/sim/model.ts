/**
 * The simulator's data model shared by the engine, the algorithm plug-ins and the checkers.
 * A record is a set of cells; every cell carries its value and the id of the user write that
 * produced it (its provenance). Algorithms move whole cells around and decide only from values and
 * their own metadata, never from provenance: provenance exists so the checkers can judge what an
 * algorithm did, the way Jepsen tags every written value. Records are immutable: an algorithm
 * returns a new record instead of editing one, so a pull response can share the server's objects.
 */
import type { OpKind } from './scenario.js';

export interface Cell {
  readonly v: unknown;
  /** Id of the write this value came from (index into History.writes). */
  readonly w: number;
}

export interface Rec<M = unknown> {
  readonly cells: Readonly<Record<string, Cell>>;
  /**
   * `Object.keys(cells)`, when the algorithm keeps it: records made from one another with the same
   * fields share one list, so the engine's diff walks them without an array per call, and two
   * records sharing the list have the same fields (none was deleted). Never mutated.
   */
  readonly fields?: readonly string[];
  /** The existence flag: `v` is true for a live record, false for a tombstone. */
  readonly ex: Cell;
  /** Algorithm metadata: stamps, versions, vector clocks. */
  readonly m: M;
}

/** The pseudo-field under which checkers and history track the existence flag. */
export const EXISTS = '$exists';

/** A user write, as the algorithm sees it. */
export interface WriteInput {
  readonly id: number;
  readonly origin: string;
  readonly kind: OpKind;
  readonly key: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** An op as it travels in a push: what the outbox holds, with the payload `prepareOp` made at push time. */
export interface SentOp {
  readonly key: string;
  /** The key's number in the run: the engine's stores are arrays indexed by it. */
  readonly keyId: number;
  readonly kind: OpKind;
  readonly write: number;
  /** Unique per op in a run (the engine numbers ops as they are issued): what the server's ledger is keyed by. */
  readonly idempotencyKey: number;
  readonly origin: string;
  /** Algorithm payload. */
  readonly p: unknown;
}

/** An op in a device's durable outbox (payload built at write time). */
export interface OutboxEntry extends SentOp {
  readonly seq: number;
  /** Transmissions so far (a bound, not a decision input). */
  sends: number;
}

export type ApplyStatus = 'applied' | 'ignored' | 'conflict';

/** What a replica (device, web client, server) exposes to an algorithm. */
export interface ReplicaCtx {
  readonly id: string;
  /** The replica's local clock in ms (skewed, drifting); the server's is true time. */
  now(): number;
  /** The algorithm's in-memory state (lost on crash; see `Algorithm.onRestart`). */
  mem: unknown;
}

/**
 * The cells and existence flag of a record after a user write: a create starts from nothing, an
 * update or delete from the previous cells; the write's own fields overwrite. Every algorithm that
 * keeps whole records locally starts from this.
 */
export function cellsAfterWrite(prev: Rec | undefined, write: WriteInput): { cells: Record<string, Cell>; ex: Cell } {
  return { cells: mergeCells(write.kind === 'create' ? {} : (prev?.cells ?? {}), write.fields, write.id), ex: existsCell(write) };
}

export function mergeCells(base: Readonly<Record<string, Cell>>, fields: Readonly<Record<string, unknown>>, w: number): Record<string, Cell> {
  const out: Record<string, Cell> = { ...base };
  for (const k of Object.keys(fields)) out[k] = { v: fields[k], w };
  return out;
}

/** The cells a write sets (its own fields), without the rest of the record. */
export function writtenCells(write: WriteInput): Record<string, Cell> {
  return mergeCells({}, write.fields, write.id);
}

export function existsCell(write: WriteInput): Cell {
  return { v: write.kind !== 'delete', w: write.id };
}
