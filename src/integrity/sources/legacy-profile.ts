/**
 * A legacy snapshot read through migrate's profile mapping: the profile's sources (SQLite tables,
 * MMKV stores, AsyncStorage slices, the server export inside the snapshot) are loaded and merged
 * exactly as `syncdoc migrate` would (`loadLegacy` + `planMigration`, last-write-wins), and the
 * plan's final records are the source's records. So `verify <snapshot> <migrated.db>` asks "does
 * the database hold what migrating this snapshot should give?". The plan is held in memory, as
 * migrate itself holds it; legacy snapshots are phone-sized.
 */
import type { LogicalRecord } from '../canonical.js';
import { loadLegacy } from '../../migrate/load.js';
import { planMigration } from '../../migrate/plan.js';
import { contentValues, layoutOf } from '../../migrate/rows.js';
import type { FinalRecord } from '../../migrate/types.js';
import type { Snapshot } from '../../snapshot/types.js';
import type { RecordHasher } from '../record-hash.js';
import { rowToRecord } from '../row-encoder.js';
import { streamingSource, type PendingOp, type RecordSource, type SourceInfo } from '../source.js';
import { recordsRowRecord } from '../unified.js';

/** A final record as the logical record its unified row will read back as. */
export function finalRecordAsLogical(r: FinalRecord): LogicalRecord {
  const layout = layoutOf(r.collection);
  if (layout.generic) {
    return recordsRowRecord({
      client_id: r.clientId,
      data: JSON.stringify(r.fields),
      user_id: r.userId,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      deleted_at: r.deletedAt,
      version: r.version,
    });
  }
  return rowToRecord(layout.specs, [r.clientId, ...contentValues(layout, r)]);
}

export async function legacyProfileSource(
  snapshot: Snapshot,
  label: string,
  profile: string,
  hasher: RecordHasher,
  extra: { pendingOps: () => Promise<PendingOp[]>; close: () => Promise<void> },
): Promise<RecordSource> {
  const loaded = await loadLegacy(snapshot, { profile });
  const plan = planMigration(loaded.input, { conflict: 'lww' }, hasher, { aliases: loaded.aliases });
  const byCollection = new Map<string, LogicalRecord[]>();
  for (const r of plan.records) {
    let list = byCollection.get(r.collection);
    if (!list) byCollection.set(r.collection, (list = []));
    list.push(finalRecordAsLogical(r));
  }
  const info: SourceInfo = {
    kind: 'legacy-snapshot',
    label,
    side: 'device',
    typedNumbers: false,
    mapping: `migrate profile ${plan.profile} (lww merge of every layer)`,
  };
  return streamingSource(
    info,
    async () => [...byCollection.keys()].sort(),
    async function* (collection) {
      yield* byCollection.get(collection) ?? [];
    },
    extra,
  );
}
