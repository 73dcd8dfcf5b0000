/**
 * Scenario files (`fixtures/scenarios/*.json`, format in SIMULATION.md): parsing and validation.
 * Every problem is reported with the file, the JSON path and what is wrong, as an InputError
 * (exit 4); unknown keys are errors so a typo never silently turns a fault off. The result is a
 * plain, fully-defaulted `Scenario` value that the simulator, the workers and the shrinker share.
 * Limits on every list keep a hostile file from running forever.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../errors.js';
import { parseRatio, type Ratio } from './prng.js';

export type OpKind = 'create' | 'update' | 'delete';

export interface ClockSpec {
  skewMs: number;
  driftPpm: number;
}

export interface DeviceSpec {
  id: string;
  kind: 'device' | 'web';
  clock: ClockSpec;
}

export interface OpSpec {
  at: number;
  device: string;
  op: OpKind;
  collection: string;
  id: string;
  fields: Record<string, unknown>;
}

export interface GeneratorSpec {
  opsPerDevice: number;
  meanGapMs: number;
  records: number;
  /** Zipf exponent scaled by 100 (`zipf:1.0` → 100); 0 means uniform. */
  zipfCenti: number;
  mix: { create: number; update: number; delete: number };
  fieldsPerUpdate: { min: number; max: number };
  fields: string[];
  /** Devices that generate ops (default: all). */
  devices: string[] | null;
}

export type FaultSpec =
  | { kind: 'partition'; from: number; until: number; groups: string[][] }
  | { kind: 'crash'; device: string; at: number; restartAfterMs: number }
  | { kind: 'drop-responses'; device: string; from: number; until: number; ratio: Ratio }
  | { kind: 'offline'; device: string; from: number; until: number };

export interface Scenario {
  name: string;
  description: string;
  collections: string[];
  devices: DeviceSpec[];
  initial: Record<string, Array<{ id: string; fields: Record<string, unknown> }>>;
  syncIntervalMs: number;
  network: { latencyMs: { min: number; max: number }; lossRatio: Ratio; duplicateRatio: Ratio; reorder: boolean };
  workload: { ops: OpSpec[]; generator: GeneratorSpec | null };
  faults: FaultSpec[];
  heal: { afterMs: number; budgetMs: number };
  fromSnapshot: { device: string; path: string } | null;
}

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

