/**
 * `fromSnapshot`: starts a scenario's device from a real snapshot. The snapshot is read the way
 * `syncdoc migrate --dry-run` reads it (openSnapshot → the migrate profile → a migration plan), so
 * the device gets the unified records and the unified outbox. The plan's records become initial
 * records (synced everywhere at time 0); its open queue entries become that device's own writes at
 * time 0, queued in its outbox in queue order. The result is a plain scenario, so workers,
 * shrinking and reproduction need nothing else. This is the one async, file-reading step of a sweep.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { InputError, isSyncdocError } from '../errors.js';
import type { LoadedScenario, OpSpec, Scenario } from './scenario.js';

const OPEN = new Set(['pending', 'in_flight', 'failed']);

/** Fields from a stored payload: JSON object keys, minus reserved `$` names. */
function payloadFields(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(parsed).sort()) if (!k.startsWith('$')) out[k] = (parsed as Record<string, unknown>)[k];
  return out;
}

export async function expandFromSnapshot(loaded: LoadedScenario): Promise<LoadedScenario> {
  const spec = loaded.scenario.fromSnapshot;
  if (spec === null) return loaded;
  const path = isAbsolute(spec.path) ? spec.path : join(dirname(loaded.file), spec.path);
  const [{ openSnapshot }, { loadLegacy }, { planMigration }, { createRecordHasher }] = await Promise.all([
    import('../snapshot/open.js'),
    import('../migrate/load.js'),
    import('../migrate/plan.js'),
    import('../integrity/index.js'),
  ]);
  const snapshot = await openSnapshot(path).catch((err: unknown) => {
    if (isSyncdocError(err)) throw err;
    throw new InputError(`cannot open the snapshot named by $.fromSnapshot.path (${String(err)})`, { code: 'E_SCENARIO_SNAPSHOT', subject: loaded.file });
  });
  try {
    const legacy = await loadLegacy(snapshot, { profile: 'auto' });
    const plan = planMigration(legacy.input, { conflict: 'lww' }, await createRecordHasher());
    const scenario: Scenario = structuredClone(loaded.scenario);
    for (const c of plan.collections) {
      if (!scenario.collections.includes(c)) scenario.collections.push(c);
      scenario.initial[c] ??= [];
    }
    for (const r of plan.records) {
      if (r.deletedAt !== null) continue; // a tombstone: absent everywhere
      const list = scenario.initial[r.collection]!;
      if (list.some((x) => x.id === r.clientId)) continue;
      list.push({ id: r.clientId, fields: { ...r.fields } });
    }
    const ops: OpSpec[] = plan.queue
      .filter((q) => OPEN.has(q.status))
      .sort((a, b) => a.seq - b.seq)
      .map((q) => ({ at: 0, device: spec.device, op: q.op, collection: q.collection, id: q.recordClientId, fields: q.op === 'delete' ? {} : payloadFields(q.payload) }));
    // a pending create's record is not synced yet: only the device's own create brings it in
    const pendingCreates = new Set(ops.filter((o) => o.op === 'create').map((o) => `${o.collection}/${o.id}`));
    for (const c of Object.keys(scenario.initial)) scenario.initial[c] = scenario.initial[c]!.filter((r) => !pendingCreates.has(`${c}/${r.id}`));
    scenario.workload.ops = [...ops, ...scenario.workload.ops];
    scenario.fromSnapshot = null;
    return { file: loaded.file, scenario };
  } catch (err) {
    if (isSyncdocError(err)) throw err;
    throw new InputError(`cannot read the snapshot named by $.fromSnapshot.path: ${err instanceof Error ? err.message : String(err)}`, {
      code: 'E_SCENARIO_SNAPSHOT',
      subject: path,
      hint: 'check that `syncdoc migrate <snapshot> --dry-run` can read it',
    });
  } finally {
    snapshot.close();
  }
}
