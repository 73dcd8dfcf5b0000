/**
 * The simulator's agenda: a binary min-heap of events ordered by (virtual time, insertion
 * sequence). The sequence number is the deterministic tie-break: two events due at the same
 * millisecond fire in the order they were scheduled, on every machine. Times are integers.
 */

export class EventQueue<T> {
  // Three parallel arrays, of which the first `count` slots are the heap. They never shrink: the
  // engine's queue hovers around a dozen events, and Array pop/push at every step would resize
  // them back and forth; a popped slot is cleared so the queue does not keep its event alive.
  private times: number[] = [];
  private seqs: number[] = [];
  private items: Array<T | undefined> = [];
  private count = 0;
  private nextSeq = 0;

  get size(): number {
    return this.count;
  }

  push(time: number, item: T): void {
    const seq = this.nextSeq++;
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    let i = this.count++;
    if (i === times.length) {
      times.push(time);
      seqs.push(seq);
      items.push(item);
    }
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < time || (pt === time && seqs[p]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      items[i] = items[p];
      i = p;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.count === 0 ? Infinity : this.times[0]!;
  }

  /** Removes and returns the earliest event (caller checks `size` first). */
  pop(): T {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const top = items[0] as T;
    const n = --this.count;
    const lastT = times[n]!;
    const lastS = seqs[n]!;
    const lastI = items[n];
    items[n] = undefined;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n) {
          const rt = times[r]!;
          const lt = times[l]!;
          if (rt < lt || (rt === lt && seqs[r]! < seqs[l]!)) c = r;
        }
        const ct = times[c]!;
        if (ct > lastT || (ct === lastT && seqs[c]! > lastS)) break;
        times[i] = ct;
        seqs[i] = seqs[c]!;
        items[i] = items[c];
        i = c;
      }
      times[i] = lastT;
      seqs[i] = lastS;
      items[i] = lastI;
    }
    return top;
  }
}
