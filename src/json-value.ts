/** Shape checks for decoded JSON, shared by the readers, the outbox and the backends. */

/** A JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
