/**
 * MMKV decoder benchmark. Generates a ≥ 32 MB, 200k-key instance in the real format (v2.4-style
 * header 0, 4-byte placeholder, react-native-mmkv values: strings, doubles, booleans, a share of
 * overwritten keys, and a .crc with the true CRC-32), then measures in the same run:
 * the decoder (MB/s, keys/s; with the entry objects the API makes on first read, and without) against a bare varint walk over the same buffer (the ceiling), and the
 * whole `syncdoc mmkv <file> --json` process against a bare Node script decoding the file into a Map
 * (the speed goal is ≤ 1.5×). Prints figures and ratios; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { encodeVarint32 } from '../readers/mmkv-bytes.js';
import { readMmkvInstance } from '../readers/mmkv.js';
import { makeTempDir } from '../snapshot/temp.js';

const KEYS = 200_000;
const TARGET_BYTES = 32 * 1024 * 1024;
const RUNS = 3;
/** Whole-process runs, interleaved (bare, syncdoc, bare, …) so both see the same machine load. */
const PROCESS_RUNS = 5;

/** Deterministic filler text (no Math.random: the same file every run). */
function text(seed: number, length: number): string {
  const words = ['sync', 'mood', 'note', 'walk', 'calm', 'focus', 'sleep', 'water', 'rest', 'breathe', 'run', 'read'];
  let s = '';
  let x = seed * 2654435761;
  while (s.length < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += words[x % words.length] + ' ';
  }
  return s.slice(0, length);
}

export function generateMmkv(): { data: Buffer; crc: Buffer; items: number } {
  const chunks: Buffer[] = [Buffer.from([0, 0, 0, 0, 0xd9, 0x87, 0xd5, 0x35])];
  let size = 8;
  let items = 0;
  const item = (key: string, payload: Buffer): void => {
    const k = Buffer.from(key, 'utf8');
    const b = Buffer.concat([encodeVarint32(k.length), k, encodeVarint32(payload.length), payload]);
    chunks.push(b);
    size += b.length;
    items++;
  };
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([encodeVarint32(b.length), b]);
  };
  const dbl = (x: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return b;
  };
  // 10% of keys are written twice (an older value first): later items win, as in real files.
  const stringLen = Math.ceil((TARGET_BYTES / KEYS) * 1.32);
  for (let i = 0; i < KEYS; i++) {
    const key = `app.store.${(i % 97).toString(36)}.record.${i.toString().padStart(6, '0')}`;
    if (i % 10 === 0) item(key, str(text(i + 1, 40)));
    const kind = i % 10;
    if (kind < 7) item(key, str(JSON.stringify({ id: `rec_${i}`, updatedAt: 1741800000000 + i, note: text(i, stringLen - 90) })));
    else if (kind < 9) item(key, dbl(1741800000000 + i * 0.5));
    else item(key, Buffer.from([i % 2]));
  }
  const data = Buffer.concat(chunks);
  const page = 4096;
  const file = Buffer.alloc(Math.ceil((data.length + 1) / page) * page);
  data.copy(file);
  const actualSize = data.length - 4;
  const crc = Buffer.alloc(page);
  crc.writeUInt32LE(crc32(file.subarray(4, 4 + actualSize)), 0);
  crc.writeUInt32LE(4, 4); // meta version
  crc.writeUInt32LE(1, 8); // sequence
  crc.writeUInt32LE(actualSize, 28);
  crc.writeUInt32LE(4, 32);
  crc.writeUInt32LE(crc32(file.subarray(4, 8)), 36);
  return { data: file, crc, items };
}

/** The ceiling: walk every item's varints without decoding anything. */
function varintWalk(buf: Buffer, end: number): number {
  let at = 4;
  const skip = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[at++] as number;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v >>> 0;
      shift += 7;
    }
  };
  skip();
  let n = 0;
  while (at < end) {
    const k = skip();
    at += k;
    const v = skip();
    at += v;
    n++;
  }
  return n;
}

/** Best of RUNS: wall ms, and the CPU ms of that same run (steadier on a shared machine). */
function best(fn: () => void): { ms: number; cpuMs: number } {
  let out = { ms: Infinity, cpuMs: Infinity };
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    if (ms < out.ms) out = { ms, cpuMs: (c.user + c.system) / 1000 };
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** The baseline process: read both files, walk the items, keep the last value of each key in a Map. */
const BARE_SCRIPT = `
import { readFileSync } from 'node:fs';
const file = process.argv[2];
const data = readFileSync(file);
const meta = readFileSync(file + '.crc');
const end = 4 + meta.readUInt32LE(28);
let at = 4;
const v = () => { let r = 0, s = 0; for (;;) { const b = data[at++]; r |= (b & 0x7f) << s; if (b < 0x80) return r >>> 0; s += 7; } };
v();
const map = new Map();
while (at < end) {
  const kl = v(); const key = data.toString('utf8', at, at + kl); at += kl;
  const vl = v();
  if (vl === 0) map.delete(key);
  else {
    // react-native-mmkv shapes: length-prefixed string, 8-byte double, 1-byte bool
    const p = at; const n = v();
    if (at + n === p + vl) map.set(key, data.toString('utf8', at, at + n));
    else if (vl === 8) map.set(key, data.readDoubleLE(p));
    else if (vl === 1) map.set(key, data[p] === 1);
    else map.set(key, data.subarray(p, p + vl));
    at = p;
  }
  at += vl;
}
process.stdout.write(String(map.size) + '\\n');
`;

/** CPU time (user + sys, ms) of reaped children, from /proc (Linux); null elsewhere. */
function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): cutime/cstime are fields 16/17, in clock ticks (100 Hz)
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

