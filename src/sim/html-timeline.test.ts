// The HTML timeline is rendered by a real browser (Debian's headless chromium; .ci/run installs it)
// and the rendered DOM — after the page's own script ran — must show a lane per device, web client
// and the server, message arrows, and the violation marked on its lane.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runCli, scratchDir } from '../test-support/cli.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? 'chromium';

function dumpDom(file: string): string {
  // headless chromium now and then fails to start on a loaded machine: one retry for a process
  // failure (never for an assertion), and the second error is the one reported
  try {
    return dumpDomOnce(file);
  } catch {
    return dumpDomOnce(file);
  }
}

function dumpDomOnce(file: string): string {
  const profile = scratchDir('syncdoc-chromium-');
  return execFileSync(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(file).href],
    { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

describe('HTML timeline in headless Chromium', () => {
  it('shows every device lane, the web client, the server, arrows and the violation', async () => {
    const dir = scratchDir();
    const html = join(dir, 'timeline.html');
    const r = await runCli(['simulate', join(FIXTURES, 'scenarios', 'standard.json'), '--algorithm', 'vector-clock', '--seed', '3', '--html', html], { timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(1);
    const source = readFileSync(html, 'utf8');
    // self-contained: no external resource of any kind
    expect(source).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(source).not.toMatch(/<link\b/i);
    // lanes are drawn by the page's script, so they exist only if it ran in the browser
    expect(source).not.toContain('class="lane"');

    const dom = dumpDom(html);
    expect(dom).toContain('data-rendered="true"');
    const lanes = [...dom.matchAll(/<g class="lane" data-lane="([^"]+)" data-kind="([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(lanes).toEqual([['server', 'server'], ['phone', 'device'], ['tablet', 'device'], ['laptop', 'device'], ['web', 'web']]);
    expect(dom).toMatch(/<line [^>]*class="message"/);
    const violations = [...dom.matchAll(/<g class="violation( declared)?" data-checker="([^"]+)" data-lane="([^"]+)"/g)];
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.some((m) => m[1] === undefined)).toBe(true); // an undeclared one, in red
    for (const m of violations) expect(['server', 'phone', 'tablet', 'laptop']).toContain(m[3]);
    expect(dom).toMatch(/VIOLATION (no-lost-write|causality|convergence)/);
    expect(dom).toContain('Reproduce: <code>syncdoc simulate');
  }, 180_000);

  it('renders a page for a sweep without failures too', async () => {
    const dir = scratchDir();
    const html = join(dir, 'ok.html');
    const r = await runCli(['simulate', join(FIXTURES, 'scenarios', 'field-merge-disjoint-edits.json'), '--algorithm', 'hlc-lww', '--seeds', '1..2', '--html', html]);
    expect(r.code).toBe(0);
    const dom = dumpDom(html);
    expect(dom).toContain('No failing runs.');
  }, 180_000);
});
