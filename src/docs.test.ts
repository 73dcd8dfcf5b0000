// The docs test: README must document every command registered in program.ts, every exit code in
// src/errors.ts, and every finding code of every src/**/finding-codes.ts (with its severity), so
// nothing ships undocumented. Codes listed in README but defined nowhere, and finding codes used in
// src without a registry entry, are flagged too.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './cli/program.js';
import { EXIT_CODE_DOCS } from './errors.js';
import { REPO_ROOT } from './test-support/cli.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
type Codes = Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }>;

function findingCodeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? findingCodeFiles(join(dir, d.name)) : d.name === 'finding-codes.ts' ? [join(dir, d.name)] : [],
  );
}

async function allFindingCodes(): Promise<Array<{ file: string; code: string; severity: string }>> {
  const out: Array<{ file: string; code: string; severity: string }> = [];
  for (const file of findingCodeFiles(join(REPO_ROOT, 'src'))) {
    const mod = (await import(pathToFileURL(file).href)) as { FINDING_CODES?: Codes };
    expect(mod.FINDING_CODES, `${relative(REPO_ROOT, file)} exports FINDING_CODES`).toBeDefined();
    for (const [code, def] of Object.entries(mod.FINDING_CODES ?? {}))
      out.push({ file: relative(REPO_ROOT, file), code, severity: def.severity });
  }
  return out;
}

/** Rows of README's finding-code table: `| CODE | severity | meaning |`. */
function readmeFindingRows(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of README.matchAll(/^\|\s*`?([A-Z][A-Z0-9_]+)`?\s*\|\s*(error|warn|info)\s*\|/gm)) rows.set(m[1] as string, m[2] as string);
  return rows;
}

describe('README documents', () => {
  it('every registered command and subcommand, with an example', async () => {
    const names = (await buildProgram()).commands.flatMap((c) => [c.name(), ...c.commands.map((sub) => `${c.name()} ${sub.name()}`)]);
    expect(names.length).toBeGreaterThan(0);
    const missing = names.filter((n) => !new RegExp(`syncdoc ${n}\\b`).test(README));
    expect(missing).toEqual([]);
  });

  it('every exit code', () => {
    const missing = EXIT_CODE_DOCS.filter((e) => !new RegExp(`^\\|\\s*${e.code}\\s*\\|`, 'm').test(README)).map((e) => e.code);
    expect(missing).toEqual([]);
  });

  it('every finding code, with its severity', async () => {
    const codes = await allFindingCodes();
    expect(codes.length).toBeGreaterThan(0);
    const rows = readmeFindingRows();
    const problems = codes
      .filter((c) => rows.get(c.code) !== c.severity)
      .map((c) => `${c.code} (${c.file}): README ${rows.has(c.code) ? `says ${rows.get(c.code)}, code says ${c.severity}` : 'has no row'}`);
    expect(problems).toEqual([]);
  });

  it('no finding code that no finding-codes.ts defines', async () => {
    const defined = new Set((await allFindingCodes()).map((c) => c.code));
    expect([...readmeFindingRows().keys()].filter((c) => !defined.has(c))).toEqual([]);
  });

  it('every finding code written as a literal in src is defined in a finding-codes.ts', async () => {
    const defined = new Set((await allFindingCodes()).map((c) => c.code));
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') ? [join(dir, d.name)] : [],
      );
    const undefinedCodes = new Set<string>();
    for (const file of sources(join(REPO_ROOT, 'src'))) {
      // error codes (E_…) belong to exceptions, not findings
      for (const m of readFileSync(file, 'utf8').matchAll(/code: '([A-Z][A-Z0-9_]+)'/g)) {
        const code = m[1] as string;
        if (!code.startsWith('E_') && !defined.has(code)) undefinedCodes.add(`${code} (${relative(REPO_ROOT, file)})`);
      }
    }
    expect([...undefinedCodes]).toEqual([]);
  });

  it('no finding code defined twice with different meanings', async () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const c of await allFindingCodes()) {
      const prev = seen.get(c.code);
      if (prev !== undefined && prev !== c.file) clashes.push(`${c.code}: ${prev} and ${c.file}`);
      seen.set(c.code, c.file);
    }
    expect(clashes).toEqual([]);
  });
});
