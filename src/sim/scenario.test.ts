import fc from 'fast-check';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, isSyncdocError } from '../errors.js';
import { FIXTURES, scratchDir } from '../test-support/cli.js';
import { loadScenarioFile, loadScenarios, validateScenario } from './scenario.js';

const SCENARIOS = join(FIXTURES, 'scenarios');

const minimal = (): Record<string, unknown> => ({
  name: 'min',
  devices: [{ id: 'phone' }],
  workload: { ops: [{ at: 1, device: 'phone', op: 'create', collection: 'notes', id: 'n1', fields: { title: 'x' } }] },
  heal: { afterMs: 100, budgetMs: 1000 },
});

function errorOf(doc: unknown): InputError {
  try {
    validateScenario(doc, 'test.json');
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('scenario fixtures', () => {
  it('every fixture validates', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) expect(() => loadScenarioFile(join(SCENARIOS, f))).not.toThrow();
  });
  it('fills in the defaults a careful user expects', () => {
    const s = validateScenario(minimal(), 'x.json');
    expect(s.collections).toEqual(['notes']);
    expect(s.devices[0]).toEqual({ id: 'phone', kind: 'device', clock: { skewMs: 0, driftPpm: 0 } });
    expect(s.network).toEqual({ latencyMs: { min: 5, max: 50 }, lossRatio: { num: 0, den: 1 }, duplicateRatio: { num: 0, den: 1 }, reorder: false });
    expect(s.syncIntervalMs).toBe(500);
  });
});

describe('scenario validation errors name the JSON path', () => {
  const cases: Array<[string, (d: Record<string, unknown>) => void, RegExp]> = [
    ['unknown top-level key', (d) => (d['netwrok'] = {}), /\$\.netwrok: unknown key/],
    ['float ratio', (d) => (d['network'] = { lossRatio: 0.1 }), /\$\.network\.lossRatio: expected a ratio string/],
    ['ratio above 1', (d) => (d['network'] = { lossRatio: '3/2' }), /\$\.network\.lossRatio: not a ratio/],
    ['unknown device in op', (d) => ((d['workload'] as { ops: Array<Record<string, unknown>> }).ops[0]!['device'] = 'tab'), /\$\.workload\.ops\[0\]\.device: unknown device "tab"/],
    ['unknown collection', (d) => ((d['workload'] as { ops: Array<Record<string, unknown>> }).ops[0]!['collection'] = 'tasks'), /\$\.workload\.ops\[0\]\.collection: unknown collection/],
    ['bad op kind', (d) => ((d['workload'] as { ops: Array<Record<string, unknown>> }).ops[0]!['op'] = 'upsert'), /\$\.workload\.ops\[0\]\.op: expected create, update or delete/],
    ['negative time', (d) => ((d['workload'] as { ops: Array<Record<string, unknown>> }).ops[0]!['at'] = -5), /\$\.workload\.ops\[0\]\.at: out of range/],
    ['missing heal', (d) => delete d['heal'], /\$\.heal: missing required key/],
    ['duplicate device', (d) => (d['devices'] = [{ id: 'a' }, { id: 'a' }]), /\$\.devices\[1\]\.id: duplicate device id/],
    ['reserved id', (d) => (d['devices'] = [{ id: 'server' }]), /\$\.devices\[0\]\.id: "server" is reserved/],
    ['unknown fault kind', (d) => (d['faults'] = [{ kind: 'meteor' }]), /\$\.faults\[0\]\.kind: unknown fault kind/],
    ['empty window', (d) => (d['faults'] = [{ kind: 'offline', device: 'phone', from: 5, until: 5 }]), /\$\.faults\[0\]\.until: until \(5\) must be after from/],
    ['crash of a web client', (d) => {
      d['devices'] = [{ id: 'phone' }, { id: 'w', kind: 'web' }];
      d['faults'] = [{ kind: 'crash', device: 'w', at: 1, restartAfterMs: 1 }];
    }, /\$\.faults\[0\]\.device: "w" is a web client/],
    ['partition with one group', (d) => (d['faults'] = [{ kind: 'partition', from: 0, until: 5, groups: [['phone', 'server']] }]), /groups: a partition needs at least two groups/],
    ['bad popularity', (d) => (d['workload'] = { generator: { opsPerDevice: 1, meanGapMs: 10, popularity: 'pareto' } }), /generator\.popularity: expected "uniform" or "zipf:S"/],
    ['empty workload', (d) => (d['workload'] = {}), /\$\.workload: no ops, no generator and no fromSnapshot/],
    ['update without fields', (d) => ((d['workload'] as { ops: Array<Record<string, unknown>> }).ops[0] = { at: 1, device: 'phone', op: 'update', collection: 'notes', id: 'n1' }), /ops\[0\]\.fields: an update names the fields/],
    ['reserved field name', (d) => ((d['workload'] as { ops: Array<Record<string, unknown>> }).ops[0]!['fields'] = { $exists: true }), /fields\.\$exists: field names may not start with "\$"/],
  ];
  it.each(cases)('%s', (_name, mutate, pattern) => {
    const doc = minimal();
    mutate(doc);
    const err = errorOf(doc);
    expect(err.message).toMatch(pattern);
    expect(err.subject).toBe('test.json');
    expect(err.exitCode).toBe(4);
    expect(err.hint).toBeTruthy();
  });

  it('suggests the right spelling of a mis-cased key', () => {
    const doc = minimal();
    doc['SyncIntervalMs'] = 100;
    expect(errorOf(doc).hint).toBe('did you mean "syncIntervalMs"?');
  });

  it('never throws anything but a typed InputError on arbitrary JSON (fuzz)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          validateScenario(v, 'fuzz.json');
        } catch (err) {
          return isSyncdocError(err) && err.exitCode === 4;
        }
        return true;
      }),
      { numRuns: 500 },
    );
    // mutations of a valid document: drop or replace one key anywhere at the top level
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(minimal()), 'network', 'faults', 'initial'), fc.jsonValue(), (key, value) => {
        const doc = minimal();
        doc[key] = value;
        try {
          validateScenario(doc, 'fuzz.json');
        } catch (err) {
          return isSyncdocError(err) && err.exitCode === 4;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });
});

describe('loading files and folders', () => {
  it('reports missing files, bad JSON and duplicate names with the file', () => {
    const dir = scratchDir();
    expect(() => loadScenarios(join(dir, 'nope.json'))).toThrow(/scenario path not found/);
    writeFileSync(join(dir, 'bad.json'), '{ "name": ');
    expect(() => loadScenarioFile(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
    const two = join(dir, 'two');
    mkdirSync(two);
    writeFileSync(join(two, 'a.json'), JSON.stringify(minimal()));
    writeFileSync(join(two, 'b.json'), JSON.stringify(minimal()));
    expect(() => loadScenarios(two)).toThrow(/two scenarios are named "min"/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    expect(() => loadScenarios(empty)).toThrow(/no scenario files/);
  });
});
