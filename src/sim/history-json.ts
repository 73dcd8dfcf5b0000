/**
 * The canonical JSON of a history, as the history hash feeds it to sha256: the UTF-8 bytes of
 * `JSON.stringify` of the header, of the writes and of the events in chunks of 512, and of the end.
 * V8's generic stringify, and then building, flattening and encoding strings, cost more than the
 * simulation itself on these small string-heavy objects, so the bytes are written straight into a
 * reused buffer: numbers digit by digit, strings from cached UTF-8 pieces (`set`'s replica, key and
 * field as one piece). The three event kinds that make up nearly every history (`set`, `send`,
 * `write`) are built by the simulator as instances of the classes below, whose constructors assign
 * the fields in the order the object literals had (the fields are `declare`d: emitted class fields
 * would define each one as undefined first, a third more per event built); write records are
 * written by hand when their keys are the simulator's, in its order. The bytes are the same: a value
 * of an unexpected type (a number that is not finite, a string that is not one, a field value that
 * is an object) and every other event go through `JSON.stringify`. Properties added to an instance
 * after the simulator built it would be missed: histories are values, nothing edits them.
 */
import type { DropReason, History, HistoryEvent, MessageKind, WriteRecord } from './history.js';

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

/** Writes, and events, per `JSON.stringify` chunk in the hash's format: each chunk is its own `[…]`. */
export const CHUNK = 512;

/** Where the bytes go (a sha256 Hash): each call's bytes are only valid during the call. */
export interface ByteSink {
  update(bytes: Uint8Array): unknown;
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const js = (s: string): string => JSON.stringify(s);

// Caches of UTF-8 pieces, kept across calls (a sweep repeats the same replicas, keys and fields);
// cleared when large so a long sweep of ever-new keys cannot grow them without bound.
const CACHE_LIMIT = 50_000;
let cached = 0;
const quoted = new Map<string, Uint8Array>();
type Mids = Map<string, Map<string, Map<string, Uint8Array>>>;
const setMids: Mids = new Map();
const sendMids: Mids = new Map();

/** The UTF-8 of `make(s)`, cached in `cache`. */
function piece(cache: Map<string, Uint8Array>, s: string, make: (s: string) => string): Uint8Array {
  let r = cache.get(s);
  if (r === undefined) {
    cache.set(s, (r = utf8(make(s))));
    cached++;
  }
  return r;
}

/** `JSON.stringify(s)` as UTF-8, cached. */
const q = (s: string): Uint8Array => piece(quoted, s, js);

// The last (mids, a, b) looked up, and its map of pieces by c: a change to a record is a run of
// `set` events for one (replica, key), so that map is usually the one asked for again.
let lastMids: Mids | undefined;
let lastA = '';
let lastB = '';
let lastByC: Map<string, Uint8Array> | undefined;

/** The cached piece for (a, b, c) in `mids`, made by `make` the first time (nested maps: no key string built per lookup). */
function mid(mids: Mids, a: string, b: string, c: string, make: (a: string, b: string, c: string) => string): Uint8Array {
  let byC = lastByC;
  if (mids !== lastMids || a !== lastA || b !== lastB || byC === undefined) {
    let byB = mids.get(a);
    if (byB === undefined) mids.set(a, (byB = new Map()));
    byC = byB.get(b);
    if (byC === undefined) byB.set(b, (byC = new Map()));
    lastMids = mids;
    lastA = a;
    lastB = b;
    lastByC = byC;
  }
  let r = byC.get(c);
  if (r === undefined) {
    byC.set(c, (r = utf8(make(a, b, c))));
    cached++;
  }
  return r;
}

/** `,"e":"set","at":…,"key":…,"f":…,"from":` for one (replica, key, field). */
const setMid = (at: string, key: string, f: string): string => `,"e":"set","at":${js(at)},"key":${js(key)},"f":${js(f)},"from":`;
/** `,"from":…,"to":…,"kind":…,"n":` for one (sender, receiver, kind). */
const sendMid = (from: string, to: string, kind: string): string => `,"from":${js(from)},"to":${js(to)},"kind":${js(kind)},"n":`;

const T = utf8('{"t":');
const TO = utf8(',"to":');
const SEND_M = utf8(',"e":"send","m":');
const DROP = utf8(',"drop":');
const ARRIVE = utf8(',"arrive":[');
const WRITE_W = utf8(',"e":"write","w":');
const TRUE = utf8('true');
const FALSE = utf8('false');
const NULL = utf8('null');
const [COMMA, OPEN, CLOSE, OPEN_BRACE, CLOSE_BRACE] = [44, 91, 93, 123, 125];
/** Room for one number: the longest JSON writes is 25 bytes (-0.0000012345678901234567). */
const NUM = 25;

/** Copies `piece` to b[p…], returns the end: short pieces byte by byte (a TypedArray `set` call costs more). */
function put(b: Buffer, p: number, piece: Uint8Array): number {
  const n = piece.length;
  if (n > 16) b.set(piece, p);
  else for (let i = 0; i < n; i++) b[p + i] = piece[i]!;
  return p + n;
}

/** A finite number as JSON writes it (Number::toString) to b[p…], returns the end: int32s digit by digit. */
function putNum(b: Buffer, p: number, x: number): number {
  if ((x | 0) !== x) return p + b.write('' + x, p, 'latin1');
  if (x < 0) {
    b[p++] = 45;
    x = -x;
  }
  let end = p + 1;
  for (let y = x; y >= 10; y = (y / 10) | 0) end++;
  let e = end;
  do {
    const y = (x / 10) | 0;
    b[--e] = 48 + (x - 10 * y); // -0 writes 0, as JSON does
    x = y;
  } while (x > 0);
  return end;
}

/**
 * A reused byte buffer in front of the sink. Hot paths reserve `room` for a whole record and write
 * with `put`/`putNum` at `p`; anything else goes through `text`.
 */
class Out {
  p = 0;
  constructor(
    private readonly sink: ByteSink,
    readonly b: Buffer,
  ) {}

