/**
 * The CLI entry point and the one place that decides the exit code. Everything thrown by a
 * command ends here: typed SyncdocErrors become `error:`/`hint:` and their exit code, commander's
 * usage errors become exit 2, anything else is a bug (exit 70). Stack traces only with --verbose.
 */
import { CommanderError } from './commander.js';
import { ExitCode, isSyncdocError } from '../errors.js';
import { buildProgramFor } from './program.js';
import { takeOutcome } from './runtime.js';
import { removeAllTempDirs } from '../snapshot/temp.js';

function printError(message: string, hint: string | undefined, err?: unknown): void {
  const verbose = process.argv.includes('--verbose');
  let text = `error: ${message}\n`;
  if (hint) text += `hint: ${hint}\n`;
  if (verbose && err instanceof Error && err.stack) text += err.stack + '\n';
  process.stderr.write(text);
}

function isBrokenPipe(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return true;
  }
  return false;
}

function commandName(argv: string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

export async function main(argv: string[]): Promise<ExitCode> {
  const onSigint = (): void => {
    removeAllTempDirs();
    process.stderr.write('error: interrupted\n');
    process.exit(ExitCode.interrupted);
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  // Without a listener an EPIPE on stdout is an uncaught exception; the failing write also rejects
  // in writeOut, which is where it is handled.
  const onStdoutError = (): void => {};
  process.stdout.on('error', onStdoutError);

  const program = await buildProgramFor(argv);
  try {
    await program.parseAsync(argv);
    return takeOutcome() ?? ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
        return ExitCode.ok;
      }
      const cmd = commandName(argv);
      const known = cmd !== undefined && program.commands.some((c) => c.name() === cmd);
      // `syncdoc` alone prints the help on stderr (code commander.help): still a usage error
      if (err.code !== 'commander.help') {
        printError(err.message.replace(/^error:\s*/i, ''), known ? `see \`syncdoc ${cmd} --help\`` : 'see `syncdoc --help` for the commands');
      }
      return ExitCode.usage;
    }
    // The reader of our stdout went away (`syncdoc … | head`): nothing is wrong and nobody is left
    // to tell; end quietly like other Unix tools.
    if (isBrokenPipe(err)) return takeOutcome() ?? ExitCode.ok;
    if (isSyncdocError(err)) {
      printError(err.subject ? `${err.message}: ${err.subject}` : err.message, err.hint, err);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    printError(`internal error: ${message}`, 'this is a bug in syncdoc; rerun with --verbose and report the output', err);
    return ExitCode.internal;
  } finally {
    removeAllTempDirs();
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
}

// Set the exit code and let stdout drain: process.exit() here would truncate piped output.
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: internal error: ${String(err)}\n`);
    process.exitCode = ExitCode.internal;
  },
);
