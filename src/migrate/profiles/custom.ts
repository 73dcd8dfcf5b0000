/**
 * A custom profile from a JSON file, for layouts the built-in profiles do not know. It lists the
 * sources (store, table or key + array path, target collection) and, per source, the field mapping:
 * id field, renames, timestamp fields and their units, fields to drop, the legacy status field.
 * The file is validated before any store is read; a wrong file is a usage error that says where.
 *
 *   { "name": "notes-app",
 *     "sources": [
 *       { "kind": "sqlite", "store": "SQLite/app.db", "table": "notes", "collection": "text_notes",
 *         "mapping": { "id": "uuid", "updatedAt": "modified", "timestamps": { "modified": "s" } } },
 *       { "kind": "mmkv", "store": "mmkv/mmkv.default", "key": "notes-store", "path": "state.notes",
 *         "collection": "text_notes", "mapping": { "id": "id", "updatedAt": "updatedAt" } } ] }
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import type { TimeUnit } from '../types.js';
import { emptyBuild, type ProfileDefinition } from './fingerprint.js';
import type { SourceSpec } from './sources.js';

const KINDS = new Set(['sqlite', 'mmkv', 'asyncstorage', 'convex']);
const UNITS = new Set<TimeUnit>(['auto', 's', 'ms', 'us', 'iso']);

interface CustomFile {
  name?: string;
  sources: SourceSpec[];
  aliases?: Record<string, string>;
  statusFromQueue?: string[];
}

export function loadCustomProfile(path: string): ProfileDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the profile file (${err instanceof Error ? err.message : String(err)})`, {
      code: 'E_PROFILE_CONFIG',
      subject: path,
      hint: 'pass --profile <file.json> with a JSON profile (see README, section migrate)',
    });
  }
  const file = validate(parsed, path);
  return {
    name: file.name ?? 'custom',
    description: `custom profile from ${path}`,
    detect: () => [`declared in ${path}`],
    build() {
      const b = emptyBuild();
      b.specs = file.sources;
      b.aliases = file.aliases ?? {};
      b.statusFromQueue = file.statusFromQueue ?? [];
      return b;
    },
  };
}

function validate(v: unknown, path: string): CustomFile {
  const bad = (where: string, what: string): never => {
    throw new UsageError(`invalid profile file: ${where}: ${what}`, { code: 'E_PROFILE_CONFIG', subject: path, hint: 'fix the profile file (see README, section migrate)' });
  };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('$', 'not a JSON object');
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o['sources']) || o['sources'].length === 0) return bad('$.sources', 'must be a non-empty array');
  (o['sources'] as unknown[]).forEach((s, i) => {
    const at = `$.sources[${i}]`;
    if (s === null || typeof s !== 'object') return bad(at, 'not an object');
    const src = s as Record<string, unknown>;
    if (!KINDS.has(String(src['kind']))) return bad(`${at}.kind`, 'must be sqlite, mmkv, asyncstorage or convex');
    if (typeof src['collection'] !== 'string' || !/^[a-z][a-z0-9_]*$/.test(src['collection'])) return bad(`${at}.collection`, 'must be a snake_case name');
    if (src['kind'] !== 'convex' && typeof src['store'] !== 'string') return bad(`${at}.store`, 'must name a store path inside the snapshot');
    if ((src['kind'] === 'sqlite' || src['kind'] === 'convex') && typeof src['table'] !== 'string') return bad(`${at}.table`, 'must be a table name');
    if ((src['kind'] === 'mmkv' || src['kind'] === 'asyncstorage') && (typeof src['key'] !== 'string' || typeof src['path'] !== 'string')) {
      return bad(`${at}`, 'needs "key" and "path" (dotted path of the array in the decoded value)');
    }
    const m = src['mapping'] as Record<string, unknown> | undefined;
    if (m === undefined || m === null || typeof m !== 'object' || typeof m['id'] !== 'string') return bad(`${at}.mapping.id`, 'must name the id field');
    const ts = m['timestamps'];
    if (ts !== undefined) {
      if (ts === null || typeof ts !== 'object') return bad(`${at}.mapping.timestamps`, 'must be an object field → unit');
      for (const [f, u] of Object.entries(ts)) if (!UNITS.has(u as TimeUnit)) bad(`${at}.mapping.timestamps.${f}`, 'unit must be auto, s, ms, us or iso');
    }
    return undefined;
  });
  return o as unknown as CustomFile;
}
