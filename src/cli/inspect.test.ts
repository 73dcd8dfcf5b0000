// The inspect command from the outside: argv → options as a table (usage errors included), and
// end-to-end runs of the built binary on good and bad inputs, asserting exit code, stdout and
// stderr separately. Bad inputs run with TMPDIR pointed at an empty folder, which must be empty
// again afterwards: nothing is left behind, and nothing is written anywhere else.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { writeZip } from '../snapshot/test-archives.js';
import { BIN, FIXTURES, hashTree, runCli, scratchDir } from '../test-support/cli.js';
import { toInspectOptions, type InspectCommandOptions } from './commands/inspect.js';
import type { GlobalOptions } from './global-options.js';
import { buildProgram } from './program.js';
import { action } from './runtime.js';

const WATERMELON = join(FIXTURES, 'snapshots', 'watermelondb-basic', 'watermelon.db');

/** Parses argv with the real program, the inspect action swapped for one that records its options. */
async function parse(argv: string[]): Promise<{ options: InspectCommandOptions; globals: GlobalOptions }> {
  const program = await buildProgram();
  const inspect = program.commands.find((c) => c.name() === 'inspect');
  if (!inspect) throw new Error('inspect is not registered');
  let seen: { options: InspectCommandOptions; globals: GlobalOptions } | undefined;
  inspect.action(
    action<[string], Record<string, string>>(async ([snapshot], opts, globals) => {
      seen = { options: toInspectOptions(snapshot, opts), globals };
      return 0;
    }),
  );
  await program.parseAsync(['node', 'syncdoc', ...argv]);
  if (!seen) throw new Error('action did not run');
  return seen;
}

