/**
 * JUnit XML for CI systems: a testsuite per (scenario, algorithm), a testcase per seed. A failing
 * run carries its first violation and the command that reproduces it (in the failure message, so
 * CI summaries show it), plus the shrunk trace when one was made. Inconclusive runs are errors.
 */
import type { FailureDetail, RunRecord } from './run-job.js';

function xml(s: string): string {
  return s
    // XML 1.0 forbids most control characters even as entities
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderJunit(runs: readonly RunRecord[], failures: readonly FailureDetail[]): string {
  const detail = new Map(failures.map((f) => [`${f.scenario}\u0000${f.algorithm}\u0000${f.seed}`, f]));
  const suites: Array<{ name: string; runs: RunRecord[] }> = [];
  for (const r of runs) {
    const name = `${r.scenario} · ${r.algorithm}`;
    const last = suites[suites.length - 1];
    if (last !== undefined && last.name === name) last.runs.push(r);
    else suites.push({ name, runs: [r] });
  }
  const count = (rs: readonly RunRecord[], v: RunRecord['verdict']): number => rs.filter((r) => r.verdict === v).length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="syncdoc simulate" tests="${runs.length}" failures="${count(runs, 'fail')}" errors="${count(runs, 'unknown')}">`);
  for (const s of suites) {
    out.push(`  <testsuite name="${xml(s.name)}" tests="${s.runs.length}" failures="${count(s.runs, 'fail')}" errors="${count(s.runs, 'unknown')}" skipped="0">`);
    for (const r of s.runs) {
      const open = `    <testcase classname="${xml(`simulate.${r.scenario}.${r.algorithm}`)}" name="${xml(`${r.algorithm} seed ${r.seed}`)}" time="0"`;
      if (r.verdict === 'pass') {
        out.push(open + '/>');
        continue;
      }
      out.push(open + '>');
      const checkers = Object.entries(r.checkers).map(([k, v]) => `${k}=${v}`).join(' ');
      if (r.verdict === 'fail') {
        const d = detail.get(`${r.scenario}\u0000${r.algorithm}\u0000${r.seed}`);
        const message = `${r.firstViolation ?? 'checker violation'} — reproduce: ${r.reproduce ?? ''}`;
        const body = [`reproduce: ${r.reproduce ?? ''}`, `checkers: ${checkers}`];
        if (d !== undefined) {
          for (const v of d.violations) body.push(`${v.declared ? 'declared' : 'violation'} ${v.checker}: ${v.message}`);
          if (d.shrunk !== null) body.push(`shrunk to ${d.shrunk.size} of ${d.shrunk.originalSize} ops and faults:`, JSON.stringify({ ops: d.shrunk.ops, faults: d.shrunk.faults }));
          body.push('trace:', d.trace);
        }
        out.push(`      <failure type="checker-violation" message="${xml(message)}">${xml(body.join('\n'))}</failure>`);
      } else {
        out.push(`      <error type="inconclusive" message="${xml(`inconclusive (heal budget ran out): ${checkers}`)}"/>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