  flush(): void {
    if (this.p > 0) this.sink.update(this.b.subarray(0, this.p));
    this.p = 0;
  }

  /** Makes room for `n` more bytes; false if they cannot fit in the buffer at all. */
  room(n: number): boolean {
    if (this.p + n <= this.b.length) return true;
    this.flush();
    return n <= this.b.length;
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    if (this.room(3 * s.length)) this.p += this.b.write(s, this.p, 'utf8'); // at most 3 bytes per UTF-16 unit
    else this.sink.update(utf8(s));
  }

  byte(c: number): void {
    if (this.room(1)) this.b[this.p++] = c;
  }

  piece(piece: Uint8Array): void {
    if (this.room(piece.length)) this.p = put(this.b, this.p, piece);
    else this.sink.update(piece);
  }

  num(x: number): void {
    this.room(NUM);
    this.p = putNum(this.b, this.p, x);
  }

  /** A string as JSON writes it: printable ASCII byte by byte, anything else through `JSON.stringify`. */
  str(s: string): void {
    const n = s.length;
    if (this.room(n + 2)) {
      const b = this.b;
      let p = this.p;
      b[p++] = 34;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7f) break;
        b[p++] = c;
      }
      if (i === n) {
        b[p++] = 34;
        this.p = p;
        return;
      }
    }
    this.text(js(s)); // the bytes written above are overwritten: p did not move
  }

  /** A value as an array element: what `JSON.stringify` writes for it inside `[…]`. */
  element(v: unknown): void {
    const j = JSON.stringify(v);
    this.text(j === undefined ? 'null' : j);
  }
}

const fin = Number.isFinite;
const isStr = (x: unknown): x is string => typeof x === 'string';

function allFinite(a: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (!fin(a[i])) return false; // a hole reads undefined
  return true;
}

/** A `set` event: `{"t":…` + the cached middle + from, to. False if it does not fit the buffer. */
function setEvent(o: Out, s: SetEvent): boolean {
  const m = mid(setMids, s.at, s.key, s.f, setMid);
  if (!o.room(m.length + 12 + 3 * NUM)) return false;
  const b = o.b;
  let p = put(b, o.p, T);
  p = putNum(b, p, s.t);
  p = put(b, p, m);
  p = putNum(b, p, s.from);
  p = put(b, p, TO);
  p = putNum(b, p, s.to);
  b[p] = CLOSE_BRACE;
  o.p = p + 1;
  return true;
}

/** A `send` event, sent or dropped: `{"t":…` + m + the cached middle + n + its outcome. False if it does not fit the buffer. */
function sendEvent(o: Out, s: SendEvent | DroppedSendEvent, dropped: boolean): boolean {
  const m = mid(sendMids, s.from, s.to, s.kind, sendMid);
  const tail = dropped ? q((s as DroppedSendEvent).drop) : undefined;
  const arrive = dropped ? [] : (s as SendEvent).arrive;
  if (!o.room(m.length + 40 + (tail?.length ?? 0) + (3 + arrive.length) * (NUM + 1))) return false;
  const b = o.b;
  let p = put(b, o.p, T);
  p = putNum(b, p, s.t);
  p = put(b, p, SEND_M);
  p = putNum(b, p, s.m);
  p = put(b, p, m);
  p = putNum(b, p, s.n);
  if (tail !== undefined) {
    p = put(b, p, DROP);
    p = put(b, p, tail);
  } else {
    p = put(b, p, ARRIVE);
    for (let i = 0; i < arrive.length; i++) {
      if (i > 0) b[p++] = COMMA;
      p = putNum(b, p, arrive[i]!);
    }
    b[p++] = CLOSE;
  }
  b[p] = CLOSE_BRACE;
  o.p = p + 1;
  return true;
}