describe('argv → options', () => {
  const ok: Array<[string[], Partial<InspectCommandOptions>, Partial<GlobalOptions>]> = [
    [['inspect', 'snap'], { snapshot: 'snap' }, { json: false, redact: false, quiet: false }],
    [['inspect', 'snap', '--json', '--redact'], { snapshot: 'snap' }, { json: true, redact: true }],
    [['--json', '--quiet', 'inspect', 'snap'], { snapshot: 'snap' }, { json: true, quiet: true }],
    [['inspect', 'snap', '--no-color'], { snapshot: 'snap' }, { color: false }],
    [['inspect', 'snap', '--max-extract-bytes', '8G'], { maxExtractBytes: 8 * 1024 ** 3 }, {}],
    [['inspect', 'snap', '--max-extract-bytes', '512MiB'], { maxExtractBytes: 512 * 1024 ** 2 }, {}],
    [['inspect', 'snap', '--max-extract-bytes=1000'], { maxExtractBytes: 1000 }, {}],
    [['inspect', 'snap', '--wal-rows', '25'], { walRowLimit: 25 }, {}],
  ];
  it.each(ok)('%j', async (argv, options, globals) => {
    const seen = await parse(argv);
    expect(seen.options).toMatchObject(options);
    expect(seen.globals).toMatchObject(globals);
  });

  const usage: Array<[string[], RegExp]> = [
    [['inspect'], /missing required argument 'snapshot'/],
    [['inspect', 'a', 'b'], /too many arguments/],
    [['inspect', 'snap', '--bogus'], /unknown option '--bogus'/],
    [['inspect', 'snap', '--max-extract-bytes'], /argument missing/],
    [['inspect', 'snap', '--max-extract-bytes', 'lots'], /--max-extract-bytes must be a positive size/],
    [['inspect', 'snap', '--max-extract-bytes', '0'], /--max-extract-bytes must be a positive size/],
    [['inspect', 'snap', '--wal-rows', '1.5'], /--wal-rows must be a positive integer/],
    [['inspect', 'snap', '--wal-rows', '0'], /--wal-rows must be a positive integer/],
    [['inspect', ''], /snapshot path is empty/],
    [['inspectt', 'snap'], /unknown command 'inspectt'/],
  ];
  it.each(usage)('%j is a usage error', async (argv, message) => {
    const err = await parse(argv).then(
      () => undefined,
      (e: unknown) => e,
    );
    // main maps both to exit 2 (checked end to end below)
    expect(err instanceof CommanderError || err instanceof UsageError).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

/** Exactly one `error:` line naming the subject, then one `hint:` line, no stack trace. */
function expectOneError(stderr: string, subject: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(subject);
  expect(lines[1]).toMatch(/^hint: \S/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** Runs the binary with a private TMPDIR and checks it is empty again afterwards. */
async function runIsolated(args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
  const tmp = scratchDir('syncdoc-tmpdir-');
  const res = await runCli(args, { env: { TMPDIR: tmp } });
  expect(readdirSync(tmp)).toEqual([]);
  return res;
}

describe('bad input', () => {
  it('missing path → exit 4', async () => {
    const res = await runIsolated(['inspect', '/no/such/snapshot']);
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expectOneError(res.stderr, /no such file or folder: \/no\/such\/snapshot/);
  });

  it('empty file → exit 4', async () => {
    const dir = scratchDir();
    const file = join(dir, 'empty.db');
    writeFileSync(file, '');
    const res = await runIsolated(['inspect', file]);
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expectOneError(res.stderr, /empty file: .*empty\.db/);
  });

  it('random bytes named .db → exit 4', async () => {
    const dir = scratchDir();
    const file = join(dir, 'random.db');
    writeFileSync(file, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 251)));
    const before = hashTree(dir);
    const res = await runIsolated(['inspect', file]);
    expect(res.code).toBe(4);
    expectOneError(res.stderr, /unrecognised content.*random\.db/);
    expect(hashTree(dir)).toEqual(before);
  });

  it('a folder whose only .db is random bytes → exit 4, the error says why', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'app.db'), 'not a database at all');
    const res = await runIsolated(['inspect', dir]);
    expect(res.code).toBe(4);
    expectOneError(res.stderr, /no stores found \(1 file\(s\) named like databases are empty or not SQLite\)/);
  });

  it('truncated SQLite file → an error finding, exit 1, report on stdout', async () => {
    const dir = scratchDir();
    const file = join(dir, 'cut.db');
    writeFileSync(file, readFileSync(WATERMELON).subarray(0, 4096 * 3 + 100));
    const before = hashTree(dir);
    const res = await runIsolated(['inspect', file, '--json']);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('');
    const report = JSON.parse(res.stdout) as { verdict: string; findings: Array<{ code: string; severity: string }> };
    expect(report.verdict).toBe('problems');
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'SQLITE_TRUNCATED', severity: 'error' }));
    expect(hashTree(dir)).toEqual(before);
  });

  it('a SQLite header and nothing else → error findings, exit 1', async () => {
    const dir = scratchDir();
    const file = join(dir, 'stub.db');
    writeFileSync(file, readFileSync(WATERMELON).subarray(0, 40));
    const res = await runIsolated(['inspect', file, '--json']);
    expect(res.code).toBe(1);
    const codes = (JSON.parse(res.stdout) as { findings: Array<{ code: string }> }).findings.map((f) => f.code);
    expect(codes).toContain('SQLITE_TRUNCATED');
  });

  it('zip with a ../evil entry: refused with a finding, nothing written outside the temp folder', async () => {
    const dir = scratchDir();
    const zip = join(dir, 'snap', 'export.zip');
    mkdirSync(join(dir, 'snap'));
    await writeZip(zip, [
      { name: '../evil', data: Buffer.from('pwned') },
      { name: 'databases/watermelon.db', data: readFileSync(WATERMELON) },
    ]);
    const res = await runIsolated(['inspect', zip, '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as {
      snapshot: { container: string };
      stores: Array<{ path: string }>;
      findings: Array<{ code: string; ref?: string }>;
    };
    expect(report.snapshot.container).toBe('zip');
    expect(report.stores.map((s) => s.path)).toEqual(['databases/watermelon.db']);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'ARCHIVE_ENTRY_REFUSED', ref: '../evil' }));
    expect(readdirSync(dir)).toEqual(['snap']);
    expect(readdirSync(join(dir, 'snap'))).toEqual(['export.zip']);
  });

  it('zip holding only a ../evil entry → exit 4', async () => {
    const dir = scratchDir();
    const zip = join(dir, 'evil.zip');
    await writeZip(zip, [{ name: '../evil', data: Buffer.from('pwned') }]);
    const res = await runIsolated(['inspect', zip]);
    expect(res.code).toBe(4);
    expectOneError(res.stderr, /no stores found \(1 link\(s\) or entries pointing outside the snapshot were refused\)/);
    expect(readdirSync(dir)).toEqual(['evil.zip']);
  });

  it('symlink to a file outside the snapshot folder: not followed, a finding', async () => {
    const outside = scratchDir();
    copyFileSync(WATERMELON, join(outside, 'secret.db'));
    const snap = scratchDir();
    copyFileSync(WATERMELON, join(snap, 'app.db'));
    symlinkSync(join(outside, 'secret.db'), join(snap, 'linked.db'));
    const before = hashTree(snap);
    const res = await runIsolated(['inspect', snap, '--json']);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as {
      stores: Array<{ path: string }>;
      findings: Array<{ code: string; ref?: string; severity: string }>;
    };
    expect(report.stores.map((s) => s.path)).toEqual(['app.db']);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'SNAPSHOT_LINK_OUTSIDE', ref: 'linked.db', severity: 'warn' }));
    expect(hashTree(snap)).toEqual(before);
  });

  it('a folder holding only a link to the outside → exit 4', async () => {
    const outside = scratchDir();
    copyFileSync(WATERMELON, join(outside, 'secret.db'));
    const snap = scratchDir();
    symlinkSync(join(outside, 'secret.db'), join(snap, 'linked.db'));
    const res = await runIsolated(['inspect', snap]);
    expect(res.code).toBe(4);
    expectOneError(res.stderr, /no stores found \(1 link/);
  });

  it('folder with no stores → exit 4', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    mkdirSync(join(dir, 'sub'));
    const res = await runIsolated(['inspect', dir]);
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expectOneError(res.stderr, /no stores found: /);
  });

  it('an unusable temp folder → exit 4 with a TMPDIR hint, not an internal error', async () => {
    const res = await runCli(['inspect', WATERMELON], { env: { TMPDIR: '/no/such/tmp' } });
    expect(res.code).toBe(4);
    expect(res.stdout).toBe('');
    expectOneError(res.stderr, /cannot create a private temp folder .*: \/no\/such\/tmp/);
    expect(res.stderr).toMatch(/hint: set TMPDIR/);
  });

  it('--verbose adds the stack trace', async () => {
    const res = await runCli(['inspect', '/no/such/snapshot', '--verbose']);
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^error: no such file or folder/);
    expect(res.stderr).toMatch(/\n\s+at /);
  });
});

