// Checkers are pure functions of a history: each is exercised here on small hand-written histories
// where the right verdict is known by reading them, Maelstrom-style.
import { describe, expect, it } from 'vitest';
import { mobileWins } from './algorithms/mobile-wins.js';
import { serverWins } from './algorithms/server-wins.js';
import { checkHistory, runVerdict } from './checkers.js';
import type { History, HistoryEvent, WriteRecord } from './history.js';

// writers: 0 initial, 1 phone, 2 tablet, 3 web
const WRITERS = ['initial', 'phone', 'tablet', 'web'];
const KIND: Record<string, WriteRecord['originKind']> = { initial: 'initial', phone: 'device', tablet: 'device', web: 'web' };

function w(id: number, origin: string, kind: WriteRecord['kind'], key: string, fields: Record<string, unknown>, clock: number[], t = id * 100): WriteRecord {
  const writer = WRITERS.indexOf(origin);
  return { id, t, origin, originKind: KIND[origin]!, kind, key, fields, writer, rank: clock[writer]!, clock };
}

function set(at: string, key: string, f: string, from: number, to: number, t = 1000): HistoryEvent {
  return { t, e: 'set', at, key, f, from, to };
}

function history(writes: WriteRecord[], events: HistoryEvent[], end: Partial<History['end']> = {}): History {
  return {
    scenario: 'hand-written', algorithm: 'test', seed: '1',
    replicas: ['server', 'phone', 'tablet', 'web'],
    replicaKinds: { server: 'server', phone: 'device', tablet: 'device', web: 'web' },
    writers: WRITERS, writes, events,
    end: { t: 5000, quiesced: true, healAt: 4000, outboxes: { phone: 0, tablet: 0 }, deadLetters: { phone: 0, tablet: 0 }, ...end },
    conflicts: 0, steps: 0, stale: 0,
  };
}

const init = w(0, 'initial', 'create', 'notes/n1', { title: 'draft' }, [1, 0, 0, 0], 0);
/** Every replica takes the same provenance for a cell. */
const everywhere = (key: string, f: string, from: number, to: number): HistoryEvent[] => ['server', 'phone', 'tablet'].map((r) => set(r, key, f, from, to));

describe('convergence', () => {
  it('passes when every device holds the server records, fails naming the replica, unknown without quiescence', () => {
    const phoneEdit = w(1, 'phone', 'update', 'notes/n1', { title: 'p' }, [1, 1, 0, 0]);
    const same = history([init, phoneEdit], [...everywhere('notes/n1', 'title', 0, 1)]);
    expect(checkHistory(same).convergence).toEqual({ verdict: 'pass', violations: [] });

    const diverged = history([init, phoneEdit], [set('server', 'notes/n1', 'title', 0, 1), set('phone', 'notes/n1', 'title', 0, 1)]);
    const res = checkHistory(diverged).convergence;
    expect(res.verdict).toBe('fail');
    expect(res.violations.map((v) => [v.at, v.key])).toEqual([['tablet', 'notes/n1']]);
    expect(res.violations[0]!.message).toContain('"title":"draft"');

    expect(checkHistory(history([init, phoneEdit], [], { quiesced: false })).convergence.verdict).toBe('unknown');
  });

  it('treats a tombstone like absence', () => {
    const del = w(1, 'phone', 'delete', 'notes/n1', {}, [1, 1, 0, 0]);
    // the server keeps the tombstone; the devices dropped the row entirely → still converged
    const h = history([init, del], [set('server', 'notes/n1', '$exists', 0, 1), set('phone', 'notes/n1', '$exists', 0, 1), set('tablet', 'notes/n1', '$exists', 0, 1)]);
    expect(checkHistory(h).convergence.verdict).toBe('pass');
  });
});

