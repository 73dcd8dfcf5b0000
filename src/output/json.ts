/**
 * JSON rendering shared by every command's `--json`: one document, `schemaVersion` first,
 * 64-bit integers (BigInt) as decimal strings, `undefined` fields dropped.
 */

export const SCHEMA_VERSION = 1;

export function renderJson(report: object): string {
  const doc = { schemaVersion: SCHEMA_VERSION, ...report };
  return JSON.stringify(doc, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2) + '\n';
}
