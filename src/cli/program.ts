/**
 * The root program and the command manifest. Only the command a run names is loaded in full; the
 * others are listed from the manifest (name, usage term, one-line summary) so `syncdoc --help`
 * loads no command module at all. Command files import only commander types and load their domain
 * code lazily inside the action. A test keeps the manifest equal to the full commands.
 */
import { Command, Help, Option } from './commander.js';

type Register = (program: Command) => void;

export interface CommandEntry {
  name: string;
  /** What `syncdoc --help` lists: the command's usage term. */
  term: string;
  /** Its description, exactly as the command file declares it. */
  summary: string;
  load(): Promise<Register>;
}

// The order here is the order in `syncdoc --help`.
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'inspect',
    term: 'inspect [options] <snapshot>',
    summary: 'report the stores and sync state of a snapshot (folder or archive), read-only',
    load: async () => (await import('./commands/inspect.js')).register,
  },
  {
    name: 'mmkv',
    term: 'mmkv [options] <file|dir>',
    summary: 'decode MMKV files (plain or AES-encrypted): meta, integrity, keys, history, damage and what MMKV would do on load',
    load: async () => (await import('./commands/mmkv.js')).register,
  },
  {
    name: 'query',
    term: 'query [options] <snapshot> <sql>',
    summary: 'read-only SQL over a snapshot: SQLite stores attached by name, MMKV/AsyncStorage stores and decoded collections as tables',
    load: async () => (await import('./commands/query.js')).register,
  },
  {
    name: 'migrate',
    term: 'migrate [options] <snapshot>',
    summary: 'migrate a legacy snapshot into one unified SQLite database (verified, atomic, deterministic)',
    load: async () => (await import('./commands/migrate.js')).register,
  },
  {
    name: 'verify',
    term: 'verify [options] <a> [b]',
    summary: 'check one source, or compare two (snapshot, unified db, Convex export, live backend) down to the differing records',
    load: async () => (await import('./commands/verify.js')).register,
  },
  {
    name: 'serve',
    term: 'serve [options]',
    summary: 'run the local reference sync server (JSON push/pull protocol, SQLite storage) on 127.0.0.1',
    load: async () => (await import('./commands/serve.js')).register,
  },
  {
    name: 'outbox',
    term: 'outbox',
    summary: 'list, lint and replay the outbox (queued sync ops) of a snapshot or database',
    load: async () => (await import('./commands/outbox.js')).register,
  },
  {
    name: 'simulate',
    term: 'simulate [options] <scenario>',
    summary: 'run the deterministic sync simulator over scenario files: algorithms × seeds, checkers, shrunk failures',
    load: async () => (await import('./commands/simulate.js')).register,
  },
];

export const VERSION = '0.1.0';

const TERMS = new Map(COMMANDS.map((c) => [c.name, c.term]));

function createRoot(): Command {
  const program = new Command('syncdoc')
    .description('Read, migrate, verify, replay and simulate the local data of offline-first mobile apps.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--json', 'print one JSON document (with schemaVersion) on stdout'))
    .addOption(new Option('-q, --quiet', 'no progress or log lines on stderr'))
    .addOption(new Option('--verbose', 'debug logs, and stack traces on errors'))
    .addOption(new Option('--redact', 'replace free text (notes, titles, payload strings) with stable placeholders'))
    .addOption(new Option('--no-color', 'no colours (NO_COLOR is honoured too)'))
    .showHelpAfterError(false)
    .configureHelp({
      showGlobalOptions: true,
      sortSubcommands: false,
      // top-level commands are listed by their manifest term, loaded or not
      subcommandTerm(cmd: Command): string {
        const term = cmd.parent?.parent === null ? TERMS.get(cmd.name()) : undefined;
        return term ?? Help.prototype.subcommandTerm.call(this, cmd);
      },
    });
  program.exitOverride();
  program.configureOutput({
    // main prints commander's errors itself, as an `error:`/`hint:` pair
    outputError: () => {},
  });
  return program;
}

/** The root program with every command in full (tests, docs, the programmatic use of the CLI). */
export async function buildProgram(): Promise<Command> {
  const program = createRoot();
  for (const entry of COMMANDS) (await entry.load())(program);
  return program;
}

/**
 * The root program for one run: the command `argv` names (`syncdoc [globals] <cmd> …` or
 * `syncdoc help <cmd>`) in full, every other one as a help-only entry.
 */
export async function buildProgramFor(argv: readonly string[]): Promise<Command> {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const wanted = words[0] === 'help' ? words[1] : words[0];
  const program = createRoot();
  for (const entry of COMMANDS) {
    if (entry.name === wanted) (await entry.load())(program);
    else program.command(entry.name).description(entry.summary);
  }
  return program;
}
