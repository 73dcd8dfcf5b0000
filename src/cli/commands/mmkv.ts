// `syncdoc mmkv <file|dir>`: decode MMKV instances (plain or encrypted), explain damage, list keys.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { action, writeOut } from '../runtime.js';
import type { MmkvDecodeOptions } from '../../readers/mmkv.js';
import type { MmkvInstanceReport, MmkvReport } from '../../readers/mmkv-report.js';
import type { MmkvValueType } from '../../readers/values.js';

interface MmkvOptions {
  keyEnv?: string;
  keyFile?: string;
  aes?: string;
  history?: boolean;
  as: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('mmkv')
    .description('decode MMKV files (plain or AES-encrypted): meta, integrity, keys, history, damage and what MMKV would do on load')
    .argument('<file|dir>', 'an MMKV data file (beside its .crc), or a folder/archive holding instances')
    .option('--key-env <VAR>', 'read the encryption key from this environment variable')
    .option('--key-file <FILE>', 'read the encryption key from this file (one trailing newline is ignored)')
    .option('--aes <bits>', 'AES key size, 128 or 256 (default: try both)')
    .option('--history', 'list every physical item per key in file order (stale values, deletions)')
    .option('--as <KEY=TYPE>', 'decode KEY as TYPE (bool, int32, uint32, int64, uint64, float, double, string, bytes, *_vector); repeatable', collect, [])
    .action(
      action<[string], MmkvOptions>(async ([input], opts, globals) => {
        // Validate every flag before touching a file.
        const decode = await parseMmkvOptions(opts, process.env);
        // The input first: its module starts reading a data file before it loads the decoder.
        const { readMmkvInput } = await import('../../readers/mmkv-input.js');
        const result = await readMmkvInput(input, { ...decode, nowMs: Date.now() });
        const { buildMmkvReport } = await import('../../readers/mmkv-report.js');
        const { redactorFor } = await import('../../privacy/redact.js');
        const report = buildMmkvReport(result.mode, result.instances, result.findings, redactorFor(globals.redact));
        await render(report, globals);
        return report.verdict === 'ok' ? ExitCode.ok : ExitCode.problems;
      }),
    );
}

async function render(report: MmkvReport, globals: GlobalOptions): Promise<void> {
  if (globals.json) {
    const { SCHEMA_VERSION } = await import('../../output/json.js');
    const { writeJsonStream } = await import('../../output/json-stream.js');
    const { mmkvEntriesJson } = await import('../../readers/mmkv.js');
    // Each instance's members in order, its entries as a source that writes them from the file's
    // bytes (a spread would make all 200k entry objects first).
    const asJson = (inst: MmkvInstanceReport): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(inst)) out[k] = k === 'entries' ? (mmkvEntriesJson(inst) ?? inst.entries) : inst[k as keyof MmkvInstanceReport];
      return out;
    };
    const single = report.mode === 'file' && report.instances.length === 1 ? report.instances[0] : undefined;
    const doc = { schemaVersion: SCHEMA_VERSION, ...(single === undefined ? { verdict: report.verdict, instances: report.instances.map(asJson), findings: report.findings } : asJson(single)) };
    // renderJson's bytes, streamed: a 200k-key instance is ~120 MB of JSON, never one string.
    // rawHex (hex, or the redaction placeholder) is half the bytes and never needs escaping.
    await writeJsonStream(doc, undefined, new Set(['rawHex']));
    return;
  }
  await writeOut(await renderHuman(report, globals));
}

/** --key-env/--key-file/--aes/--as → decoder options; every problem is a usage error (exit 2). */
export async function parseMmkvOptions(opts: MmkvOptions, env: NodeJS.ProcessEnv): Promise<MmkvDecodeOptions> {
  const { UsageError } = await import('../../errors.js');
  const { isMmkvValueType, MMKV_VALUE_TYPES } = await import('../../readers/values.js');
  const out: MmkvDecodeOptions = {};
  if (opts.keyEnv !== undefined && opts.keyFile !== undefined) {
    throw new UsageError('--key-env and --key-file are exclusive', { hint: 'give the key one way' });
  }
  if (opts.keyEnv !== undefined) {
    const value = env[opts.keyEnv];
    if (value === undefined || value === '') {
      throw new UsageError(`--key-env names an environment variable that is ${value === undefined ? 'not set' : 'empty'}`, {
        subject: opts.keyEnv,
        hint: `export ${opts.keyEnv}=<key> first (keys are never taken from the command line)`,
      });
    }
    out.key = value;
  }
  if (opts.keyFile !== undefined) {
    const { readFileSync } = await import('node:fs');
    let raw: Buffer;
    try {
      raw = readFileSync(opts.keyFile);
    } catch (err) {
      throw new UsageError(`cannot read --key-file (${err instanceof Error ? err.message : String(err)})`, { subject: opts.keyFile, hint: 'pass a readable file holding the key' });
    }
    // `echo key > file` adds a newline the app's key never had.
    let end = raw.length;
    if (raw[end - 1] === 0x0a) end--;
    if (raw[end - 1] === 0x0d) end--;
    if (end === 0) throw new UsageError('--key-file is empty', { subject: opts.keyFile, hint: 'put the key in the file' });
    out.key = raw.subarray(0, end);
  }
  if (opts.aes !== undefined) {
    if (opts.aes !== '128' && opts.aes !== '256') throw new UsageError(`--aes must be 128 or 256, not "${opts.aes}"`);
    out.aesBits = opts.aes === '128' ? 128 : 256;
  }
  if (opts.history === true) out.history = true;
  const as: Record<string, MmkvValueType> = {};
  for (const spec of opts.as) {
    const eq = spec.lastIndexOf('=');
    const key = spec.slice(0, eq);
    const type = spec.slice(eq + 1);
    if (eq <= 0 || !isMmkvValueType(type)) {
      throw new UsageError(`--as expects KEY=TYPE, got "${spec}"`, { hint: `TYPE is one of ${MMKV_VALUE_TYPES.join(', ')}` });
    }
    as[key] = type;
  }
  if (opts.as.length > 0) out.as = as;
  return out;
}

