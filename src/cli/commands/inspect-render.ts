/**
 * Human rendering of the inspect report: a header, one block per store (tables, statuses, queues,
 * WAL), then findings and the verdict. Everything shown comes from the report object that `--json`
 * prints, so the two cannot disagree. Long key lists are shortened here only; JSON has them all.
 */
import type { ChalkInstance } from 'chalk';
import { formatAge } from '../../outbox/list.js';
import type { InspectReport, SqliteReport, StoreReport } from '../../inspect/report.js';
import type { KeyValueStoreSummary } from '../../inspect/cross-layer.js';
import { renderFindings, renderTable } from '../../output/style.js';

const KEYS_SHOWN = 5;

export function renderInspectText(report: InspectReport, style: ChalkInstance): string {
  const out: string[] = [];
  out.push(`${style.bold('snapshot')}  ${report.snapshot.input} (${report.snapshot.container})`);
  out.push(
    `${style.bold('newest timestamp')}  ${report.newestTimestamp ? `${report.newestTimestamp.iso} (${report.newestTimestamp.source})` : 'none found'}`,
  );
  out.push('');
  out.push(
    renderTable(
      ['kind', 'path', 'bytes', 'sha256', 'companions', 'flavours'],
      report.stores.map((s) => [
        s.kind,
        s.path,
        s.sizeBytes,
        s.sha256.slice(0, 12),
        s.companions.join(', '),
        s.flavours.map((f) => f.flavour).join(', '),
      ]),
    ),
  );
  for (const store of report.stores) {
    if (store.sqlite) out.push('', ...renderSqlite(store, store.sqlite, style));
    if (store.queues.length > 0) out.push(store.sqlite ? '' : `\n${style.bold(`== ${store.path}`)}`, renderQueues(store));
    if (store.keyValue) out.push('', renderKeyValueSummary(store.keyValue, style));
  }
  out.push('', style.bold('findings'), renderFindings(report.findings, style).trimEnd());
  out.push('', `verdict: ${report.verdict === 'ok' ? style.green('ok') : style.red('problems')}`);
  return out.join('\n') + '\n';
}

function renderSqlite(store: StoreReport, db: SqliteReport, style: ChalkInstance): string[] {
  const out: string[] = [];
  out.push(
    style.bold(`== ${store.path}`) +
      `  user_version ${db.userVersion}, journal ${db.journalMode}${db.headerSaysWal ? ' (header: WAL)' : ''}, page ${db.pageSize} × ${db.pageCount}, quick_check ${db.quickCheck.join('; ')}`,
  );
  for (const f of store.flavours) out.push(`flavour ${style.bold(f.flavour)}: ${f.evidence.join('; ')}`);
  out.push(
    renderTable(
      ['table', 'rows', 'primary key', 'indexes'],
      db.tables.map((t) => [t.name, t.rowCount ?? '?', t.primaryKey.join(', '), t.indexes.length]),
    ),
  );
  if (db.statusDistributions.length > 0) {
    out.push(
      renderTable(
        ['table.column', 'values'],
        db.statusDistributions.map((d) => [
          `${d.table}.${d.column}`,
          Object.entries(d.counts)
            .map(([v, n]) => `${v} ${n}`)
            .join(', '),
        ]),
      ),
    );
  }
  if (db.wal) {
    const w = db.wal;
    out.push(
      `wal: ${w.sizeBytes} bytes, ${w.validFrames}/${w.framesInFile} valid frames, ${w.commitFrames} commits, ${w.framesAfterLastCommit} uncommitted, checkpoint #${w.checkpointSequence}`,
    );
  }
  if (db.walOnlyRows && db.walOnlyRows.length > 0) {
    out.push(
      renderTable(
        ['rows only in the WAL', 'key', 'inserted', 'updated', 'deleted'],
        db.walOnlyRows.map((d) => [
          d.table + (d.tableOnlyIn ? ` (table only in ${d.tableOnlyIn})` : ''),
          d.keyColumns.join(', '),
          keyList(d.insertedCount, d.inserted),
          keyList(
            d.updatedCount,
            d.updated.map((u) => u.key),
          ),
          keyList(d.deletedCount, d.deleted),
        ]),
      ),
    );
  }
  return out;
}

function renderQueues(store: StoreReport): string {
  return renderTable(
    ['queue', 'total', 'waiting', 'by status', 'failed', 'oldest waiting op', 'age'],
    store.queues.map((q) => {
      const op = q.oldestPending;
      return [
        q.queue,
        q.total,
        q.depth,
        Object.entries(q.byStatus)
          .map(([s, n]) => `${s} ${n}`)
          .join(', '),
        q.failed,
        op
          ? [op.id, op.operation, op.collection, op.createdAtMs === null ? null : new Date(op.createdAtMs).toISOString()]
              .filter((v) => v !== null)
              .join(' ')
          : '',
        op?.ageMs != null ? formatAge(op.ageMs) : '',
      ];
    }),
  );
}

function keyList(count: number, keys: unknown[]): string {
  if (count === 0) return '0';
  const shown = keys.slice(0, KEYS_SHOWN).map((k) => (typeof k === 'string' ? k : JSON.stringify(k)));
  return `${count}: ${shown.join('\n')}${count > shown.length ? `\n… ${count - shown.length} more (--json lists them)` : ''}`;
}

/** One MMKV/AsyncStorage store as `inspect` shows it: keys, integrity, decoded collections. */
function renderKeyValueSummary(kv: KeyValueStoreSummary, style: ChalkInstance): string {
  const integrity = kv.integrity
    ? ` · ${kv.integrity.status}${kv.integrity.onLoad.action === 'load' ? '' : ` (MMKV would ${kv.integrity.onLoad.action === 'discard' ? 'discard the store' : `roll back: ${kv.integrity.onLoad.keys} keys survive`})`}`
    : '';
  const head = `${style.bold(`== ${kv.store}`)}  ${kv.kind}${kv.encrypted ? ' (encrypted)' : ''} · ${kv.keys} key(s)${kv.removedKeys ? `, ${kv.removedKeys} removed` : ''}${integrity}${kv.error ? ` · ${style.red(kv.error)}` : ''}`;
  if (kv.collections.length === 0) return head;
  return (
    head +
    '\n' +
    renderTable(
      ['collection', 'from key', 'shape', 'records'],
      kv.collections.map((c) => [c.name, c.key, c.envelope, c.records]),
    )
  );
}
