/**
 * The stderr side of the CLI: log lines and the spinner. stdout is for results only.
 * A spinner is shown only when stderr is a TTY and neither `--json` nor `--quiet` is set,
 * so piping or CI never sees control characters.
 */
import type { GlobalOptions } from '../cli/global-options.js';

export interface Spinner {
  text(text: string): void;
  stop(): void;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  spinner(text: string): Promise<Spinner>;
}

const NO_SPINNER: Spinner = { text() {}, stop() {} };

export function createLogger(globals: GlobalOptions, stream: NodeJS.WriteStream = process.stderr): Logger {
  // A pseudo-terminal reporting 0 columns (e.g. under `script`) makes ora redraw forever: treat it as
  // non-interactive.
  const interactive = Boolean(stream.isTTY) && (stream.columns ?? 0) > 0 && !globals.json && !globals.quiet;
  return {
    info(message) {
      if (!globals.quiet) stream.write(message + '\n');
    },
    warn(message) {
      stream.write(`warning: ${message}\n`);
    },
    debug(message) {
      if (globals.verbose) stream.write(`debug: ${message}\n`);
    },
    async spinner(text) {
      if (!interactive) return NO_SPINNER;
      const { default: ora } = await import('ora');
      const s = ora({ text, stream, isEnabled: true }).start();
      return {
        text(t) {
          s.text = t;
        },
        stop() {
          s.stop();
        },
      };
    },
  };
}
