import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeVarint32 } from '../../readers/mmkv-bytes.js';
import { readMmkvInstance } from '../../readers/mmkv.js';
import { BIN, copyFixture, FIXTURES, hashTree, runCli, scratchDir } from '../../test-support/cli.js';
import { plainMmkvStore } from '../../test-support/mmkv-store.js';

interface JsonInstance {
  verdict: string;
  meta: Record<string, unknown>;
  entries: Array<{ key: string; type: string; value: unknown; rawHex: string; expireAt: number | null }>;
  removedKeys: string[];
  findings: Array<{ code: string; severity: string }>;
  history?: Array<{ key: string; deleted: boolean }>;
}

let dir: string;
beforeAll(() => {
  dir = copyFixture('mmkv');
});

describe('syncdoc mmkv', { timeout: 60_000 }, () => {
  it('--json prints meta, entries (rawHex exact), removedKeys and findings; inputs stay byte-identical', async () => {
    const before = hashTree(dir);
    const res = await runCli(['mmkv', join(dir, 'overwrites'), '--json']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as JsonInstance & { schemaVersion: number };
    // written in batches, yet byte for byte what JSON.stringify(doc, null, 2) gives
    expect(res.stdout).toBe(JSON.stringify(doc, null, 2) + '\n');
    const expected = JSON.parse(readFileSync(join(dir, 'overwrites.expected.json'), 'utf8')) as { keys: Record<string, { raw_hex: string }> };
    expect(doc.schemaVersion).toBe(1);
    expect(Object.keys(doc.meta)).toEqual(expect.arrayContaining(['crcDigest', 'crcComputed', 'version', 'sequence', 'ivHex', 'actualSize', 'lastConfirmedActualSize', 'lastConfirmedCrcDigest', 'flags']));
    expect(Object.fromEntries(doc.entries.map((e) => [e.key, e.rawHex]))).toEqual(Object.fromEntries(Object.entries(expected.keys).map(([k, v]) => [k, v.raw_hex])));
    expect(doc.entries.every((e) => 'expireAt' in e)).toBe(true);
    expect(doc.removedKeys.sort()).toEqual(['temp.a', 'temp.b']);
    expect(doc.findings).toEqual([]);
    expect(hashTree(dir)).toEqual(before);
  });

  it('--key-env naming an unset variable is a usage error (exit 2), before reading anything', async () => {
    const res = await runCli(['mmkv', join(dir, 'encrypted-aes128'), '--key-env', 'SYNCDOC_TEST_UNSET_KEY'], { env: { SYNCDOC_TEST_UNSET_KEY: undefined } });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/error: --key-env names an environment variable that is not set: SYNCDOC_TEST_UNSET_KEY/);
    expect(res.stderr).toMatch(/hint: /);
  });

  it('decodes encrypted instances with --key-env and --key-file; a wrong key is exit 4 with nothing on stdout', async () => {
    const ok = await runCli(['mmkv', join(dir, 'encrypted-aes256'), '--key-env', 'MMKV_KEY', '--json'], { env: { MMKV_KEY: '0123456789abcdef0123456789ABCDEF' } });
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout) as JsonInstance;
    expect(doc.meta['aesBits']).toBe(256);
    expect(doc.entries.find((e) => e.key === 'auth.refreshToken')?.value).toBe('rt_9b1d7f0e3c');

    const keyFile = join(scratchDir(), 'key.txt');
    writeFileSync(keyFile, 'syncdoc-demo\n');
    const viaFile = await runCli(['mmkv', join(dir, 'encrypted-aes128'), '--key-file', keyFile, '--json']);
    expect(viaFile.code).toBe(0);
    expect((JSON.parse(viaFile.stdout) as JsonInstance).entries.find((e) => e.key === 'user.email')?.value).toBe('ada.lovelace@example.com');

    const wrong = await runCli(['mmkv', join(dir, 'encrypted-aes128'), '--key-env', 'MMKV_KEY', '--json'], { env: { MMKV_KEY: 'not-the-key' } });
    expect(wrong.code).toBe(4);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(/wrong encryption key/);
    expect(wrong.stderr).toContain('encrypted-aes128');
  });

  it('a folder lists every instance; --history shows every physical item', async () => {
    const res = await runCli(['mmkv', dir, '--json', '--history', '--key-env', 'K'], { env: { K: 'syncdoc-demo' } });
    const doc = JSON.parse(res.stdout) as { instances: Array<JsonInstance & { name: string }>; findings: Array<{ code: string; store: string }> };
    expect(res.stdout).toBe(JSON.stringify(doc, null, 2) + '\n');
    expect(doc.instances.map((i) => i.name)).toContain('mmkv.default');
    expect(doc.instances.find((i) => i.name === 'overwrites')?.history).toHaveLength(55);
    // the AES-256 instance needs another key: reported, the others still decode
    expect(doc.findings).toEqual([expect.objectContaining({ code: 'MMKV_UNREADABLE', store: 'encrypted-aes256' })]);
    expect(res.code).toBe(1);
  });

  it('damage is exit 1 with findings; the human table shows what MMKV would do', async () => {
    const copy = scratchDir();
    const data = readFileSync(join(dir, 'mmkv.default'));
    writeFileSync(join(copy, 'mmkv.default'), data.subarray(0, 20000));
    writeFileSync(join(copy, 'mmkv.default.crc'), readFileSync(join(dir, 'mmkv.default.crc')));
    const res = await runCli(['mmkv', join(copy, 'mmkv.default')]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/damaged/);
    expect(res.stdout).toMatch(/MMKV_SIZE_BEYOND_FILE/);
    expect(res.stdout).toMatch(/MMKV_TORN_TAIL/);
    expect(res.stdout).toMatch(/MMKV would roll back to 5404 bytes/);
  });

  it('--as overrides a type; a malformed --as is exit 2', async () => {
    const res = await runCli(['mmkv', join(dir, 'all-types'), '--json', '--as', 'int64_above_2p53=int64', '--as', 'string_vector=string_vector']);
    const doc = JSON.parse(res.stdout) as JsonInstance;
    expect(doc.entries.find((e) => e.key === 'int64_above_2p53')?.value).toBe('9007199254740993');
    expect(doc.entries.find((e) => e.key === 'string_vector')?.value).toEqual(['alpha', 'beta', '', 'δέλτα']);
    const bad = await runCli(['mmkv', join(dir, 'all-types'), '--as', 'x=decimal']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--as expects KEY=TYPE/);
  });

  it('a file that is not MMKV is exit 4 with a hint, not garbage', async () => {
    const res = await runCli(['mmkv', join(FIXTURES, 'snapshots', 'watermelondb-basic', 'watermelon.db'), '--json']);
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/error: not an MMKV data file.*watermelon\.db/);
    expect(res.stderr).toMatch(/hint: this is a SQLite database/);
  });

  it('--redact hides free text and the raw bytes that would give it back', async () => {
    const res = await runCli(['mmkv', join(dir, 'mmkv.default'), '--json', '--redact']);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('Feeling grateful');
    expect(res.stdout).not.toContain(Buffer.from('Feeling grateful').toString('hex'));
    const doc = JSON.parse(res.stdout) as JsonInstance;
    expect(doc.entries.find((e) => e.key === 'theme')?.value).toBe('dark');
  });

  it('a large store (24k items, > 2 MiB): file and folder give the decoder entries, byte-exact JSON', async () => {
    const items: Array<[Buffer, Buffer]> = [];
    const item = (key: string, payload: Buffer): void => void items.push([Buffer.from(key), payload]);
    for (let i = 0; i < 24_000; i++) {
      const text = Buffer.from(JSON.stringify({ id: `rec_${i}`, note: `note "${i}" \\ é`.repeat(1 + (i % 9)) }));
      if (i % 4 === 3) item(`k.${i}`, Buffer.from([i % 2]));
      else item(`k.${i}`, Buffer.concat([encodeVarint32(text.length), text]));
      if (i % 1000 === 0) item(`k.${i}`, Buffer.alloc(0));
    }
    const { data, crc } = plainMmkvStore(items);
    const folder = join(scratchDir(), 'store');
    mkdirSync(folder);
    writeFileSync(join(folder, 'big'), data);
    writeFileSync(join(folder, 'big.crc'), crc);
    expect(data.length).toBeGreaterThan(2 << 20);
    const entries = JSON.parse(JSON.stringify(readMmkvInstance(data, crc).entries)) as unknown;

    const file = await runCli(['mmkv', join(folder, 'big'), '--json', '--history'], { timeoutMs: 120_000 });
    expect(file.code).toBe(0);
    const doc = JSON.parse(file.stdout) as JsonInstance;
    expect(file.stdout).toBe(JSON.stringify(doc, null, 2) + '\n');
    expect(doc.entries).toEqual(entries);
    expect(doc.history).toHaveLength(24_024);
    // stdout a regular file: the JSON goes to fd 1 directly (stdoutFileSink), the same bytes.
    const outPath = join(scratchDir(), 'out.json');
    const fd = openSync(outPath, 'w');
    const toFile = spawnSync(process.execPath, [BIN, 'mmkv', join(folder, 'big'), '--json', '--history'], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    expect(toFile.status).toBe(0);
    expect(readFileSync(outPath, 'utf8')).toBe(file.stdout);

    const dirRes = await runCli(['mmkv', folder, '--json'], { timeoutMs: 120_000 });
    expect(dirRes.code).toBe(0);
    const dirDoc = JSON.parse(dirRes.stdout) as { instances: JsonInstance[] };
    expect(dirRes.stdout).toBe(JSON.stringify(dirDoc, null, 2) + '\n');
    expect(dirDoc.instances[0]?.entries).toEqual(entries);
  });
});
