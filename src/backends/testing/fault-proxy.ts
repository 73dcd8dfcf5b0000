/**
 * Test support: a loopback HTTP proxy in front of any backend server (local, `syncdoc serve`, the
 * Convex loopback) that injects network faults, deterministically from a seed: it drops requests,
 * drops responses after the upstream applied them, delivers requests twice, answers 429/503/500
 * without forwarding, answers 500 after forwarding, and delays. The n-th request (in arrival order)
 * always gets the n-th decision of the seeded sequence; the proxy counts what it did.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { sendJson } from '../http-io.js';

/** Fault knobs as ratios of requests (0–1); the fault kinds are exclusive and must sum to ≤ 1. */
export interface FaultRatios {
  /** Close the connection without forwarding: nothing applied, the client sees a reset. */
  dropRequest?: number;
  /** Forward, let the upstream apply, then close the connection instead of answering. */
  dropResponse?: number;
  /** Forward the request twice (one after the other) and answer with the second response. */
  deliverTwice?: number;
  /** Answer 429 (Retry-After: 0) without forwarding. */
  answer429?: number;
  /** Answer 503 (Retry-After: 0) without forwarding. */
  answer503?: number;
  /** Answer 500 without forwarding. */
  answer500?: number;
  /** Forward, then answer 500 instead of the upstream's answer (applied, reported as failed). */
  answer500AfterApply?: number;
  /** Independently of the above: delay forwarding by up to `delayMsMax`. */
  delay?: number;
}

export interface FaultProxyOptions extends FaultRatios {
  /** Base URL of the real server, e.g. `http://127.0.0.1:41234`. */
  upstream: string;
  seed: number;
  delayMsMax?: number;
  /** Only requests to these paths get faults (default: every path). */
  paths?: string[];
  port?: number;
}

export type FaultKind = 'none' | 'dropRequest' | 'dropResponse' | 'deliverTwice' | 'answer429' | 'answer503' | 'answer500' | 'answer500AfterApply';

export interface FaultCounts {
  requests: number;
  /** Requests that reached the upstream (a double delivery counts twice). */
  forwarded: number;
  dropRequest: number;
  dropResponse: number;
  deliverTwice: number;
  answer429: number;
  answer503: number;
  answer500: number;
  answer500AfterApply: number;
  delayed: number;
}

export interface FaultProxy {
  url: string;
  counts(): FaultCounts;
  /** The decisions taken so far, by request arrival index. */
  decisions(): readonly FaultKind[];
  /** Turns faults off (or back on) without restarting, e.g. for a final liveness phase. */
  setEnabled(enabled: boolean): void;
  close(): Promise<void>;
}

const KINDS: readonly Exclude<FaultKind, 'none'>[] = ['dropRequest', 'dropResponse', 'deliverTwice', 'answer429', 'answer503', 'answer500', 'answer500AfterApply'];
const SCALE = 1_000_000;
// Hop-by-hop headers are the proxy's own business; forwarding them breaks keep-alive framing.
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

interface Upstreamed {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function toPpm(ratio: number | undefined, name: string): number {
  const r = ratio ?? 0;
  if (!(r >= 0 && r <= 1)) throw new RangeError(`fault ratio ${name} must be within 0..1, got ${r}`);
  return Math.round(r * SCALE);
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function forwardHeaders(headers: IncomingHttpHeaders, bodyLength: number): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_HEADERS.has(k)) out[k] = v;
  out['content-length'] = String(bodyLength);
  return out;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const thresholds: { kind: Exclude<FaultKind, 'none'>; upTo: number }[] = [];
  let total = 0;
  for (const kind of KINDS) {
    total += toPpm(options[kind], kind);
    thresholds.push({ kind, upTo: total });
  }
  if (total > SCALE) throw new RangeError('fault ratios sum to more than 1');
  const delayPpm = toPpm(options.delay, 'delay');
  const delayMsMax = options.delayMsMax ?? 50;
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  // One generator, drawn in a fixed order per request index: decision n never depends on timing.
  const rng = xoroshiro128plus(options.seed);
  const planned: { kind: FaultKind; delayMs: number }[] = [];
  const plan = (n: number): { kind: FaultKind; delayMs: number } => {
    while (planned.length <= n) {
      const roll = uniformInt(rng, 0, SCALE - 1);
      const kind = thresholds.find((t) => roll < t.upTo)?.kind ?? 'none';
      const delayed = uniformInt(rng, 0, SCALE - 1) < delayPpm;
      const delayMs = uniformInt(rng, 0, delayMsMax);
      planned.push({ kind, delayMs: delayed ? delayMs : 0 });
    }
    return planned[n] as { kind: FaultKind; delayMs: number };
  };

  const counts: FaultCounts = {
    requests: 0,
    forwarded: 0,
    dropRequest: 0,
    dropResponse: 0,
    deliverTwice: 0,
    answer429: 0,
    answer503: 0,
    answer500: 0,
    answer500AfterApply: 0,
    delayed: 0,
  };
  const taken: FaultKind[] = [];
  let enabled = true;

  const forward = (req: IncomingMessage, body: Buffer): Promise<Upstreamed> =>
    new Promise((resolve, reject) => {
      counts.forwarded++;
      const up = httpRequest(
        { agent, host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: forwardHeaders(req.headers, body.length) },
        (res) => {
          readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });

  const reply = (res: ServerResponse, answer: Upstreamed): void => {
    const headers = forwardHeaders(answer.headers, answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const answerStatus = (res: ServerResponse, status: number, code: string): void => {
    sendJson(res, status, { code, message: `injected ${status}` }, status === 500 ? {} : { 'retry-after': '0' });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const eligible = enabled && (options.paths === undefined || options.paths.includes(path));
    const n = counts.requests++;
    const decision = eligible ? plan(n) : { kind: 'none' as const, delayMs: 0 };
    taken[n] = decision.kind;
    if (decision.kind !== 'none') counts[decision.kind]++;
    if (decision.delayMs > 0) {
      counts.delayed++;
      await new Promise((r) => setTimeout(r, decision.delayMs));
    }
    switch (decision.kind) {
      case 'dropRequest':
        req.socket.destroy();
        return;
      case 'answer429':
        return answerStatus(res, 429, 'RateLimited');
      case 'answer503':
        return answerStatus(res, 503, 'Overloaded');
      case 'answer500':
        return answerStatus(res, 500, 'InternalServerError');
      case 'dropResponse':
        await forward(req, body);
        req.socket.destroy();
        return;
      case 'answer500AfterApply':
        await forward(req, body);
        return answerStatus(res, 500, 'InternalServerError');
      case 'deliverTwice':
        await forward(req, body);
        return reply(res, await forward(req, body));
      case 'none':
        return reply(res, await forward(req, body));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // the upstream itself failed (e.g. it is down): pass that on as a reset, like a real proxy
      req.socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    decisions: () => taken,
    setEnabled(on) {
      enabled = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
