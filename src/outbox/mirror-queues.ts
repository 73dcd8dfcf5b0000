/**
 * Mirror queues: the second queue some apps keep beside their outbox, such as a Zustand store's
 * `pendingSync` array persisted in MMKV. They hold op ids, kinds and record ids but no payloads,
 * so they are never replayed; lint compares them with the outbox, because an op that only the
 * mirror knows is lost the day the app stops reading the mirror. Unreadable MMKV files (damaged,
 * encrypted without a key) are skipped here: `syncdoc mmkv` and `inspect` report them.
 */
import { readMmkvFiles } from '../readers/mmkv.js';
import type { StoreRef } from '../snapshot/types.js';
import { normaliseOpKind } from './sqlite-queues.js';
import { toMs } from './timestamps.js';
import { isPlainObject } from '../json-value.js';
import type { OpKind } from './types.js';

export interface MirrorQueueEntry {
  id: string;
  op: OpKind | null;
  recordId: string | null;
  createdAt: number | null;
  attempts: number;
}

export interface MirrorQueue {
  store: string;
  /** The MMKV key holding the persisted store, e.g. `mood-store`. */
  key: string;
  /** Where in the store's state the array lives, e.g. `state.pendingSync`. */
  path: string;
  entries: MirrorQueueEntry[];
}

const QUEUE_FIELDS = /^(pendingSync|pendingOps|syncQueue|outbox|queue|pendingChanges)$/i;


function text(v: unknown): string | null {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

function toEntry(item: unknown, index: number): MirrorQueueEntry | null {
  if (!isPlainObject(item)) return null;
  const op = item['type'] ?? item['op'] ?? item['action'] ?? item['operation'];
  const recordId = item['recordId'] ?? item['entityId'] ?? item['documentId'] ?? item['id'];
  if (op === undefined || recordId === undefined) return null;
  const attempts = item['attempts'] ?? item['retryCount'];
  return {
    id: text(item['opId'] ?? item['id']) ?? `#${index}`,
    op: normaliseOpKind(op),
    recordId: text(recordId),
    createdAt: toMs(item['queuedAt'] ?? item['createdAt'] ?? item['timestamp']),
    attempts: typeof attempts === 'number' ? attempts : 0,
  };
}

/** The mirror queues of one MMKV store (its private copy). */
export function readMirrorQueues(store: StoreRef): MirrorQueue[] {
  if (store.kind !== 'mmkv') return [];
  let instance;
  try {
    instance = readMmkvFiles(store.localPath);
  } catch {
    return [];
  }
  const queues: MirrorQueue[] = [];
  for (const js of instance.jsonStores) {
    const state = isPlainObject(js.state) && isPlainObject(js.state['state']) ? js.state['state'] : js.state;
    if (!isPlainObject(state)) continue;
    for (const [field, value] of Object.entries(state)) {
      if (!QUEUE_FIELDS.test(field) || !Array.isArray(value)) continue;
      const entries = value.map(toEntry).filter((e): e is MirrorQueueEntry => e !== null);
      if (entries.length > 0) queues.push({ store: store.path, key: js.key, path: `state.${field}`, entries });
    }
  }
  return queues;
}