describe('no-lost-write', () => {
  const phone = w(1, 'phone', 'update', 'notes/n1', { title: 'phone' }, [1, 1, 0, 0]);
  it('fails when the converged value was superseded by a later write (the LWW-under-skew shape)', () => {
    const tabletAfter = w(2, 'tablet', 'update', 'notes/n1', { title: 'tablet' }, [1, 1, 1, 0]); // tablet had pulled w1
    const h = history([init, phone, tabletAfter], [...everywhere('notes/n1', 'title', 0, 1)]);
    const res = checkHistory(h)['no-lost-write'];
    expect(res.verdict).toBe('fail');
    expect(res.violations).toHaveLength(1);
    expect(res.violations[0]).toMatchObject({ key: 'notes/n1', field: 'title', kept: 1, lost: [2] });
  });

  it('lets concurrent writes resolve either way', () => {
    const tabletConcurrent = w(2, 'tablet', 'update', 'notes/n1', { title: 'tablet' }, [1, 0, 1, 0]);
    for (const winner of [1, 2]) {
      const h = history([init, phone, tabletConcurrent], [...everywhere('notes/n1', 'title', 0, winner)]);
      expect(checkHistory(h)['no-lost-write'].verdict).toBe('pass');
    }
  });

  it('fails when a whole-record copy brings back a field another device changed', () => {
    const body = w(2, 'tablet', 'update', 'notes/n1', { body: 'b' }, [1, 0, 1, 0]);
    const initBody = w(0, 'initial', 'create', 'notes/n1', { title: 'draft', body: 'x' }, [1, 0, 0, 0], 0);
    // the server took the phone's whole copy: title from w1, body still from the initial write
    const h = history([initBody, phone, body], [...everywhere('notes/n1', 'title', 0, 1)]);
    const res = checkHistory(h)['no-lost-write'];
    expect(res.verdict).toBe('fail');
    expect(res.violations[0]).toMatchObject({ field: 'body', kept: 0, lost: [2] });
  });

  it('fails when a created record never reached the server', () => {
    const create = w(1, 'phone', 'create', 'notes/n9', { title: 'new' }, [1, 1, 0, 0]);
    const h = history([init, create], [set('phone', 'notes/n9', 'title', -1, 1), set('phone', 'notes/n9', '$exists', -1, 1)]);
    const res = checkHistory(h)['no-lost-write'];
    expect(res.verdict).toBe('fail');
    expect(res.violations[0]).toMatchObject({ key: 'notes/n9', field: '$exists', lost: [1] });
  });
});

describe('no-duplicate', () => {
  const create = w(1, 'phone', 'create', 'notes/n2', { title: 'x' }, [1, 1, 0, 0]);
  const created = (key: string): HistoryEvent[] => [set('server', key, 'title', -1, 1), set('server', key, '$exists', -1, 1)];
  it('passes on one server record per create, fails on a second one, unknown on none before quiescence', () => {
    expect(checkHistory(history([init, create], created('notes/n2')))['no-duplicate'].verdict).toBe('pass');
    const dup = history([init, create], [...created('notes/n2'), { t: 900, e: 'dup', key: 'notes/n2~2', of: 'notes/n2', w: 1 }, ...created('notes/n2~2')]);
    const res = checkHistory(dup)['no-duplicate'];
    expect(res.verdict).toBe('fail');
    expect(res.violations[0]!.message).toContain('notes/n2, notes/n2~2');
    expect(checkHistory(history([init, create], [], { quiesced: false }))['no-duplicate'].verdict).toBe('unknown');
    expect(checkHistory(history([init, create], []))['no-duplicate'].verdict).toBe('fail');
  });
});

describe('no-resurrection', () => {
  const del = w(1, 'phone', 'delete', 'notes/n1', {}, [1, 1, 0, 0]);
  it('fails when a write that happened before the delete brings the record back', () => {
    // every replica deleted it, then the server re-applied the (older) initial state
    const h = history([init, del], [...everywhere('notes/n1', '$exists', 0, 1), set('server', 'notes/n1', '$exists', 1, 0, 2000)]);
    const res = checkHistory(h)['no-resurrection'];
    expect(res.verdict).toBe('fail');
    expect(res.violations[0]).toMatchObject({ at: 'server', key: 'notes/n1', kept: 0, lost: [1], t: 2000 });
  });
  it('lets an edit concurrent with the delete win', () => {
    const edit = w(2, 'tablet', 'update', 'notes/n1', { title: 't' }, [1, 0, 1, 0]);
    const h = history([init, del, edit], [...everywhere('notes/n1', '$exists', 0, 2), ...everywhere('notes/n1', 'title', 0, 2)]);
    expect(checkHistory(h)['no-resurrection'].verdict).toBe('pass');
  });
  it('also judges duplicate rows a server made for the same record', () => {
    const create = w(1, 'phone', 'create', 'notes/n3', { title: 'x' }, [1, 1, 0, 0]);
    const del3 = w(2, 'phone', 'delete', 'notes/n3', {}, [1, 2, 0, 0]);
    const h = history([init, create, del3], [
      set('server', 'notes/n3', '$exists', -1, 2),
      { t: 900, e: 'dup', key: 'notes/n3~2', of: 'notes/n3', w: 1 },
      set('server', 'notes/n3~2', '$exists', -1, 1),
    ]);
    const res = checkHistory(h)['no-resurrection'];
    expect(res.verdict).toBe('fail');
    expect(res.violations[0]).toMatchObject({ key: 'notes/n3~2', lost: [2] });
  });
});

