import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test-support/cli.js';
import { buildProgram, buildProgramFor, COMMANDS } from './program.js';

describe('command manifest', () => {
  it('lists every command exactly as its file declares it (name, usage term, description)', async () => {
    const program = await buildProgram();
    const help = new Help();
    const full = program.commands.map((c) => ({ name: c.name(), term: help.subcommandTerm(c), summary: c.description() }));
    expect(full).toEqual(COMMANDS.map(({ name, term, summary }) => ({ name, term, summary })));
  });

  it('loads only the command a run names', async () => {
    const program = await buildProgramFor(['node', 'syncdoc', '--json', 'verify', 'a.db']);
    const loaded = program.commands.filter((c) => c.options.length > 0 || c.commands.length > 0 || c.registeredArguments.length > 0);
    expect(loaded.map((c) => c.name())).toEqual(['verify']);
    const viaHelp = await buildProgramFor(['node', 'syncdoc', 'help', 'outbox']);
    expect(viaHelp.commands.find((c) => c.name() === 'outbox')?.commands.map((c) => c.name())).toEqual(['list', 'lint', 'replay']);
  });

  it('`syncdoc --help` lists every command with its usage term and summary', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const flat = stdout.replace(/\s+/g, ' ');
    for (const c of COMMANDS) {
      expect(flat).toContain(c.term);
      expect(flat).toContain(c.summary.replace(/\s+/g, ' '));
    }
  });
});