function writeEvent(o: Out, s: WriteEvent): boolean {
  if (!o.room(32 + 2 * NUM)) return false;
  const b = o.b;
  let p = put(b, o.p, T);
  p = putNum(b, p, s.t);
  p = put(b, p, WRITE_W);
  p = putNum(b, p, s.w);
  b[p] = CLOSE_BRACE;
  o.p = p + 1;
  return true;
}

/** One event as `JSON.stringify` writes it inside its chunk: the simulator's classes by hand, anything else by `JSON.stringify`. */
function event(o: Out, ev: HistoryEvent): void {
  const c = ev?.constructor;
  if (c === SetEvent) {
    const s = ev as SetEvent;
    if (fin(s.t) && isStr(s.at) && isStr(s.key) && isStr(s.f) && fin(s.from) && fin(s.to) && setEvent(o, s)) return;
  } else if (c === SendEvent || c === DroppedSendEvent) {
    const s = ev as SendEvent | DroppedSendEvent;
    const dropped = s instanceof DroppedSendEvent;
    if (fin(s.t) && fin(s.m) && isStr(s.from) && isStr(s.to) && isStr(s.kind) && fin(s.n)) {
      if ((dropped ? isStr(s.drop) : Array.isArray(s.arrive) && allFinite(s.arrive)) && sendEvent(o, s, dropped)) return;
    }
  } else if (c === WriteEvent) {
    const s = ev as WriteEvent;
    if (fin(s.t) && fin(s.w) && writeEvent(o, s)) return;
  }
  other(o, ev);
}

const protoOf = Object.getPrototypeOf;
const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && protoOf(x) === Object.prototype;

/** `"name":` as UTF-8, cached. */
const names = new Map<string, Uint8Array>();
const nameJson = (k: string): string => `${js(k)}:`;
const name = (k: string): Uint8Array => piece(names, k, nameJson);

/** A value `flat` writes by hand: a string, a finite number, a boolean or null. */
const scalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'boolean' || v === null || fin(v);

/** A scalar (see above) as JSON; strings from the cache when `cache` (values that repeat: replicas, keys, reasons). */
function scalarJson(o: Out, v: unknown, cache: boolean): void {
  if (typeof v === 'string') {
    if (cache) o.piece(q(v));
    else o.str(v);
  } else if (typeof v === 'number') o.num(v);
  else o.piece(v === true ? TRUE : v === false ? FALSE : NULL);
}

/** `[…]` of finite numbers. */
function numbers(o: Out, a: readonly number[]): void {
  o.byte(OPEN);
  for (let i = 0; i < a.length; i++) {
    if (i > 0) o.byte(COMMA);
    o.num(a[i]!);
  }
  o.byte(CLOSE);
}

/** `{…}` of an object's `keys` with scalar values (a write's fields: the workload's fresh strings, not worth caching). */
function scalars(o: Out, v: Readonly<Record<string, unknown>>, keys: readonly string[]): void {
  o.byte(OPEN_BRACE);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) o.byte(COMMA);
    o.piece(name(keys[i]!));
    scalarJson(o, v[keys[i]!], false);
  }
  o.byte(CLOSE_BRACE);
}

/**
 * A plain object whose values are scalars, and arrays of numbers or objects of scalars one level
 * down (the simulator's other events and its write records), as `JSON.stringify` writes it: keys in
 * Object.keys order, as it takes them. False, having written nothing, for anything else.
 */
function flat(o: Out, v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const x = v[keys[i]!];
    if (scalar(x)) continue;
    if (Array.isArray(x)) {
      if (protoOf(x) !== Array.prototype || !allFinite(x as number[])) return false;
    } else if (isPlainObject(x)) {
      const inner = Object.keys(x);
      for (let j = 0; j < inner.length; j++) if (!scalar(x[inner[j]!])) return false;
    } else return false;
  }
  o.byte(OPEN_BRACE);
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) o.byte(COMMA);
    const k = keys[i]!;
    o.piece(name(k));
    const x = v[k];
    if (Array.isArray(x)) numbers(o, x as number[]);
    else if (isPlainObject(x)) scalars(o, x, Object.keys(x));
    else scalarJson(o, x, true);
  }
  o.byte(CLOSE_BRACE);
  return true;
}

