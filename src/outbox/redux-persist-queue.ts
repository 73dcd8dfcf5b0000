/**
 * redux-persist keeps each slice as a JSON string inside the `persist:<key>` entry (JSON twice);
 * an offline-first slice carries its own `syncQueue` array next to its record arrays. This module
 * turns those arrays into queue entries and the slice's records (items carrying `syncMetadata`)
 * into record states, so lint can compare the queue with the records' dirty flags.
 * It reads already-decoded AsyncStorage entries; opening the store is the caller's job.
 */
import type { OutboxRecordState } from './types.js';
import { toQueueEntry, type QueueEntry } from './sqlite-queues.js';
import { toMs } from './timestamps.js';
import { isPlainObject } from '../json-value.js';

export interface ReduxPersistQueue {
  queue: string;
  entries: QueueEntry[];
  recordTables: string[];
}

export interface ReduxPersistOutbox {
  queues: ReduxPersistQueue[];
  records: OutboxRecordState[];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}


/** Where AsyncStorage apps usually keep the device id. */
const DEVICE_ID_KEYS = ['@app/device_id', 'device_id', 'deviceId', '@device_id'];

export function readReduxPersistOutbox(entries: ReadonlyMap<string, string>, store: string): ReduxPersistOutbox {
  let deviceId: string | null = null;
  for (const k of DEVICE_ID_KEYS) {
    const v = entries.get(k);
    if (v !== undefined) {
      const parsed = parseJson(v);
      deviceId = typeof parsed === 'string' ? parsed : v;
      break;
    }
  }
  const queues: ReduxPersistQueue[] = [];
  const records: OutboxRecordState[] = [];
  for (const [key, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!key.startsWith('persist:')) continue;
    const root = parseJson(value);
    if (!isPlainObject(root)) continue;
    for (const [sliceName, sliceText] of Object.entries(root)) {
      // redux-persist stores every slice as its own JSON string; tolerate an already-decoded one
      const slice = typeof sliceText === 'string' ? parseJson(sliceText) : sliceText;
      if (!isPlainObject(slice) || !Array.isArray(slice['syncQueue'])) continue;
      const scope = `${key}/${sliceName}`;
      const queueName = `${scope}.syncQueue`;
      const queueEntries = (slice['syncQueue'] as unknown[]).map((item, index) => {
        const q = isPlainObject(item) ? item : {};
        return toQueueEntry(
          'redux-persist',
          store,
          queueName,
          {
            id: q['id'] ?? `#${index}`,
            seq: q['seq'] ?? q['sequence'] ?? index,
            collection: q['entityType'] ?? q['collection'] ?? sliceName,
            recordId: q['entityId'] ?? q['recordId'] ?? null,
            op: q['action'] ?? q['op'] ?? q['type'],
            payload: q['data'] ?? q['payload'] ?? null,
            idempotencyKey: q['idempotencyKey'] ?? null,
            status: q['status'] ?? null,
            attempts: q['retryCount'] ?? q['attempts'] ?? 0,
            maxAttempts: q['maxRetries'] ?? q['maxAttempts'] ?? null,
            lastError: q['lastError'] ?? q['error'] ?? null,
            dependsOn: q['dependsOn'] ?? null,
            createdAt: q['timestamp'] ?? q['createdAt'] ?? null,
            lastAttemptAt: q['lastAttemptAt'] ?? null,
            nextAttemptAt: q['nextAttemptAt'] ?? null,
            deviceId: q['deviceId'] ?? null,
            baseVersion: q['baseVersion'] ?? null,
          },
          deviceId,
        );
      });
      for (const e of queueEntries) e.recordTable = scope;
      queues.push({ queue: queueName, entries: queueEntries, recordTables: [scope] });
      for (const [field, arr] of Object.entries(slice)) {
        if (field === 'syncQueue' || !Array.isArray(arr)) continue;
        for (const item of arr) {
          if (!isPlainObject(item) || (typeof item['id'] !== 'string' && typeof item['id'] !== 'number')) continue;
          const meta = isPlainObject(item['syncMetadata']) ? item['syncMetadata'] : null;
          const syncStatus = meta && typeof meta['syncStatus'] === 'string' ? meta['syncStatus'] : null;
          records.push({
            store,
            table: scope,
            recordId: String(item['id']),
            deleted: item['deletedAt'] !== undefined && item['deletedAt'] !== null,
            dirty: meta && typeof meta['isDirty'] === 'boolean' ? meta['isDirty'] : null,
            syncStatus,
            localStatus: null,
            vectorClock: null,
            updatedAt: toMs(item['updatedAt']),
          });
        }
      }
    }
  }
  return { queues, records };
}
