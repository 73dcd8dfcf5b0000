/**
 * Opens a backend by kind, the one call site replay and verify need. `local` without a URL starts
 * the reference server in-process (ephemeral port, temporary database) and closes it with the
 * backend; `local` with a URL and `http` are the same JSON-protocol client. The convex client is
 * loaded lazily so `convex` is only imported when that backend is used.
 */
import { createHttpBackend } from './http.js';
import { startLocalServer, type LocalServer } from './local/server.js';
import { DEFAULT_LIMITS } from './protocol.js';
import type { Backend } from './types.js';
import { UsageError } from '../errors.js';

export interface BackendSpec {
  kind: Backend['kind'];
  /** Required for http and convex; optional for local (omitted: embedded server). */
  url?: string;
  timeoutMs?: number;
  /** Extra request headers (http, local), e.g. authorization taken from an env var. */
  headers?: Record<string, string>;
  /** Convex: an auth token (JWT) taken from an env var or file, never argv. */
  authToken?: string;
  /** Convex function names; defaults `sync:pushOps` and `sync:changesSince`. */
  pushFunction?: string;
  pullFunction?: string;
}

/** The backend plus, for the embedded default, the server it started (its URL is worth printing). */
export interface OpenedBackend {
  backend: Backend;
  embedded?: LocalServer;
}

const LOCAL_LIMITS = { maxOpsPerPush: DEFAULT_LIMITS.maxOpsPerPush, maxBodyBytes: DEFAULT_LIMITS.maxBodyBytes };

export async function openBackend(spec: BackendSpec): Promise<OpenedBackend> {
  const common = {
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    ...(spec.headers === undefined ? {} : { headers: spec.headers }),
  };
  switch (spec.kind) {
    case 'local': {
      if (spec.url !== undefined) return { backend: createHttpBackend({ ...common, url: spec.url, kind: 'local', limits: LOCAL_LIMITS }) };
      const embedded = await startLocalServer();
      const client = createHttpBackend({ ...common, url: embedded.url, kind: 'local', limits: LOCAL_LIMITS });
      return { backend: { ...client, close: () => embedded.close() }, embedded };
    }
    case 'http':
      return { backend: createHttpBackend({ ...common, url: requireUrl(spec) }) };
    case 'convex': {
      const { createConvexBackend } = await import('./convex.js');
      return {
        backend: createConvexBackend({
          url: requireUrl(spec),
          ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
          ...(spec.authToken === undefined ? {} : { authToken: spec.authToken }),
          ...(spec.pushFunction === undefined ? {} : { pushFunction: spec.pushFunction }),
          ...(spec.pullFunction === undefined ? {} : { pullFunction: spec.pullFunction }),
        }),
      };
    }
  }
}

function requireUrl(spec: BackendSpec): string {
  // the command validates flags first; this guards programmatic callers
  if (spec.url === undefined) throw new UsageError(`--backend ${spec.kind} needs --url`, { hint: 'pass the backend URL with --url' });
  return spec.url;
}
