/**
 * The one interface every sync backend implements (local reference server, HTTP batch endpoint,
 * Convex). Replay and verify talk only to this. A push returns one result per op, in order; a
 * transport failure is thrown as a BackendTransportError labelled definite (it did not happen) or
 * indefinite (it may have happened), so replay never guesses.
 */

export type OpKind = 'create' | 'update' | 'delete';

export interface PushOp {
  /** Every op carries one: its own, or derived deterministically by replay. */
  idempotencyKey: string;
  collection: string;
  recordId: string;
  op: OpKind;
  /** The record's fields for create/update; null for delete. */
  payload: Record<string, unknown> | null;
  /** Version the device based this op on, when known (conflict check). */
  baseVersion?: number | null;
  /** The op's logical update time in UTC ms, when known (conflict check by updated_at). */
  updatedAt?: number | null;
}

export type PushResult =
  | { idempotencyKey: string; status: 'applied'; version: number }
  | { idempotencyKey: string; status: 'duplicate'; version?: number }
  | { idempotencyKey: string; status: 'conflict'; reason: string; serverVersion?: number }
  | { idempotencyKey: string; status: 'rejected'; reason: string }
  | { idempotencyKey: string; status: 'retry'; reason: string; retryAfterMs?: number };

export interface Change {
  collection: string;
  recordId: string;
  version: number;
  deleted: boolean;
  /** The record as the server holds it (null when deleted). */
  data: Record<string, unknown> | null;
  updatedAt: number | null;
}

export interface PullPage {
  changes: Change[];
  /** Opaque; pass back to get the next page. */
  cursor: string;
  hasMore: boolean;
}

export interface Backend {
  readonly kind: 'local' | 'http' | 'convex';
  /** Largest batch the backend is known to accept; replay caps its batches below these. */
  readonly limits?: { maxOpsPerPush?: number; maxBodyBytes?: number };
  push(ops: PushOp[], options?: { signal?: AbortSignal }): Promise<PushResult[]>;
  pull(cursor: string | null, limit: number, options?: { signal?: AbortSignal }): Promise<PullPage>;
  close(): Promise<void>;
}

export interface TransportErrorDetails {
  /** HTTP status when the server answered. */
  status?: number;
  /** From Retry-After on 429/503. */
  retryAfterMs?: number;
  /** Request over a size/count limit (413, Convex argument/transaction limits): halve the batch. */
  tooLarge?: boolean;
  /** Connection refused, DNS failure: nothing reached a server. */
  unreachable?: boolean;
  /** Definite and worth retrying later (429, 503, 408). */
  transient?: boolean;
  /** No answer within the client's timeout (indefinite). */
  timedOut?: boolean;
  /** The caller's AbortSignal fired mid-request (indefinite). */
  aborted?: boolean;
  /**
   * The server answered something the protocol does not allow (4xx other than 408/413/429, a
   * function error, a malformed body). Retrying the same request will not help.
   */
  protocol?: boolean;
}

/**
 * A push or pull that failed in transport. `definite`: the server certainly did not apply it
 * (connection refused, 429, 503). Indefinite: it may have (timeout, reset after send, other 5xx).
 * `tooLarge`: the request exceeded a size/count limit; the caller should halve the batch.
 */
export class BackendTransportError extends Error {
  constructor(
    message: string,
    readonly definite: boolean,
    readonly details: TransportErrorDetails = {},
  ) {
    super(message);
    this.name = 'BackendTransportError';
  }
}
