// Determinism lint for src/sim. The rule set, and why each rule is there:
// - wall clocks (Date, performance, process.hrtime/uptime) and wall-clock timers (setTimeout,
//   setInterval, setImmediate): results must depend on virtual time only;
// - ambient randomness (Math.random, crypto random*, getRandomValues): every draw comes from the
//   seeded Rng;
// - the environment (process.env/platform/arch, node:os, Intl, localeCompare, toLocale*String):
//   a report must not change with the machine, locale or ICU version;
// - GC-dependent objects (WeakRef, FinalizationRegistry): their behaviour depends on collection timing;
// - `for … in`: walks inherited enumerable properties too, so a polluted prototype changes results.
// Iterating a Map, a Set or Object.keys is allowed on purpose: ECMAScript fixes their order (insertion
// order; integer-like object keys first, ascending), so it is deterministic whenever insertion is —
// and insertion order is a function of the seed here. The one input whose order is NOT deterministic
// is worker-thread message arrival; sweep.ts places results by job index, and the CLI test that
// compares --workers 1 and 2 byte for byte is what guards it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test-support/cli.js';

// `raw` rules look at the source line as written (module specifiers are strings, blanked otherwise)
const RULES: Array<{ name: string; re: RegExp; raw?: boolean }> = [
  { name: 'wall clock (Date)', re: /\bDate\b/ },
  { name: 'wall clock (performance)', re: /\bperformance\b/ },
  { name: 'wall clock (process.hrtime/uptime)', re: /\bprocess\.(hrtime|uptime)\b/ },
  { name: 'wall-clock timer', re: /\b(setTimeout|setInterval|setImmediate)\b/ },
  { name: 'ambient randomness (Math.random)', re: /\bMath\.random\b/ },
  { name: 'ambient randomness (crypto)', re: /\b(randomUUID|randomBytes|randomInt|randomFill\w*|getRandomValues)\b/ },
  { name: 'environment (process.env/platform/arch)', re: /\bprocess\.(env|platform|arch)\b/ },
  { name: 'environment (node:os)', re: /^\s*(import|export)\b.*\bfrom\s+['"](node:)?os['"]|\bimport\(\s*['"](node:)?os['"]/, raw: true },
  { name: 'locale-dependent', re: /\b(Intl|localeCompare|toLocale\w*String)\b/ },
  { name: 'GC-dependent', re: /\b(WeakRef|FinalizationRegistry)\b/ },
  { name: 'for…in', re: /\bfor\s*\(\s*(const|let|var)?\s*[\w$]+\s+in\s/ },
];

/** Blanks out comments and string/template literals (keeping line breaks) so only code is scanned. */
export function codeOnly(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      i += 2;
      while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) out += src[i++] === '\n' ? '\n' : '';
      i += 2;
    } else if (c === "'" || c === '"' || c === '`') {
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') i++;
        else if (src[i] === '\n') out += '\n';
        i++;
      }
      i++;
      out += '""';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function scan(src: string): Array<{ line: number; rule: string; text: string }> {
  const hits: Array<{ line: number; rule: string; text: string }> = [];
  const raw = src.split('\n');
  codeOnly(src).split('\n').forEach((text, idx) => {
    for (const r of RULES) {
      const line = r.raw ? (raw[idx] ?? '') : text;
      if (r.re.test(line)) hits.push({ line: idx + 1, rule: r.name, text: line.trim() });
    }
  });
  return hits;
}

function simSources(): string[] {
  const root = join(REPO_ROOT, 'src', 'sim');
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
    }
  };
  walk(root);
  return out;
}

describe('determinism lint (src/sim)', () => {
  it('catches every rule on known-bad code (the scanner itself can fail)', () => {
    const bad = [
      'const t = Date.now();',
      'const d = new Date();',
      'performance.now()',
      'process.hrtime.bigint()',
      'setTimeout(f, 1)',
      'Math.random()',
      "import { randomUUID } from 'node:crypto'",
      'process.env.SEED',
      "import os from 'node:os'",
      'a.localeCompare(b)',
      'new WeakRef(x)',
      'for (const k in obj) {}',
    ];
    for (const line of bad) expect(scan(line), line).not.toEqual([]);
    // …and ignores the same words in comments and strings
    expect(scan('// Date.now() is banned\nconst s = "Math.random()"; /* for (k in o) */')).toEqual([]);
  });

  it('finds no forbidden API in the simulator sources', () => {
    const files = simSources();
    expect(files.length).toBeGreaterThan(10);
    const hits = files.flatMap((f) => scan(readFileSync(f, 'utf8')).map((h) => `${relative(REPO_ROOT, f)}:${h.line} ${h.rule}: ${h.text}`));
    expect(hits).toEqual([]);
  });
});
