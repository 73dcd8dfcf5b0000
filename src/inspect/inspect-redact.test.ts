// `inspect --redact --json` over every fixture: none of the fixture's free-text values (notes, titles,
// bodies, names, error messages, and the same fields inside JSON payloads, all taken from its
// truth.json) may appear in the output. A control run without --redact shows the check can fail.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runCli } from '../test-support/cli.js';

const SNAPSHOTS = join(FIXTURES, 'snapshots');
const FREE_TEXT_KEY =
  /^(text|title|body|note|notes|name|description|transcript|content|author|last_error|lastError|message|answers|caption)$/i;

/** Every string under a free-text key in a truth document, looking inside JSON strings too. */
function freeTextValues(doc: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, key: string | undefined): void => {
    if (typeof v === 'string') {
      const t = v.trimStart();
      if (t.startsWith('{') || t.startsWith('[')) {
        try {
          visit(JSON.parse(v), key);
          return;
        } catch {
          // not JSON: plain text
        }
      }
      if (key !== undefined && FREE_TEXT_KEY.test(key) && v.trim().length >= 4) out.add(v);
    } else if (Array.isArray(v)) {
      for (const item of v) visit(item, key);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) visit(item, k);
    }
  };
  visit(doc, undefined);
  return out;
}

const fixtures = readdirSync(SNAPSHOTS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe('inspect --redact --json leaks no free text', () => {
  it.each(fixtures)('%s', async (name) => {
    const secrets = freeTextValues(JSON.parse(readFileSync(join(SNAPSHOTS, name, 'truth.json'), 'utf8')));
    expect(secrets.size).toBeGreaterThan(0);
    const res = await runCli(['inspect', join(SNAPSHOTS, name), '--redact', '--json']);
    expect([0, 1]).toContain(res.code);
    const leaked = [...secrets].filter((s) => res.stdout.includes(s) || res.stdout.includes(JSON.stringify(s).slice(1, -1)));
    expect(leaked).toEqual([]);
  });

  it('control: without --redact the WAL-only changes show the task text', async () => {
    const res = await runCli(['inspect', join(SNAPSHOTS, 'drizzle-expo-wal'), '--json']);
    expect(res.stdout, res.stderr).toContain('Water chapter book plants (updated)');
    const redacted = await runCli(['inspect', join(SNAPSHOTS, 'drizzle-expo-wal'), '--json', '--redact']);
    expect(redacted.stdout).toContain('‹text-');
  });
});
