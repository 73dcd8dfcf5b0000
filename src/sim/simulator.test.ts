// Engine invariants, checked on the histories of real runs of the standard scenario (generated
// workload, every fault kind) over many seeds and every algorithm family.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../test-support/cli.js';
import { getAlgorithm } from './algorithms/index.js';
import type { History, HistoryEvent } from './history.js';
import { loadScenarioFile, type Scenario } from './scenario.js';
import { localClock, opsByTime, simulate } from './simulator.js';
import { materializeOps } from './workload.js';

const standard = loadScenarioFile(join(FIXTURES, 'scenarios', 'standard.json')).scenario;
const runs = (scenario: Scenario, seeds: number, algorithm = 'hlc-lww'): History[] =>
  Array.from({ length: seeds }, (_, i) => simulate(scenario, getAlgorithm(algorithm), BigInt(i + 1)));
type Send = Extract<HistoryEvent, { e: 'send' }>;
const sends = (h: History): Send[] => h.events.filter((e): e is Send => e.e === 'send');

describe('simulator invariants', () => {
  it('computes the skewed, drifting local clock exactly (integer floor division)', () => {
    expect(localClock(1000, { skewMs: 0, driftPpm: 0 })).toBe(1000);
    expect(localClock(1000, { skewMs: -300_000, driftPpm: 0 })).toBe(-299_000);
    expect(localClock(2_000_000, { skewMs: 5, driftPpm: 150 })).toBe(2_000_305);
    expect(localClock(999, { skewMs: 0, driftPpm: 1000 })).toBe(999); // 0.999 ms of drift floors to 0
    expect(localClock(999, { skewMs: 0, driftPpm: -1000 })).toBe(998); // floor, not truncation
  });

  it('issues user ops by time, then list order, whether or not the list is sorted', () => {
    const at = (...ts: number[]) => ts.map((t) => ({ at: t, device: 'phone', op: 'delete' as const, collection: 'notes', id: 'n1', fields: {} }));
    expect(opsByTime(at(1, 2, 2, 5))).toEqual([0, 1, 2, 3]);
    expect(opsByTime(at(5, 2, 9, 2, 1))).toEqual([4, 1, 3, 0, 2]);
    // a hand-made list out of order runs like the same list sorted (stably) by time
    const ops = materializeOps(standard, 3n);
    const reversed = [...ops].reverse();
    const h = simulate(standard, getAlgorithm('hlc-lww'), 3n, { ops: reversed });
    const byTime = opsByTime(reversed).map((i) => reversed[i]!);
    expect(byTime.map((o) => o.at)).toEqual(ops.map((o) => o.at));
    const writes = h.writes.filter((w) => w.origin !== 'initial');
    expect(writes.map((w) => w.t)).toEqual([...writes.map((w) => w.t)].sort((a, b) => a - b));
    // and to the end: the run waits for every op, not for the op last in the list
    for (const seed of [3n, 4n, 5n]) {
      const sorted = materializeOps(standard, seed);
      const a = simulate(standard, getAlgorithm('hlc-lww'), seed, { ops: sorted });
      const b = simulate(standard, getAlgorithm('hlc-lww'), seed, { ops: [...sorted].reverse() });
      expect(JSON.stringify(b.events)).toBe(JSON.stringify(a.events));
      expect(b.end).toEqual(a.end);
    }
  });

  it('keeps virtual time monotonic and ends within the heal budget', () => {
    for (const h of runs(standard, 20)) {
      let t = 0;
      for (const e of h.events) {
        expect(e.t).toBeGreaterThanOrEqual(t);
        t = e.t;
      }
      expect(h.end.t).toBeLessThanOrEqual(standard.heal.afterMs + standard.heal.budgetMs);
    }
  });

  it('delivers within the latency bounds, and FIFO per link when reordering is off', () => {
    const fifo: Scenario = { ...standard, network: { ...standard.network, reorder: false } };
    const { min, max } = standard.network.latencyMs;
    for (const h of runs(fifo, 15)) {
      const lastArrival = new Map<string, number>();
      for (const s of sends(h)) {
        for (const at of s.arrive ?? []) expect(at - s.t).toBeGreaterThanOrEqual(min);
        const link = `${s.from}>${s.to}`;
        for (const at of s.arrive ?? []) {
          expect(at).toBeGreaterThanOrEqual(lastArrival.get(link) ?? 0);
          lastArrival.set(link, at);
        }
      }
    }
    // with reordering some message does overtake an earlier one on its link
    let overtaken = false;
    for (const h of runs(standard, 15)) {
      const last = new Map<string, number>();
      for (const s of sends(h)) {
        const at = s.arrive?.[0];
        if (at === undefined) continue;
        if (at < (last.get(`${s.from}>${s.to}`) ?? 0)) overtaken = true;
        last.set(`${s.from}>${s.to}`, Math.max(at, last.get(`${s.from}>${s.to}`) ?? 0));
        expect(at - s.t).toBeLessThanOrEqual(max); // reordering never adds delay beyond the bounds
      }
    }
    expect(overtaken).toBe(true);
  });

  it('drops messages across a partition only inside its window, and nothing after healing', () => {
    const partition = standard.faults.find((f) => f.kind === 'partition')!;
    if (partition.kind !== 'partition') throw new Error('fixture changed');
    let partitionDrops = 0;
    for (const h of runs(standard, 20)) {
      for (const s of sends(h)) {
        if (s.drop === 'partition') partitionDrops++;
        const crosses = (s.from === 'phone') !== (s.to === 'phone');
        const inWindow = s.t >= partition.from && s.t < partition.until;
        if (s.drop === 'partition') expect(crosses && inWindow).toBe(true);
        else if (crosses && inWindow) expect(s.drop).toBeDefined();
        if (s.t >= h.end.healAt) expect(s.drop).toBeUndefined();
        if (s.t >= h.end.healAt) expect(s.arrive).toHaveLength(1); // no duplicates either
      }
    }
    expect(partitionDrops).toBeGreaterThan(0);
  });

  it('a crashed device is silent until it restarts, and every device is up after healing', () => {
    for (const h of runs(standard, 20, 'field-merge')) {
      let down = false;
      for (const e of h.events) {
        if (e.e === 'crash' && e.at === 'tablet') down = true;
        else if (e.e === 'restart' && e.at === 'tablet') down = false;
        else if (down) {
          if (e.e === 'send') expect(e.from).not.toBe('tablet');
          if (e.e === 'write') expect(h.writes[e.w]!.origin).not.toBe('tablet');
          if (e.e === 'set') expect(e.at).not.toBe('tablet');
        }
      }
      expect(h.events.filter((e) => e.e === 'crash')).toHaveLength(1);
      expect(h.events.filter((e) => e.e === 'restart')).toHaveLength(1);
    }
  });

  it('a create for a record the server has makes a row `key~n`, one key for every replica, even when a record id spells it', () => {
    // two devices create notes/y; the later create becomes the server's row notes/y~2, which an
    // (unvalidated) initial record already is: the commit lands on that record, and devices pull it
    const quiet: Scenario = {
      ...standard,
      initial: { notes: [{ id: 'y~2', fields: { title: 'old' } }] },
      network: { ...standard.network, lossRatio: { num: 0, den: 1 }, duplicateRatio: { num: 0, den: 1 } },
      workload: {
        ops: [
          { at: 10, device: 'phone', op: 'create', collection: 'notes', id: 'y', fields: { title: 'p' } },
          { at: 20, device: 'tablet', op: 'create', collection: 'notes', id: 'y', fields: { title: 't' } },
        ],
        generator: null,
      },
      faults: [],
      heal: { afterMs: 0, budgetMs: 30_000 },
    };
    const h = simulate(quiet, getAlgorithm('hlc-lww'), 1n);
    expect(h.end.quiesced).toBe(true);
    const dup = h.events.find((e) => e.e === 'dup');
    expect(dup).toMatchObject({ key: 'notes/y~2', of: 'notes/y' });
    const title = (at: string, key: string) =>
      h.events.filter((e): e is Extract<HistoryEvent, { e: 'set' }> => e.e === 'set' && e.at === at && e.key === key && e.f === 'title').at(-1)?.to;
    const dupWrite = (dup as { w: number }).w;
    // the server's y~2 went from the initial write to the duplicate create's; every device followed
    expect(h.events.some((e) => e.e === 'set' && e.at === 'server' && e.key === 'notes/y~2' && e.f === 'title' && e.from === 0 && e.to === dupWrite)).toBe(true);
    for (const d of ['server', 'phone', 'tablet', 'laptop']) expect(title(d, 'notes/y~2')).toBe(dupWrite);
  });

  it('the same seed gives the same history; another seed another one', () => {
    const [a, b] = [simulate(standard, getAlgorithm('vector-clock'), 77n), simulate(standard, getAlgorithm('vector-clock'), 77n)];
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(simulate(standard, getAlgorithm('vector-clock'), 78n).events)).not.toBe(JSON.stringify(a.events));
  });
});
