/**
 * Glue between commander and command functions. A command action returns its exit code; the
 * runtime records it for `main.ts`, the one place that sets `process.exitCode`. stdout writes go
 * through `writeOut`, which main awaits before the process ends so large outputs to a pipe are
 * never truncated.
 */
import type { Command } from 'commander';
import type { ExitCode } from '../errors.js';
import { readGlobalOptions, type GlobalOptions } from './global-options.js';

let outcome: ExitCode | undefined;

export function takeOutcome(): ExitCode | undefined {
  return outcome;
}

/**
 * Wraps a command body: commander passes positional args, then the command's options, then the
 * Command itself; the body also gets the global options merged from the root program.
 */
export function action<A extends unknown[], O>(
  body: (args: A, opts: O, globals: GlobalOptions) => Promise<ExitCode>,
): (...raw: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = raw[raw.length - 2] as O;
    const args = raw.slice(0, -2) as A;
    const globals = readGlobalOptions(cmd.optsWithGlobals());
    outcome = await body(args, opts, globals);
  };
}

export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
