/**
 * How a failed request is labelled, shared by the http and convex clients so both backends fail
 * the same way: connection refused or DNS failure → definite + unreachable; 429/503/408 →
 * definite + transient (with Retry-After); 413 → definite + tooLarge; a timeout, a reset after
 * sending or any other 5xx → indefinite (it may have been applied; re-send with the same key).
 */
import { BackendTransportError } from './types.js';

// Errors raised before a single byte of the request could reach a server.
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // undici reports a refused connection to a multi-address host as an AggregateError
    const inner = (e as { errors?: unknown[] }).errors?.[0];
    if (inner && typeof (inner as { code?: unknown }).code === 'string') return (inner as { code: string }).code;
  }
  return undefined;
}

export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Labels an exception thrown by fetch (or by reading the body) for the request to `what`. */
export function transportErrorFromThrow(err: unknown, what: string, state: { timedOut: boolean; aborted: boolean }): BackendTransportError {
  if (err instanceof BackendTransportError) return err;
  if (state.aborted) return new BackendTransportError(`${what}: aborted`, false, { aborted: true });
  if (state.timedOut) return new BackendTransportError(`${what}: no answer within the timeout`, false, { timedOut: true });
  const code = causeCode(err);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new BackendTransportError(`${what}: unreachable (${code})`, true, { unreachable: true });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BackendTransportError(`${what}: connection failed (${code ?? message})`, false);
}

/** Labels a non-2xx answer. `bodyText` is kept short in the message: servers may echo payloads. */
export function transportErrorFromStatus(status: number, headers: Headers, bodyText: string, what: string): BackendTransportError {
  const snippet = bodyText.length > 300 ? bodyText.slice(0, 300) + '…' : bodyText;
  const message = `${what}: HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
  if (status === 413) return new BackendTransportError(message, true, { status, tooLarge: true });
  if (status === 429 || status === 503 || status === 408) {
    const after = retryAfterMs(headers.get('retry-after'));
    return new BackendTransportError(message, true, { status, transient: true, ...(after === undefined ? {} : { retryAfterMs: after }) });
  }
  if (status >= 500) return new BackendTransportError(message, false, { status });
  return new BackendTransportError(message, true, { status, protocol: true });
}

/**
 * fetch with a timeout and an optional caller signal; returns the response or throws a labelled
 * BackendTransportError. `fetchImpl` lets the convex client hand in the global fetch it wraps.
 */
export async function fetchLabelled(
  input: string | URL | Request,
  init: RequestInit,
  options: { timeoutMs: number; signal?: AbortSignal | undefined; what: string; fetchImpl?: typeof fetch },
): Promise<{ response: Response; read(): Promise<string> }> {
  const state = { timedOut: false, aborted: false };
  const controller = new AbortController();
  const timer = setTimeout(() => {
    state.timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = (): void => {
    state.aborted = true;
    controller.abort();
  };
  const outer = options.signal ?? init.signal ?? undefined;
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  const done = (): void => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  };
  try {
    const response = await (options.fetchImpl ?? fetch)(input, { ...init, signal: controller.signal });
    return {
      response,
      // the timeout keeps running while the body streams in: a stalled body is a timeout too
      async read() {
        try {
          return await response.text();
        } catch (err) {
          throw transportErrorFromThrow(err, options.what, state);
        } finally {
          done();
        }
      },
    };
  } catch (err) {
    done();
    throw transportErrorFromThrow(err, options.what, state);
  }
}