const LIMITS = { devices: 64, ops: 100_000, opsPerDevice: 100_000, records: 100_000, faults: 1_000, timeMs: 1e9 };
const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Walks the parsed JSON, collecting the path so every error can say exactly where it is. */
class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, what: string, hint?: string): never {
    throw new InputError(`invalid scenario at ${path}: ${what}`, {
      code: 'E_SCENARIO_INVALID',
      subject: this.file,
      hint: hint ?? 'see the scenario format in README (section "simulate") or SIMULATION.md',
    });
  }

  object(v: unknown, path: string, required: string[], optional: string[]): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `expected an object, got ${describe(v)}`);
    const o = v as Record<string, unknown>;
    const known = new Set([...required, ...optional]);
    for (const k of Object.keys(o)) {
      if (!known.has(k)) {
        const near = [...known].sort().find((n) => n.toLowerCase() === k.toLowerCase());
        this.fail(`${path}.${k}`, 'unknown key', near ? `did you mean "${near}"?` : `allowed keys: ${[...known].join(', ')}`);
      }
    }
    for (const k of required) if (!(k in o)) this.fail(`${path}.${k}`, 'missing required key');
    return o;
  }

  array(v: unknown, path: string, max: number): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `expected an array, got ${describe(v)}`);
    if (v.length > max) this.fail(path, `too many entries (${v.length} > ${max})`);
    return v;
  }

  int(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(path, `expected an integer, got ${describe(v)}`);
    if (v < min || v > max) this.fail(path, `out of range: ${v} (allowed ${min}..${max})`);
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(path, `expected a non-empty string, got ${describe(v)}`);
    return v;
  }

  id(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (!ID_RE.test(s)) this.fail(path, `not a valid id: ${JSON.stringify(s)}`, 'ids use letters, digits, _ . : - (at most 64)');
    return s;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${describe(v)}`);
    return v;
  }

  ratio(v: unknown, path: string): Ratio {
    if (typeof v !== 'string') this.fail(path, `expected a ratio string "n/d", got ${describe(v)}`, 'ratios are strings like "1/20", never floats');
    const r = parseRatio(v);
    if (!r) this.fail(path, `not a ratio between 0 and 1: ${JSON.stringify(v)}`, 'write ratios as "n/d" with n ≤ d, d > 0');
    return r;
  }

  fields(v: unknown, path: string): Record<string, unknown> {
    const o = this.object(v, path, [], Object.keys((v ?? {}) as object));
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      if (k.startsWith('$')) this.fail(`${path}.${k}`, 'field names may not start with "$" (reserved)');
      out[k] = o[k];
    }
    return out;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `${typeof v} ${typeof v === 'object' ? '' : String(v)}`.trim();
}

/** Validates a parsed scenario document; `file` only labels errors. */
export function validateScenario(doc: unknown, file: string): Scenario {
  const c = new Checker(file);
  const top = c.object(doc, '$', ['name', 'devices', 'workload', 'heal'], [
    'description', 'collections', 'initial', 'syncIntervalMs', 'network', 'faults', 'fromSnapshot', '$schema',
  ]);
  const name = c.id(top['name'], '$.name');
  const description = top['description'] === undefined ? '' : c.string(top['description'], '$.description');

  const devices: DeviceSpec[] = [];
  const ids = new Set<string>();
  c.array(top['devices'], '$.devices', LIMITS.devices).forEach((d, i) => {
    const p = `$.devices[${i}]`;
    const o = c.object(d, p, ['id'], ['kind', 'clock']);
    const id = c.id(o['id'], `${p}.id`);
    if (id === 'server') c.fail(`${p}.id`, '"server" is reserved for the server');
    if (ids.has(id)) c.fail(`${p}.id`, `duplicate device id ${JSON.stringify(id)}`);
    ids.add(id);
    const kind = o['kind'] === undefined ? 'device' : c.string(o['kind'], `${p}.kind`);
    if (kind !== 'device' && kind !== 'web') c.fail(`${p}.kind`, `expected "device" or "web", got ${JSON.stringify(kind)}`);
    let clock: ClockSpec = { skewMs: 0, driftPpm: 0 };
    if (o['clock'] !== undefined) {
      const co = c.object(o['clock'], `${p}.clock`, [], ['skewMs', 'driftPpm']);
      clock = {
        skewMs: co['skewMs'] === undefined ? 0 : c.int(co['skewMs'], `${p}.clock.skewMs`, -LIMITS.timeMs, LIMITS.timeMs),
        driftPpm: co['driftPpm'] === undefined ? 0 : c.int(co['driftPpm'], `${p}.clock.driftPpm`, -100_000, 100_000),
      };
    }
    devices.push({ id, kind: kind as 'device' | 'web', clock });
  });
  if (devices.length === 0) c.fail('$.devices', 'at least one device is needed');
  const deviceIds = (p: string, v: unknown, allowWeb = true): string => {
    const id = c.string(v, p);
    const d = devices.find((x) => x.id === id);
    if (d === undefined) return c.fail(p, `unknown device ${JSON.stringify(id)}`, `devices: ${devices.map((x) => x.id).join(', ')}`);
    if (!allowWeb && d.kind === 'web') c.fail(p, `${JSON.stringify(id)} is a web client; this needs a device with a store`);
    return id;
  };

  const collections =
    top['collections'] === undefined
      ? ['notes']
      : c.array(top['collections'], '$.collections', 64).map((x, i) => c.id(x, `$.collections[${i}]`));
  if (collections.length === 0) c.fail('$.collections', 'at least one collection is needed');
  const collection = (p: string, v: unknown): string => {
    const s = c.string(v, p);
    if (!collections.includes(s)) c.fail(p, `unknown collection ${JSON.stringify(s)}`, `declare it in $.collections (${collections.join(', ')})`);
    return s;
  };

  const initial: Scenario['initial'] = {};
  for (const col of collections) initial[col] = [];
  if (top['initial'] !== undefined) {
    const io = c.object(top['initial'], '$.initial', [], collections);
    for (const col of collections) {
      if (io[col] === undefined) continue;
      const seen = new Set<string>();
      c.array(io[col], `$.initial.${col}`, LIMITS.records).forEach((r, i) => {
        const p = `$.initial.${col}[${i}]`;
        const ro = c.object(r, p, ['id'], ['fields']);
        const id = c.id(ro['id'], `${p}.id`);
        if (seen.has(id)) c.fail(`${p}.id`, `duplicate record id ${JSON.stringify(id)}`);
        seen.add(id);
        initial[col]!.push({ id, fields: ro['fields'] === undefined ? {} : c.fields(ro['fields'], `${p}.fields`) });
      });
    }
  }

  const syncIntervalMs = top['syncIntervalMs'] === undefined ? 500 : c.int(top['syncIntervalMs'], '$.syncIntervalMs', 1, 3_600_000);

  let network: Scenario['network'] = { latencyMs: { min: 5, max: 50 }, lossRatio: { num: 0, den: 1 }, duplicateRatio: { num: 0, den: 1 }, reorder: false };
  if (top['network'] !== undefined) {
    const no = c.object(top['network'], '$.network', [], ['latencyMs', 'lossRatio', 'duplicateRatio', 'reorder']);
    let latencyMs = network.latencyMs;
    if (no['latencyMs'] !== undefined) {
      const lo = c.object(no['latencyMs'], '$.network.latencyMs', ['min', 'max'], []);
      const min = c.int(lo['min'], '$.network.latencyMs.min', 0, 600_000);
      const max = c.int(lo['max'], '$.network.latencyMs.max', 0, 600_000);
      if (max < min) c.fail('$.network.latencyMs.max', `max (${max}) is below min (${min})`);
      latencyMs = { min, max };
    }
    network = {
      latencyMs,
      lossRatio: no['lossRatio'] === undefined ? network.lossRatio : c.ratio(no['lossRatio'], '$.network.lossRatio'),
      duplicateRatio: no['duplicateRatio'] === undefined ? network.duplicateRatio : c.ratio(no['duplicateRatio'], '$.network.duplicateRatio'),
      reorder: no['reorder'] === undefined ? false : c.bool(no['reorder'], '$.network.reorder'),
    };
  }

  const wo = c.object(top['workload'], '$.workload', [], ['ops', 'generator']);
  const ops: OpSpec[] = [];
  if (wo['ops'] !== undefined) {
    c.array(wo['ops'], '$.workload.ops', LIMITS.ops).forEach((x, i) => {
      const p = `$.workload.ops[${i}]`;
      const o = c.object(x, p, ['at', 'device', 'op', 'collection', 'id'], ['fields']);
      const op = c.string(o['op'], `${p}.op`);
      if (op !== 'create' && op !== 'update' && op !== 'delete') c.fail(`${p}.op`, `expected create, update or delete, got ${JSON.stringify(op)}`);
      if (op === 'delete' && o['fields'] !== undefined) c.fail(`${p}.fields`, 'a delete writes no fields');
      if (op === 'update' && o['fields'] === undefined) c.fail(`${p}.fields`, 'an update names the fields it writes');
      ops.push({
        at: c.int(o['at'], `${p}.at`, 0, LIMITS.timeMs),
        device: deviceIds(`${p}.device`, o['device']),
        op: op as OpKind,
        collection: collection(`${p}.collection`, o['collection']),
        id: c.id(o['id'], `${p}.id`),
        fields: o['fields'] === undefined ? {} : c.fields(o['fields'], `${p}.fields`),
      });
    });
  }
  let generator: GeneratorSpec | null = null;
  if (wo['generator'] !== undefined) {
    const p = '$.workload.generator';
    const g = c.object(wo['generator'], p, ['opsPerDevice', 'meanGapMs'], ['records', 'popularity', 'mix', 'fieldsPerUpdate', 'fields', 'devices']);
    let zipfCenti = 100;
    if (g['popularity'] !== undefined) {
      const pop = c.string(g['popularity'], `${p}.popularity`);
      const m = /^zipf:(\d{1,2})(?:\.(\d{1,2}))?$/.exec(pop);
      if (pop === 'uniform') zipfCenti = 0;
      else if (m) zipfCenti = Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
      else c.fail(`${p}.popularity`, `expected "uniform" or "zipf:S" (e.g. zipf:1.0), got ${JSON.stringify(pop)}`);
    }
    let mix = { create: 20, update: 70, delete: 10 };
    if (g['mix'] !== undefined) {
      const mo = c.object(g['mix'], `${p}.mix`, [], ['create', 'update', 'delete']);
      mix = {
        create: mo['create'] === undefined ? 0 : c.int(mo['create'], `${p}.mix.create`, 0, 1_000_000),
        update: mo['update'] === undefined ? 0 : c.int(mo['update'], `${p}.mix.update`, 0, 1_000_000),
        delete: mo['delete'] === undefined ? 0 : c.int(mo['delete'], `${p}.mix.delete`, 0, 1_000_000),
      };
      if (mix.create + mix.update + mix.delete === 0) c.fail(`${p}.mix`, 'weights sum to zero');
    }
    let fieldsPerUpdate = { min: 1, max: 2 };
    if (g['fieldsPerUpdate'] !== undefined) {
      const fo = c.object(g['fieldsPerUpdate'], `${p}.fieldsPerUpdate`, ['min', 'max'], []);
      fieldsPerUpdate = { min: c.int(fo['min'], `${p}.fieldsPerUpdate.min`, 1, 64), max: c.int(fo['max'], `${p}.fieldsPerUpdate.max`, 1, 64) };
      if (fieldsPerUpdate.max < fieldsPerUpdate.min) c.fail(`${p}.fieldsPerUpdate.max`, 'max is below min');
    }
    const fields = g['fields'] === undefined ? ['title', 'body', 'status'] : c.array(g['fields'], `${p}.fields`, 64).map((f, i) => c.id(f, `${p}.fields[${i}]`));
    if (fields.length === 0) c.fail(`${p}.fields`, 'at least one field is needed');
    if (fieldsPerUpdate.max > fields.length) c.fail(`${p}.fieldsPerUpdate.max`, `larger than the number of fields (${fields.length})`);
    generator = {
      opsPerDevice: c.int(g['opsPerDevice'], `${p}.opsPerDevice`, 0, LIMITS.opsPerDevice),
      meanGapMs: c.int(g['meanGapMs'], `${p}.meanGapMs`, 1, 3_600_000),
      records: g['records'] === undefined ? 50 : c.int(g['records'], `${p}.records`, 1, LIMITS.records),
      zipfCenti,
      mix,
      fieldsPerUpdate,
      fields,
      devices: g['devices'] === undefined ? null : c.array(g['devices'], `${p}.devices`, LIMITS.devices).map((d, i) => deviceIds(`${p}.devices[${i}]`, d)),
    };
  }

  const faults: FaultSpec[] = [];
  if (top['faults'] !== undefined) {
    c.array(top['faults'], '$.faults', LIMITS.faults).forEach((f, i) => {
      const p = `$.faults[${i}]`;
      const kind = c.string((f as Record<string, unknown> | null)?.['kind'], `${p}.kind`);
      const window = (o: Record<string, unknown>): { from: number; until: number } => {
        const from = c.int(o['from'], `${p}.from`, 0, LIMITS.timeMs);
        const until = c.int(o['until'], `${p}.until`, 0, LIMITS.timeMs);
        if (until <= from) c.fail(`${p}.until`, `until (${until}) must be after from (${from})`);
        return { from, until };
      };
      if (kind === 'partition') {
        const o = c.object(f, p, ['kind', 'from', 'until', 'groups'], []);
        const seen = new Set<string>();
        const groups = c.array(o['groups'], `${p}.groups`, LIMITS.devices + 1).map((g, gi) =>
          c.array(g, `${p}.groups[${gi}]`, LIMITS.devices + 1).map((m, mi) => {
            const mp = `${p}.groups[${gi}][${mi}]`;
            const id = m === 'server' ? 'server' : deviceIds(mp, m);
            if (seen.has(id)) c.fail(mp, `${JSON.stringify(id)} is in two groups`);
            seen.add(id);
            return id;
          }),
        );
        if (groups.length < 2) c.fail(`${p}.groups`, 'a partition needs at least two groups');
        faults.push({ kind, ...window(o), groups });
      } else if (kind === 'crash') {
        const o = c.object(f, p, ['kind', 'device', 'at', 'restartAfterMs'], []);
        faults.push({
          kind,
          device: deviceIds(`${p}.device`, o['device'], false),
          at: c.int(o['at'], `${p}.at`, 0, LIMITS.timeMs),
          restartAfterMs: c.int(o['restartAfterMs'], `${p}.restartAfterMs`, 0, LIMITS.timeMs),
        });
      } else if (kind === 'drop-responses') {
        const o = c.object(f, p, ['kind', 'device', 'from', 'until', 'ratio'], []);
        faults.push({ kind, device: deviceIds(`${p}.device`, o['device']), ...window(o), ratio: c.ratio(o['ratio'], `${p}.ratio`) });
      } else if (kind === 'offline') {
        const o = c.object(f, p, ['kind', 'device', 'from', 'until'], []);
        faults.push({ kind, device: deviceIds(`${p}.device`, o['device']), ...window(o) });
      } else {
        c.fail(`${p}.kind`, `unknown fault kind ${JSON.stringify(kind)}`, 'fault kinds: partition, crash, drop-responses, offline');
      }
    });
  }

  const ho = c.object(top['heal'], '$.heal', ['afterMs', 'budgetMs'], []);
  const heal = { afterMs: c.int(ho['afterMs'], '$.heal.afterMs', 0, LIMITS.timeMs), budgetMs: c.int(ho['budgetMs'], '$.heal.budgetMs', 1, LIMITS.timeMs) };

  let fromSnapshot: Scenario['fromSnapshot'] = null;
  if (top['fromSnapshot'] !== undefined) {
    const fo = c.object(top['fromSnapshot'], '$.fromSnapshot', ['device', 'path'], []);
    fromSnapshot = { device: deviceIds('$.fromSnapshot.device', fo['device'], false), path: c.string(fo['path'], '$.fromSnapshot.path') };
  }

  if (ops.length === 0 && generator === null && fromSnapshot === null) c.fail('$.workload', 'no ops, no generator and no fromSnapshot: nothing would happen', 'add "ops": [...] or a "generator"');
  return { name, description, collections, devices, initial, syncIntervalMs, network, workload: { ops, generator }, faults, heal, fromSnapshot };
}

/** Reads and validates one scenario file. */
export function loadScenarioFile(file: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'scenario file not found' : `cannot read scenario file (${code ?? 'error'})`, {
      code: 'E_SCENARIO_UNREADABLE',
      subject: file,
      hint: 'pass a scenario .json file or a folder of them (e.g. fixtures/scenarios)',
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`scenario is not valid JSON (${(err as Error).message})`, { code: 'E_SCENARIO_JSON', subject: file, hint: 'fix the JSON syntax' });
  }
  return { file, scenario: validateScenario(doc, file) };
}

/** A file, or every `*.json` in a folder (sorted by name); scenario names must be unique. */
export function loadScenarios(path: string): LoadedScenario[] {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new InputError('scenario path not found', { code: 'E_SCENARIO_UNREADABLE', subject: path, hint: 'pass a scenario .json file or a folder of them' });
  }
  const files = isDir
    ? readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new InputError('no scenario files (*.json) in folder', { code: 'E_SCENARIO_UNREADABLE', subject: path, hint: 'add scenario files or pass one file' });
  const loaded = files.map(loadScenarioFile);
  const byName = new Map<string, string>();
  for (const l of loaded) {
    const prev = byName.get(l.scenario.name);
    if (prev !== undefined) {
      throw new InputError(`two scenarios are named ${JSON.stringify(l.scenario.name)} (also ${basename(prev)})`, {
        code: 'E_SCENARIO_INVALID',
        subject: l.file,
        hint: 'scenario names identify runs in reports; make them unique',
      });
    }
    byName.set(l.scenario.name, l.file);
  }
  return loaded;
}
