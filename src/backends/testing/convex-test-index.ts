/**
 * Test support: makes convex-test's in-memory database answer equality index lookups without
 * scanning every document. convex-test evaluates each `withIndex(...)` by walking all documents of
 * every table, so a replay of thousands of ops grows quadratically (≈ 10 ms per lookup at 10k
 * documents). This narrows the walk to the documents whose string field equals the lookup's value
 * (a hash index kept in step with committed writes) plus every document written by the open
 * transaction; convex-test's own code still filters and sorts that candidate set, so results are
 * unchanged. It relies on convex-test 0.0.x internals (DatabaseFake `_documents`, `_writes`,
 * `_iterateDocs`, `_resolveQuerySource`) and silently does nothing if they are not there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface RangeFilter {
  type: string;
  fieldPath: string;
  value: unknown;
}

interface FakeQuery {
  source: { type: string; indexName?: string; range?: RangeFilter[] };
}

interface FakeDb {
  _documents: Record<string, Record<string, unknown>>;
  _writes: Record<string, unknown>[];
  get(table: string, id: string): unknown;
  _iterateDocs(table: string, cb: (doc: unknown) => void): void;
  _resolveQuerySource(query: FakeQuery): unknown;
}

interface IndexState {
  /** `${table}\u0000${field}` → field value → ids */
  byField: Map<string, Map<string, Set<string>>>;
  /** The candidate ids of the query being resolved, or undefined for a full walk. */
  narrow: Set<string> | undefined;
}

const STATE = Symbol('syncdoc.convexTestIndex');
const PATCHED = Symbol.for('syncdoc.convexTestIndex.patched');

type Indexed = FakeDb & { [STATE]?: IndexState };

/** convex-test ids are a decimal counter followed by the table name. */
function tableOf(id: string): string {
  return id.replace(/^[0-9]+/, '');
}

function addEntries(state: IndexState, id: string, doc: Record<string, unknown> | undefined, add: boolean): void {
  if (!doc) return;
  const table = tableOf(id);
  for (const [key, index] of state.byField) {
    const [t, field] = key.split('\u0000') as [string, string];
    if (t !== table) continue;
    const value = doc[field];
    if (typeof value !== 'string') continue;
    let ids = index.get(value);
    if (add) {
      if (!ids) index.set(value, (ids = new Set()));
      ids.add(id);
    } else {
      ids?.delete(id);
    }
  }
}

/** Keeps the hash indexes in step with convex-test's committed documents (commit() sets and deletes keys). */
function install(db: Indexed): IndexState {
  const state: IndexState = { byField: new Map(), narrow: undefined };
  db._documents = new Proxy(db._documents, {
    set(target, id: string, doc: Record<string, unknown>) {
      addEntries(state, id, target[id], false);
      target[id] = doc;
      addEntries(state, id, doc, true);
      return true;
    },
    deleteProperty(target, id: string) {
      addEntries(state, id, target[id], false);
      delete target[id];
      return true;
    },
  });
  db[STATE] = state;
  return state;
}

function fieldIndex(db: Indexed, state: IndexState, table: string, field: string): Map<string, Set<string>> {
  const key = `${table}\u0000${field}`;
  let index = state.byField.get(key);
  if (!index) {
    index = new Map();
    state.byField.set(key, index);
    for (const [id, doc] of Object.entries(db._documents)) {
      const value = doc[field];
      if (tableOf(id) !== table || typeof value !== 'string') continue;
      let ids = index.get(value);
      if (!ids) index.set(value, (ids = new Set()));
      ids.add(id);
    }
  }
  return index;
}

/** A superset of the documents an index range can match, or undefined when it cannot be narrowed. */
function candidates(db: Indexed, state: IndexState, query: FakeQuery): Set<string> | undefined {
  const { source } = query;
  if (source.type !== 'IndexRange' || !source.indexName || !source.range) return undefined;
  const table = source.indexName.split('.')[0] as string;
  let best: Set<string> | undefined;
  for (const f of source.range) {
    if (f.type !== 'Eq' || typeof f.value !== 'string' || f.fieldPath.includes('.') || f.fieldPath.startsWith('_')) continue;
    const ids = fieldIndex(db, state, table, f.fieldPath).get(f.value) ?? new Set<string>();
    if (!best || ids.size < best.size) best = ids;
  }
  if (!best) return undefined;
  const out = new Set(best);
  // Documents the open transaction wrote may match whatever they held before: let convex-test decide.
  for (const level of db._writes) for (const id of Object.keys(level)) if (tableOf(id) === table) out.add(id);
  return out;
}

function patchPrototype(proto: FakeDb & { [PATCHED]?: boolean }): void {
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const resolve = proto._resolveQuerySource;
  const iterate = proto._iterateDocs;
  proto._resolveQuerySource = function (this: Indexed, query: FakeQuery) {
    const state = this[STATE];
    if (!state) return resolve.call(this, query);
    state.narrow = candidates(this, state, query);
    try {
      return resolve.call(this, query);
    } finally {
      state.narrow = undefined;
    }
  };
  proto._iterateDocs = function (this: Indexed, table: string, cb: (doc: unknown) => void) {
    const narrow = this[STATE]?.narrow;
    if (!narrow) return iterate.call(this, table, cb);
    for (const id of narrow) {
      const doc = this.get(table, id);
      if (doc !== null) cb(doc);
    }
  };
}

/** Finds the root DatabaseFake behind a convexTest() instance by watching it enter its context once. */
async function findDatabase(t: { run(fn: () => Promise<void>): Promise<void> }): Promise<Indexed | undefined> {
  const run = AsyncLocalStorage.prototype.run;
  let found: Indexed | undefined;
  AsyncLocalStorage.prototype.run = function (this: AsyncLocalStorage<unknown>, store: unknown, fn: (...a: unknown[]) => unknown, ...args: unknown[]) {
    const db = (store as { components?: Record<string, { db?: unknown }> } | null)?.components?.['']?.db;
    if (db && !found) found = db as Indexed;
    return run.call(this, store, fn, ...args);
  } as typeof run;
  try {
    await t.run(async () => {});
  } finally {
    AsyncLocalStorage.prototype.run = run;
  }
  return found;
}

/** Returns whether the acceleration is active for this convexTest() instance. */
export async function accelerateConvexTestIndexes(t: unknown): Promise<boolean> {
  const db = await findDatabase(t as { run(fn: () => Promise<void>): Promise<void> });
  const proto = db ? (Object.getPrototypeOf(db) as FakeDb) : undefined;
  if (!db || !proto || typeof proto._resolveQuerySource !== 'function' || typeof proto._iterateDocs !== 'function' || typeof db._documents !== 'object' || !Array.isArray(db._writes)) {
    return false;
  }
  patchPrototype(proto);
  if (!db[STATE]) install(db);
  return true;
}