const PREVIEW_CHARS = 60;

function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? value.toString() : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const flat = (text ?? '').replace(/\s+/g, ' ');
  return flat.length > PREVIEW_CHARS ? flat.slice(0, PREVIEW_CHARS - 1) + '…' : flat;
}

function expiry(expireAt: number | null): string {
  if (expireAt === null) return '';
  return expireAt === 0 ? 'never' : new Date(expireAt * 1000).toISOString();
}

async function renderHuman(report: MmkvReport, globals: GlobalOptions): Promise<string> {
  const { createStyle, renderFindings, renderTable } = await import('../../output/style.js');
  const style = createStyle(globals);
  const parts: string[] = [];
  for (const inst of report.instances) {
    const m = inst.meta;
    const i = inst.integrity;
    parts.push(style.bold(`${inst.store ?? inst.name}`) + `  ${inst.verdict === 'ok' ? style.green('ok') : style.red('damaged')}`);
    parts.push(
      `meta: version ${m.version} · sequence ${m.sequence} · actual size ${m.actualSize} (${m.sizeSource}) · last confirmed ${m.lastConfirmedActualSize} · ` +
        `file ${m.dataFileSize} bytes · header ${m.dataFileHeader} · flags ${m.flags}${m.keyExpiration ? ' (key expiration)' : ''}` +
        `${m.encrypted ? ` · AES-${m.aesBits} iv ${m.ivHex}` : ''}${m.crcFile ? '' : ' · no .crc'}`,
    );
    if (m.writerHint !== null) parts.push(`writer: ${m.writerHint}`);
    const crc = i.crcOk === null ? 'no .crc to check' : i.crcOk ? `CRC ok (${hex32(m.crcComputed)})` : `CRC MISMATCH (computed ${hex32(m.crcComputed)}, stored ${hex32(m.crcDigest)})`;
    const load =
      i.onLoad.action === 'load'
        ? 'MMKV loads every key'
        : i.onLoad.action === 'roll-back'
          ? `MMKV would roll back to ${i.onLoad.sizeBytes} bytes (${i.onLoad.keys} keys survive)`
          : 'MMKV would discard the store';
    parts.push(`integrity: ${i.status} · ${crc} · ${i.parsedBytes}/${i.regionBytes} bytes parsed${i.stoppedAt === null ? '' : ` · stopped at offset ${i.stoppedAt}`} · ${load}`);
    parts.push(`${inst.entries.length} live key(s), ${inst.removedKeys.length} removed`);
    if (inst.entries.length > 0) {
      parts.push(
        renderTable(
          ['key', 'type', 'value', 'size', 'expiry'],
          inst.entries.map((e) => [e.key, e.type + (e.override ? ' (--as)' : e.alternatives?.includes('string') ? '?' : '') + (e.json ? ` ${e.json}` : ''), preview(e.value), e.sizeBytes, expiry(e.expireAt)]),
        ),
      );
    }
    if (inst.removedKeys.length > 0) parts.push(`removed: ${inst.removedKeys.join(', ')}`);
    if (inst.collections.length > 0) {
      parts.push(renderTable(['collection', 'from key', 'shape', 'records'], inst.collections.map((c) => [c.name, c.key, `${c.envelope}${c.version === undefined ? '' : ` v${c.version}`}`, c.records])));
    }
    if (inst.history !== undefined) {
      parts.push(
        renderTable(
          ['offset', 'key', 'item', 'value'],
          inst.history.map((h) => [h.offset, h.key, h.deleted ? 'deleted' : `${h.type ?? ''}${h.live ? ' (live)' : ''}`, h.deleted ? '' : preview(h.value)]),
        ),
      );
    }
    parts.push(renderFindings(inst.findings, style).trimEnd());
    parts.push('');
  }
  if (report.findings.length > 0) parts.push(renderFindings(report.findings, style).trimEnd());
  return parts.join('\n') + '\n';
}

function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