const WRITE_KEYS = ['id', 't', 'origin', 'originKind', 'kind', 'key', 'fields', 'writer', 'rank', 'clock'];
const writeMids: Mids = new Map();
/** `,"origin":…,"originKind":…,"kind":…,"key":` for one (origin, origin kind, op kind). */
const writeMid = (origin: string, originKind: string, kind: string): string => `,"origin":${js(origin)},"originKind":${js(originKind)},"kind":${js(kind)},"key":`;
const ID = utf8('{"id":');
const COMMA_T = utf8(',"t":');
const FIELDS = utf8(',"fields":');
const WRITER = utf8(',"writer":');
const RANK = utf8(',"rank":');
const CLOCK = utf8(',"clock":');

/** The field names of a write record as the simulator builds it (its keys, in its order, of their types); undefined for anything else. */
function writeFields(w: WriteRecord): string[] | undefined {
  if (!isPlainObject(w)) return undefined;
  const keys = Object.keys(w);
  if (keys.length !== WRITE_KEYS.length) return undefined;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== WRITE_KEYS[i]) return undefined;
  if (!(fin(w.id) && fin(w.t) && isStr(w.origin) && isStr(w.originKind) && isStr(w.kind) && isStr(w.key))) return undefined;
  if (!(fin(w.writer) && fin(w.rank) && Array.isArray(w.clock) && protoOf(w.clock) === Array.prototype && allFinite(w.clock) && isPlainObject(w.fields))) return undefined;
  const fields = Object.keys(w.fields);
  for (let i = 0; i < fields.length; i++) if (!scalar(w.fields[fields[i]!])) return undefined;
  return fields;
}

/** One write record as `JSON.stringify` writes it inside its chunk: by hand when the simulator built it, else as `other`. */
function write(o: Out, w: WriteRecord): void {
  const fields = writeFields(w);
  if (fields === undefined) {
    other(o, w);
    return;
  }
  o.piece(ID);
  o.num(w.id);
  o.piece(COMMA_T);
  o.num(w.t);
  o.piece(mid(writeMids, w.origin, w.originKind, w.kind, writeMid));
  o.piece(q(w.key));
  o.piece(FIELDS);
  scalars(o, w.fields, fields);
  o.piece(WRITER);
  o.num(w.writer);
  o.piece(RANK);
  o.num(w.rank);
  o.piece(CLOCK);
  numbers(o, w.clock);
  o.byte(CLOSE_BRACE);
}

/** Any other event or write record, as an array element: by hand when flat, else by `JSON.stringify`. */
function other(o: Out, v: unknown): void {
  if (!flat(o, v)) o.element(v);
}

/** `list` in chunks of CHUNK, each as `JSON.stringify` writes the chunk. */
function chunks<T>(o: Out, list: readonly T[], one: (o: Out, x: T) => void): void {
  for (let i = 0; i < list.length; i += CHUNK) {
    const end = Math.min(list.length, i + CHUNK);
    o.byte(OPEN);
    for (let j = i; j < end; j++) {
      if (j > i) o.byte(COMMA);
      one(o, list[j]!);
    }
    o.byte(CLOSE);
  }
}

/** Smallest buffer writeHistoryJson takes: a whole number, with room to spare. */
export const MIN_BUFFER = 64;
const BUF = Buffer.allocUnsafe(64 * 1024);

/**
 * The history hash's input, as UTF-8 into `sink`: `JSON.stringify` of the header, of the writes and
 * the events in chunks of 512, and of the end. `buf` is where the bytes are gathered (tests pass
 * small ones); the default one is shared, so calls must not nest (they are synchronous).
 */
export function writeHistoryJson(h: History, sink: ByteSink, buf: Buffer = BUF): void {
  if (buf.length < MIN_BUFFER) throw new RangeError(`writeHistoryJson: a buffer under ${MIN_BUFFER} bytes`);
  if (cached > CACHE_LIMIT) {
    quoted.clear();
    setMids.clear();
    sendMids.clear();
    names.clear();
    writeMids.clear();
    lastByC = undefined;
    cached = 0;
  }
  const o = new Out(sink, buf);
  o.text(JSON.stringify([h.scenario, h.algorithm, h.seed, h.replicas, h.writers]));
  chunks(o, h.writes, write);
  chunks(o, h.events, event);
  o.text(JSON.stringify([h.end, h.conflicts]));
  o.flush();
}
