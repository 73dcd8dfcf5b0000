/**
 * The text trace of a run: one line per history event, in virtual time, with writes spelled out
 * and violations listed at the end. A pure function of the history and the check report; it is
 * what a failure prints and what JUnit carries.
 */
import { CHECKER_NAMES, type CheckReport } from './checkers.js';
import type { History, HistoryEvent } from './history.js';

function describe(h: History, ev: HistoryEvent): string | null {
  const w = (id: number): string => (id < 0 ? '∅' : `w${id}`);
  switch (ev.e) {
    case 'write': {
      const wr = h.writes[ev.w]!;
      return `${wr.origin}: write ${w(ev.w)} ${wr.kind} ${wr.key}${wr.kind === 'delete' ? '' : ' ' + JSON.stringify(wr.fields)}`;
    }
    case 'skip':
      return `${ev.at}: skipped ${ev.op} ${ev.key} (${ev.why})`;
    case 'set':
      return `${ev.at}: ${ev.key}.${ev.f} ${w(ev.from)} → ${w(ev.to)}`;
    case 'send':
      // empty pull round-trips are the sync loop idling: shown only when something goes wrong
      if (ev.drop === undefined && (ev.kind === 'pull' || (ev.kind === 'pull-resp' && ev.n === 0))) return null;
      return `${ev.from} → ${ev.to}: ${ev.kind} #${ev.m} (${ev.n})${ev.drop ? ` DROPPED (${ev.drop})` : (ev.arrive?.length ?? 0) > 1 ? ' DUPLICATED' : ''}`;
    case 'lost':
      return `${ev.at}: message #${ev.m} lost (${ev.why})`;
    case 'timeout':
      return `${ev.at}: no response, will retry`;
    case 'crash':
      return `${ev.at}: CRASH (memory lost, store and outbox kept)`;
    case 'restart':
      return `${ev.at}: restart`;
    case 'conflict':
      return `server: conflict detected on ${ev.key} (write ${w(ev.op)})`;
    case 'dup':
      return `server: create ${w(ev.w)} applied again as new record ${ev.key} (duplicate of ${ev.of})`;
    case 'dead':
      return `${ev.at}: op ${w(ev.op)} dead-lettered`;
    case 'dropped-op':
      return `${ev.at}: server dropped the change of ${w(ev.w)} (${ev.status})`;
    case 'heal':
      return '--- heal: network perfect, every device up ---';
  }
}

export function renderTrace(h: History, report: CheckReport, maxLines = 400): string {
  const lines: string[] = [];
  let omitted = 0;
  for (const ev of h.events) {
    const text = describe(h, ev);
    if (text === null) continue;
    if (lines.length >= maxLines) {
      omitted++;
      continue;
    }
    lines.push(`${String(ev.t).padStart(7)}ms  ${text}`);
  }
  if (omitted > 0) lines.push(`… ${omitted} more event(s)`);
  lines.push(`${String(h.end.t).padStart(7)}ms  end: ${h.end.quiesced ? 'drained and caught up' : 'heal budget ran out'}`);
  for (const name of CHECKER_NAMES) {
    for (const v of report[name].violations) lines.push(`  ${v.declared ? 'declared' : 'VIOLATION'} ${name}: ${v.message}`);
  }
  return lines.join('\n') + '\n';
}