/** Runs a process with stdout to /dev/null (collecting 100+ MB through a pipe would time the pipe). */
function wallMs(args: string[]): { ms: number; cpuMs: number | null; status: number | null } {
  const devNull = openSync(devNullPath(), 'w');
  try {
    const c0 = childrenCpuMs();
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', devNull, 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const c1 = childrenCpuMs();
    return { ms, cpuMs: c0 === null || c1 === null ? null : c1 - c0, status: r.status };
  } finally {
    closeSync(devNull);
  }
}

function devNullPath(): string {
  return process.platform === 'win32' ? '\\\\.\\NUL' : '/dev/null';
}

export async function run(): Promise<void> {
  const dir = makeTempDir('syncdoc-bench-mmkv-');
  const { data, crc, items } = generateMmkv();
  const file = join(dir, 'bench.default');
  writeFileSync(file, data);
  writeFileSync(file + '.crc', crc);
  const actual = crc.readUInt32LE(28);
  const mb = actual / (1024 * 1024);
  process.stdout.write(`file: ${(data.length / 1024 / 1024).toFixed(1)} MiB (${mb.toFixed(1)} MiB of items), ${items} items, ${KEYS} live keys\n`);

  const buf = readFileSync(file);
  const meta = readFileSync(file + '.crc');
  let keys = 0;
  // Entries are made when first read: the API's cost (every MmkvEntry object) ...
  const decode = best(() => {
    keys = readMmkvInstance(buf, meta).entries.length;
  });
  // ... and the decode alone, which is all `--json` needs (it writes entries from the bytes).
  const columns = best(() => {
    readMmkvInstance(buf, meta);
  });
  let walked = 0;
  const walk = best(() => {
    walked = varintWalk(buf, 4 + actual);
  });
  const d = decode.ms;
  const w = walk.ms;
  process.stdout.write(
    `decoder:     ${(mb / (d / 1000)).toFixed(0)} MB/s, ${Math.round(keys / (d / 1000))} keys/s (${d.toFixed(0)} ms wall, ${decode.cpuMs.toFixed(0)} ms CPU, ${keys} keys)\n` +
      `decode only (no entry objects, as --json uses it): ${(mb / (columns.ms / 1000)).toFixed(0)} MB/s (${columns.ms.toFixed(0)} ms wall, ${columns.cpuMs.toFixed(0)} ms CPU)\n` +
      `varint walk: ${(mb / (w / 1000)).toFixed(0)} MB/s, ${Math.round(walked / (w / 1000))} items/s (${w.toFixed(0)} ms) — the ceiling\n` +
      `ratio: decoder takes ${(d / w).toFixed(1)}× the bare walk\n`,
  );

  const bare = join(dir, 'bare-decode.mjs');
  writeFileSync(bare, BARE_SCRIPT);
  const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/syncdoc');
  const cli: number[] = [];
  const base: number[] = [];
  const cliCpu: number[] = [];
  const baseCpu: number[] = [];
  // One run into a file: the size of the JSON, and a warm-up for both programs.
  const outFile = join(dir, 'out.json');
  const outFd = openSync(outFile, 'w');
  const first = spawnSync(process.execPath, [bin, 'mmkv', file, '--json'], { stdio: ['ignore', outFd, 'pipe'] });
  closeSync(outFd);
  if (first.status !== 0) throw new Error(`syncdoc mmkv exited ${first.status}: ${String(first.stderr)}`);
  const out = statSync(outFile).size;
  wallMs([bare, file]);
  for (let i = 0; i < PROCESS_RUNS; i++) {
    const b = wallMs([bare, file]);
    const c = wallMs([bin, 'mmkv', file, '--json']);
    if (c.status !== 0) throw new Error(`syncdoc mmkv exited ${c.status}`);
    base.push(b.ms);
    cli.push(c.ms);
    if (b.cpuMs !== null && c.cpuMs !== null) {
      baseCpu.push(b.cpuMs);
      cliCpu.push(c.cpuMs);
    }
  }
  const ratio = median(cli) / median(base);
  // Other processes share the cores: the load says how far to trust the wall times.
  process.stdout.write(`${availableParallelism()} cores; load average ${(loadavg()[0] as number).toFixed(1)}\n`);
  process.stdout.write(
    `whole process (wall, median of ${PROCESS_RUNS}, side by side): syncdoc mmkv --json ${median(cli).toFixed(0)} ms (${(mb / (median(cli) / 1000)).toFixed(0)} MB/s in, ${(out / 1024 / 1024).toFixed(0)} MiB of JSON out) vs bare Node decode into a Map ${median(base).toFixed(0)} ms (${(mb / (median(base) / 1000)).toFixed(0)} MB/s)\n` +
      `ratio (wall): ${ratio.toFixed(2)}× (goal ≤ 1.5×: ${ratio <= 1.5 ? 'met' : 'not met'}); best runs ${Math.min(...cli).toFixed(0)} vs ${Math.min(...base).toFixed(0)} ms = ${(Math.min(...cli) / Math.min(...base)).toFixed(2)}×\n`,
  );
  if (cliCpu.length > 0) {
    // CPU time is steadier than wall time on a shared machine; printed beside it, not instead.
    const cpuRatio = median(cliCpu) / median(baseCpu);
    process.stdout.write(
      `whole process (CPU user+sys, median): ${median(cliCpu)} ms vs ${median(baseCpu)} ms, ratio ${cpuRatio.toFixed(2)}× (goal ≤ 1.5×: ${cpuRatio <= 1.5 ? 'met' : 'not met'}); ` +
        `least CPU ${Math.min(...cliCpu)} vs ${Math.min(...baseCpu)} ms = ${(Math.min(...cliCpu) / Math.min(...baseCpu)).toFixed(2)}×\n`,
    );
  }
}
