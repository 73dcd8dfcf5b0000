/**
 * The history: everything a run did, in order, as plain data. Checkers, the text trace, the HTML
 * timeline and the history hash are all pure functions of it. Writes carry their causal clock
 * (per writer, how many of its writes the writer knew, itself included), so "happens after" is a
 * lookup; `set` events record every cell a replica changed, with the provenance before and after.
 */
import { createHash } from 'node:crypto';
import { writeHistoryJson } from './history-json.js';
import type { OpKind } from './scenario.js';

export type Replica = string;

export interface WriteRecord {
  id: number;
  t: number;
  /** Device or web client id, or `initial`. */
  origin: string;
  originKind: 'device' | 'web' | 'initial';
  kind: OpKind;
  key: string;
  fields: Record<string, unknown>;
  /** Index of the writer in History.writers. */
  writer: number;
  /** 1-based rank among the writer's writes. */
  rank: number;
  /** Per writer index: how many of that writer's writes this one happens after (itself included). */
  clock: number[];
}

export type HistoryEvent =
  | { t: number; e: 'write'; w: number }
  | { t: number; e: 'skip'; at: Replica; key: string; op: OpKind; why: string }
  | { t: number; e: 'set'; at: Replica; key: string; f: string; from: number; to: number }
  // `arrive`: when each copy reaches the receiver (two when duplicated); a copy the receiver cannot
  // take (down, offline) is also recorded as `lost` at that time
  | { t: number; e: 'send'; m: number; from: Replica; to: Replica; kind: MessageKind; n: number; drop?: DropReason; arrive?: number[] }
  | { t: number; e: 'lost'; m: number; at: Replica; why: string }
  | { t: number; e: 'timeout'; at: Replica; req: number }
  | { t: number; e: 'crash' | 'restart'; at: Replica }
  | { t: number; e: 'conflict'; key: string; op: number }
  | { t: number; e: 'dup'; key: string; of: string; w: number }
  | { t: number; e: 'dead'; at: Replica; op: number }
  | { t: number; e: 'dropped-op'; at: Replica; w: number; status: string }
  | { t: number; e: 'heal' };

export type MessageKind = 'push' | 'push-ack' | 'pull' | 'pull-resp' | 'web' | 'web-ack';
export type DropReason = 'loss' | 'partition' | 'offline' | 'lost-ack';

export interface RunEnd {
  t: number;
  /** Every outbox empty and every device caught up before the heal budget ran out. */
  quiesced: boolean;
  healAt: number;
  outboxes: Record<string, number>;
  deadLetters: Record<string, number>;
}

export interface History {
  scenario: string;
  algorithm: string;
  seed: string;
  /** `server`, then devices and web clients in scenario order. */
  replicas: Replica[];
  replicaKinds: Record<Replica, 'server' | 'device' | 'web'>;
  /** Index 0 is `initial`, then devices and web clients in scenario order. */
  writers: string[];
  writes: WriteRecord[];
  events: HistoryEvent[];
  end: RunEnd;
  /** Counted by the algorithm (vector-clock conflicts). */
  conflicts: number;
  /** Number of events the engine popped from its queue (for the benchmark). */
  steps: number;
  /** Of those, stale timers that did nothing (a timeout whose request was answered, a timer from
   * before a crash): not simulation work, so the benchmark leaves them out of its event count. */
  stale: number;
}

/** w2 happens after w1: w2's writer knew w1 when writing (clock lookup; transitive by construction). */
export function happensAfter(writes: readonly WriteRecord[], w2: number, w1: number): boolean {
  if (w1 === w2 || w1 < 0 || w2 < 0) return false;
  const a = writes[w1]!;
  return (writes[w2]!.clock[a.writer] ?? 0) >= a.rank;
}

/** sha256 of the canonical JSON of the history (writes, events, end): equal runs, equal hashes. */
export function historyHash(h: History): string {
  const hash = createHash('sha256');
  // the same bytes as JSON.stringify of the header, of each 512-write and 512-event chunk and of
  // the end, written without building the strings (history-json.ts)
  writeHistoryJson(h, hash);
  return hash.digest('hex');
}
