/**
 * Payload decoding shared by every queue shape. Queues store payloads as JSON text (SQLite) or as
 * objects (redux-persist); both end as a plain object or as a recorded error, never as a throw,
 * because a malformed payload is a lint finding, not a reason to stop reading the queue.
 */

export interface DecodedPayload {
  payload: Record<string, unknown> | null;
  payloadText: string | null;
  payloadError: string | null;
}

export function decodePayload(value: unknown): DecodedPayload {
  if (value === null || value === undefined) return { payload: null, payloadText: null, payloadError: null };
  if (typeof value === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      return { payload: null, payloadText: value, payloadError: `not valid JSON (${(err as Error).message})` };
    }
    if (parsed === null) return { payload: null, payloadText: value, payloadError: null };
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { payload: null, payloadText: value, payloadError: `not a JSON object (${Array.isArray(parsed) ? 'array' : typeof parsed})` };
    }
    return { payload: parsed as Record<string, unknown>, payloadText: value, payloadError: null };
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    return { payload: value as Record<string, unknown>, payloadText: null, payloadError: null };
  }
  return { payload: null, payloadText: null, payloadError: `payload is a ${Array.isArray(value) ? 'array' : typeof value}, not an object` };
}

/** A field of the payload under any of the given names (snake_case and camelCase spellings). */
export function payloadField(payload: Record<string, unknown> | null, ...names: string[]): unknown {
  if (!payload) return undefined;
  for (const name of names) {
    if (Object.prototype.hasOwnProperty.call(payload, name)) return payload[name];
  }
  return undefined;
}

/** Keys that poison prototype chains when a payload is merged into an object naively. */
export function findPrototypeKeys(value: unknown, path = '$', found: string[] = [], depth = 0): string[] {
  if (depth > 64 || value === null || typeof value !== 'object') return found;
  if (Array.isArray(value)) {
    value.forEach((v, i) => findPrototypeKeys(v, `${path}[${i}]`, found, depth + 1));
    return found;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') found.push(`${path}.${key}`);
    findPrototypeKeys((value as Record<string, unknown>)[key], `${path}.${key}`, found, depth + 1);
  }
  return found;
}