describe('outbox-drained', () => {
  it('fails on ops left in an outbox or dead-lettered', () => {
    expect(checkHistory(history([init], []))['outbox-drained'].verdict).toBe('pass');
    const left = checkHistory(history([init], [], { outboxes: { phone: 2, tablet: 0 } }))['outbox-drained'];
    expect(left.verdict).toBe('fail');
    expect(left.violations.map((v) => v.at)).toEqual(['phone']);
    expect(checkHistory(history([init], [], { deadLetters: { phone: 0, tablet: 1 } }))['outbox-drained'].verdict).toBe('fail');
  });
});

describe('causality', () => {
  it('fails when a replica moves a cell back to a write that happened before the one it held', () => {
    const phone = w(1, 'phone', 'update', 'notes/n1', { title: 'p' }, [1, 1, 0, 0]);
    const forward = history([init, phone], [set('tablet', 'notes/n1', 'title', 0, 1)]);
    expect(checkHistory(forward).causality.verdict).toBe('pass');
    const back = history([init, phone], [set('tablet', 'notes/n1', 'title', 0, 1), set('tablet', 'notes/n1', 'title', 1, 0, 1500)]);
    const res = checkHistory(back).causality;
    expect(res.verdict).toBe('fail');
    expect(res.violations).toEqual([expect.objectContaining({ at: 'tablet', key: 'notes/n1', field: 'title', lost: [1], kept: 0, t: 1500 })]);
  });
  it('allows moving between concurrent writes', () => {
    const a = w(1, 'phone', 'update', 'notes/n1', { title: 'p' }, [1, 1, 0, 0]);
    const b = w(2, 'tablet', 'update', 'notes/n1', { title: 't' }, [1, 0, 1, 0]);
    const h = history([init, a, b], [set('server', 'notes/n1', 'title', 0, 1), set('server', 'notes/n1', 'title', 1, 2), set('server', 'notes/n1', 'title', 2, 1)]);
    expect(checkHistory(h).causality.verdict).toBe('pass');
  });
});

describe('declared violations', () => {
  const initBody = w(0, 'initial', 'create', 'notes/n1', { title: 'draft', body: 'x' }, [1, 0, 0, 0], 0);
  const phoneTitle = w(1, 'phone', 'update', 'notes/n1', { title: 'p' }, [1, 1, 0, 0]);
  it('reports a web write lost to a concurrent pending device write as declared by mobile-wins, and the run passes', () => {
    const webBody = w(2, 'web', 'update', 'notes/n1', { body: 'web' }, [1, 0, 0, 1]);
    // the phone's whole-record push put the initial body back over the web edit
    const h = history([initBody, phoneTitle, webBody], [set('server', 'notes/n1', 'body', 0, 2), set('server', 'notes/n1', 'body', 2, 0), ...everywhere('notes/n1', 'title', 0, 1)]);
    const report = checkHistory(h, mobileWins.declarations);
    expect(report['no-lost-write'].verdict).toBe('declared');
    expect(report.causality.verdict).toBe('declared');
    expect(report['no-lost-write'].violations[0]!.declared).toMatch(/web write concurrent with a pending device write/);
    expect(runVerdict(report)).toBe('pass');
    // without the declaration the same history fails
    expect(runVerdict(checkHistory(h))).toBe('fail');
  });
  it('does not excuse a situation the algorithm did not declare', () => {
    // a device write lost to a device write that happened after a web write: not mobile-wins' declaration
    const tabletTitle = w(2, 'tablet', 'update', 'notes/n1', { title: 't' }, [1, 1, 1, 0]); // knew w1
    const h = history([initBody, phoneTitle, tabletTitle], [...everywhere('notes/n1', 'title', 0, 1)]);
    expect(checkHistory(h, mobileWins.declarations)['no-lost-write'].verdict).toBe('fail');
    // server-wins declares device edits concurrent with another write, but here nothing was concurrent
    expect(checkHistory(h, serverWins.declarations)['no-lost-write'].verdict).toBe('fail');
  });
});

