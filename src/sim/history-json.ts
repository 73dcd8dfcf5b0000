/**
 * The canonical JSON of a history's events, as the history hash feeds it to sha256: the events in
 * chunks of 512, each chunk `JSON.stringify`d. V8's generic stringify was a third of a sweep's CPU
 * time on these small string-heavy objects, so the three kinds that make up nearly every history
 * (`set`, `send`, `write`) are built by the simulator as instances of the classes below, whose
 * constructors assign the fields in the order the object literals had (the fields are `declare`d:
 * emitted class fields would define each one as undefined first, a third more per event built),
 * and serialised here by string
 * concatenation from cached quoted strings (`set`'s replica, key and field as one cached piece).
 * The text is the same: a value of an unexpected type (a number that is not finite, a string that
 * is not one) and every other event goes through `JSON.stringify`. Properties added to an instance
 * after the simulator built it would be missed: histories are values, nothing edits them.
 */
import type { DropReason, HistoryEvent, MessageKind } from './history.js';

export class SetEvent {
  declare readonly t: number;
  declare readonly e: 'set';
  declare readonly at: string;
  declare readonly key: string;
  declare readonly f: string;
  declare readonly from: number;
  declare readonly to: number;
  constructor(t: number, at: string, key: string, f: string, from: number, to: number) {
    this.t = t;
    this.e = 'set';
    this.at = at;
    this.key = key;
    this.f = f;
    this.from = from;
    this.to = to;
  }
}

/** The fields of a `send` event either outcome has, declared in the order the object literals had. */
abstract class SendHead {
  declare readonly t: number;
  declare readonly e: 'send';
  declare readonly m: number;
  declare readonly from: string;
  declare readonly to: string;
  declare readonly kind: MessageKind;
  declare readonly n: number;
  constructor(t: number, m: number, from: string, to: string, kind: MessageKind, n: number) {
    this.t = t;
    this.e = 'send';
    this.m = m;
    this.from = from;
    this.to = to;
    this.kind = kind;
    this.n = n;
  }
}

/** A message that was sent: `arrive` holds when each copy reaches the receiver. */
export class SendEvent extends SendHead {
  declare readonly arrive: number[];
  constructor(t: number, m: number, from: string, to: string, kind: MessageKind, n: number, arrive: number[]) {
    super(t, m, from, to, kind, n);
    this.arrive = arrive;
  }
}

/** A message that was not sent, and why. */
export class DroppedSendEvent extends SendHead {
  declare readonly drop: DropReason;
  constructor(t: number, m: number, from: string, to: string, kind: MessageKind, n: number, drop: DropReason) {
    super(t, m, from, to, kind, n);
    this.drop = drop;
  }
}

export class WriteEvent {
  declare readonly t: number;
  declare readonly e: 'write';
  declare readonly w: number;
  constructor(t: number, w: number) {
    this.t = t;
    this.e = 'write';
    this.w = w;
  }
}

/** Events per `JSON.stringify` chunk in the hash's format: each chunk is its own `[…]`. */
export const EVENT_CHUNK = 512;

// Caches of quoted strings, kept across calls (a sweep repeats the same replicas, keys and fields);
// cleared when large so a long sweep of ever-new keys cannot grow them without bound.
const CACHE_LIMIT = 50_000;
let cached = 0;
const quoted = new Map<string, string>();
const setMids: Mids = new Map();

function q(s: string): string {
  let r = quoted.get(s);
  if (r === undefined) {
    r = JSON.stringify(s);
    quoted.set(s, r);
    cached++;
  }
  return r;
}

type Mids = Map<string, Map<string, Map<string, string>>>;

/** The cached piece for (a, b, c) in `mids`, made by `make` the first time (nested maps: no key string built per lookup). */
function mid(mids: Mids, a: string, b: string, c: string, make: () => string): string {
  let byB = mids.get(a);
  if (byB === undefined) mids.set(a, (byB = new Map()));
  let byC = byB.get(b);
  if (byC === undefined) byB.set(b, (byC = new Map()));
  let r = byC.get(c);
  if (r === undefined) {
    byC.set(c, (r = make()));
    cached++;
  }
  return r;
}

const sendMids: Mids = new Map();

/** `,"e":"set","at":…,"key":…,"f":…,"from":` for one (replica, key, field). */
const setMid = (at: string, key: string, f: string): string => mid(setMids, at, key, f, () => `,"e":"set","at":${q(at)},"key":${q(key)},"f":${q(f)},"from":`);

/** `,"from":…,"to":…,"kind":…,"n":` for one (sender, receiver, kind). */
const sendMid = (from: string, to: string, kind: string): string => mid(sendMids, from, to, kind, () => `,"from":${q(from)},"to":${q(to)},"kind":${q(kind)},"n":`);

const fin = Number.isFinite;
const str = (x: unknown): x is string => typeof x === 'string';

function allFinite(a: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (!fin(a[i])) return false; // a hole reads undefined
  return true;
}

/** One event's JSON; `'' + x` is JSON's text for any finite number (both use Number::toString). */
function eventJson(ev: HistoryEvent): string {
  const c = ev.constructor;
  if (c === SetEvent) {
    const s = ev as SetEvent;
    // the short tail in parentheses: V8 copies a concatenation under 13 characters into a flat
    // string, so each event is a few rope nodes instead of one per piece (the hash flattens them)
    if (fin(s.t) && str(s.at) && str(s.key) && str(s.f) && fin(s.from) && fin(s.to)) return '{"t":' + s.t + setMid(s.at, s.key, s.f) + (s.from + ',"to":' + s.to + '}');
  } else if (c === SendEvent || c === DroppedSendEvent) {
    const s = ev as SendEvent | DroppedSendEvent;
    if (fin(s.t) && fin(s.m) && str(s.from) && str(s.to) && str(s.kind) && fin(s.n)) {
      const head = '{"t":' + s.t + (',"e":"send","m":' + s.m) + sendMid(s.from, s.to, s.kind) + s.n;
      if (s instanceof DroppedSendEvent) {
        if (str(s.drop)) return head + (',"drop":' + q(s.drop) + '}');
      } else if (Array.isArray(s.arrive) && allFinite(s.arrive)) {
        return head + (',"arrive":[' + s.arrive.join(',') + ']}');
      }
    }
  } else if (c === WriteEvent) {
    const s = ev as WriteEvent;
    if (fin(s.t) && fin(s.w)) return '{"t":' + s.t + (',"e":"write","w":' + s.w + '}');
  }
  return JSON.stringify(ev);
}

/**
 * The text of `events` chunk by chunk (EVENT_CHUNK events each), each chunk as `JSON.stringify`
 * writes it: one string per chunk, so a huge history never becomes one giant string.
 */
export function* eventChunks(events: readonly HistoryEvent[]): Generator<string> {
  if (cached > CACHE_LIMIT) {
    quoted.clear();
    setMids.clear();
    sendMids.clear();
    cached = 0;
  }
  for (let i = 0; i < events.length; i += EVENT_CHUNK) {
    const end = Math.min(events.length, i + EVENT_CHUNK);
    let out = '[';
    for (let j = i; j < end; j++) {
      if (j > i) out += ',';
      out += eventJson(events[j]!);
    }
    yield out + ']';
  }
}
