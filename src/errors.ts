/**
 * The one registry of exit codes and the typed errors domain code throws.
 * Domain modules throw `SyncdocError` subclasses (never print, never exit); only `cli/main.ts`
 * turns them into an `error:`/`hint:` pair on stderr and an exit code. Findings are data, not
 * errors: a problem *in* the user's data is a finding, a problem that stops us reading it is an error.
 */

export const ExitCode = {
  ok: 0,
  problems: 1,
  usage: 2,
  inconclusive: 3,
  inputUnusable: 4,
  backend: 5,
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Documented in README's exit-code table; the docs test checks every entry appears there. */
export const EXIT_CODE_DOCS: ReadonlyArray<{ code: ExitCode; name: keyof typeof ExitCode; meaning: string }> = [
  { code: 0, name: 'ok', meaning: 'pass: no error findings, checksums match, every op applied' },
  { code: 1, name: 'problems', meaning: 'problems found: error findings, checksum mismatch, checker violation, rejected or conflicting ops' },
  { code: 2, name: 'usage', meaning: 'usage error: unknown command or flag, bad flag value, output exists without --force' },
  { code: 3, name: 'inconclusive', meaning: 'inconclusive: e.g. replay outcomes unknown after indefinite failures' },
  { code: 4, name: 'inputUnusable', meaning: 'input unusable: missing, unreadable, corrupt or unsupported' },
  { code: 5, name: 'backend', meaning: 'backend or transient failure: unreachable, timeout, lock held' },
  { code: 70, name: 'internal', meaning: 'internal error (a bug in syncdoc): please report it with --verbose output' },
  { code: 130, name: 'interrupted', meaning: 'interrupted (Ctrl-C)' },
];

export interface ErrorDetails {
  /** Stable machine-readable code, e.g. `E_INPUT_MISSING`. */
  code: string;
  /** What to do about it: a command or a flag. */
  hint?: string;
  /** The file, URL or key the error is about. */
  subject?: string;
  cause?: unknown;
}

export class SyncdocError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly subject: string | undefined;

  constructor(exitCode: ExitCode, message: string, details: ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.code = details.code;
    this.hint = details.hint;
    this.subject = details.subject;
  }
}

/** Bad flags or arguments (exit 2). */
export class UsageError extends SyncdocError {
  constructor(message: string, details: Partial<ErrorDetails> = {}) {
    super(ExitCode.usage, message, { code: 'E_USAGE', ...details });
  }
}

/** The input cannot be read: missing, unreadable, corrupt, unsupported (exit 4). */
export class InputError extends SyncdocError {
  constructor(message: string, details: ErrorDetails) {
    super(ExitCode.inputUnusable, message, details);
  }
}

/** A backend is unreachable, timed out or a lock is held (exit 5). */
export class BackendError extends SyncdocError {
  constructor(message: string, details: ErrorDetails) {
    super(ExitCode.backend, message, details);
  }
}

/** The user pressed Ctrl-C (exit 130). */
export class InterruptedError extends SyncdocError {
  constructor() {
    super(ExitCode.interrupted, 'interrupted', { code: 'E_INTERRUPTED' });
  }
}

export function isSyncdocError(err: unknown): err is SyncdocError {
  return err instanceof SyncdocError;
}