describe('violation order', () => {
  // records and fields are met in the order the history made them (n2 before n1, title before
  // body); violations are reported by key, then field, as a sorted walk would find them
  const i2 = w(0, 'initial', 'create', 'notes/n2', { title: 'a', body: 'b' }, [1, 0, 0, 0], 0);
  const i1 = w(1, 'initial', 'create', 'notes/n1', { title: 'c', body: 'd' }, [2, 0, 0, 0], 0);
  const cells = (key: string, from: number, to: number): HistoryEvent[] => ['title', 'body'].flatMap((f) => everywhere(key, f, from, to));

  it('no-lost-write and convergence: by key, then field', () => {
    const p2 = w(2, 'phone', 'update', 'notes/n2', { title: 'p', body: 'p' }, [2, 1, 0, 0]);
    const p1 = w(3, 'phone', 'update', 'notes/n1', { title: 'p', body: 'p' }, [2, 2, 0, 0]);
    const t2 = w(4, 'tablet', 'update', 'notes/n2', { title: 't', body: 't' }, [2, 2, 1, 0]);
    const t1 = w(5, 'tablet', 'update', 'notes/n1', { title: 't', body: 't' }, [2, 2, 2, 0]);
    const h = history([i2, i1, p2, p1, t2, t1], [...cells('notes/n2', 0, 2), ...cells('notes/n1', 1, 3), set('server', 'notes/n2', 'title', 2, 4), set('server', 'notes/n1', 'title', 3, 5)]);
    const report = checkHistory(h);
    expect(report['no-lost-write'].violations.map((v) => `${v.key}.${v.field}`)).toEqual(['notes/n1.body', 'notes/n2.body']);
    expect(report.convergence.violations.map((v) => `${v.at} ${v.key}`)).toEqual(['phone notes/n1', 'phone notes/n2', 'tablet notes/n1', 'tablet notes/n2']);
    const all = history([i2, i1, p2, p1, t2, t1], [...cells('notes/n2', 0, 2), ...cells('notes/n1', 1, 3)]);
    expect(checkHistory(all)['no-lost-write'].violations.map((v) => `${v.key}.${v.field}`)).toEqual(['notes/n1.body', 'notes/n1.title', 'notes/n2.body', 'notes/n2.title']);
  });

  it('no-resurrection and no-duplicate: by replica in history order, then key', () => {
    const d2 = w(2, 'phone', 'delete', 'notes/n2', {}, [2, 1, 0, 0]);
    const d1 = w(3, 'phone', 'delete', 'notes/n1', {}, [2, 2, 0, 0]);
    const back = (at: string): HistoryEvent[] => [set(at, 'notes/n2', '$exists', 2, 0, 2000), set(at, 'notes/n1', '$exists', 3, 1, 2000)];
    const h = history([i2, i1, d2, d1], [...everywhere('notes/n2', '$exists', 0, 2), ...everywhere('notes/n1', '$exists', 1, 3), ...back('tablet'), ...back('server')]);
    expect(checkHistory(h)['no-resurrection'].violations.map((v) => `${v.at} ${v.key}`)).toEqual(['server notes/n1', 'server notes/n2', 'tablet notes/n1', 'tablet notes/n2']);

    const c9 = w(2, 'phone', 'create', 'notes/n9', { title: 'x' }, [2, 1, 0, 0]);
    const c8 = w(3, 'phone', 'create', 'notes/n8', { title: 'y' }, [2, 2, 0, 0]);
    const lost = checkHistory(history([i2, i1, c9, c8], []));
    expect(lost['no-duplicate'].violations.map((v) => v.key)).toEqual(['notes/n8', 'notes/n9']);
    expect(lost['no-lost-write'].violations.map((v) => v.key)).toEqual(['notes/n8', 'notes/n9']);
  });
});