describe('end to end', () => {
  it('usage errors exit 2 before touching any file', async () => {
    for (const argv of [
      ['inspect'],
      ['inspect', '/no/such', '--max-extract-bytes', 'lots'],
      ['inspect', '/no/such', '--nope'],
      ['frobnicate'],
    ]) {
      const res = await runCli(argv);
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.stdout).toBe('');
      expectOneError(res.stderr, /./);
    }
  });

  it('--help lists inspect and exits 0', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/inspect \[options\] <snapshot>/);
    expect(res.stderr).toBe('');
  });

  it('human output: tables on stdout, nothing on stderr, exit 0', async () => {
    const res = await runCli(['inspect', join(FIXTURES, 'snapshots', 'drizzle-expo-wal')]);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/SQLite\/tasks\.db/);
    expect(res.stdout).toMatch(/rows only in the WAL/);
    expect(res.stdout).toMatch(/SQLITE_WAL_ONLY_ROWS/);
    expect(res.stdout).toMatch(/verdict: ok\n$/);
    expect(res.stdout).not.toMatch(/\x1b\[/); // NO_COLOR
  });

  it('--json is one document with schemaVersion first', async () => {
    const res = await runCli(['--json', 'inspect', join(FIXTURES, 'snapshots', 'hybrid-queue-basic')]);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    const doc = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)[0]).toBe('schemaVersion');
    expect(doc['schemaVersion']).toBe(1);
    expect(doc['verdict']).toBe('ok');
  });

  it('a single store file and its companions are read as one store', async () => {
    const res = await runCli(['inspect', '--json', join(FIXTURES, 'snapshots', 'drizzle-expo-wal', 'SQLite', 'tasks.db')]);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as { snapshot: { container: string }; stores: Array<{ path: string; companions: string[] }> };
    expect(doc.snapshot.container).toBe('file');
    expect(doc.stores).toEqual([expect.objectContaining({ path: 'tasks.db', companions: ['shm', 'wal'] })]);
  });
});

describe('interrupted', () => {
  it('Ctrl-C while copying a store: exit 130 and the temp folder is gone', async () => {
    const dir = scratchDir();
    const big = join(dir, 'big.db');
    // a sparse 256 MiB "database": copying it takes long enough to be interrupted
    writeFileSync(big, 'SQLite format 3\0');
    truncateSync(big, 256 * 1024 * 1024);
    const tmp = scratchDir('syncdoc-tmpdir-');
    const child = spawn(process.execPath, [BIN, 'inspect', big], {
      env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // wait until the private temp folder exists, then interrupt
    for (let i = 0; i < 500 && readdirSync(tmp).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toBe('error: interrupted\n');
    expect(readdirSync(tmp)).toEqual([]);
  });
});
