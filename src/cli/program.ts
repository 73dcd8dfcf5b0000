/**
 * Registers every command on the root program. Command files import only commander types and
 * load their domain code lazily inside the action, so `syncdoc --help` stays as cheap as Node's
 * own start-up.
 */
import { Command, Option } from 'commander';
import { register as registerInspect } from './commands/inspect.js';
import { register as registerMmkv } from './commands/mmkv.js';
import { register as registerQuery } from './commands/query.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerOutbox } from './commands/outbox.js';
import { register as registerMigrate } from './commands/migrate.js';
import { register as registerVerify } from './commands/verify.js';
import { register as registerSimulate } from './commands/simulate.js';

type Register = (program: Command) => void;

// One line per command; the order here is the order in `syncdoc --help`.
const COMMANDS: Register[] = [registerInspect, registerMmkv, registerQuery, registerMigrate, registerVerify, registerServe, registerOutbox, registerSimulate];

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('syncdoc')
    .description('Read, migrate, verify, replay and simulate the local data of offline-first mobile apps.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--json', 'print one JSON document (with schemaVersion) on stdout'))
    .addOption(new Option('-q, --quiet', 'no progress or log lines on stderr'))
    .addOption(new Option('--verbose', 'debug logs, and stack traces on errors'))
    .addOption(new Option('--redact', 'replace free text (notes, titles, payload strings) with stable placeholders'))
    .addOption(new Option('--no-color', 'no colours (NO_COLOR is honoured too)'))
    .showHelpAfterError(false)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  program.exitOverride();
  program.configureOutput({
    // main prints commander's errors itself, as an `error:`/`hint:` pair
    outputError: () => {},
  });
  for (const register of COMMANDS) register(program);
  return program;
}
