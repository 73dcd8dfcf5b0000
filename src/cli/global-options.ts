/** Options every command accepts (declared once on the root program). */
export interface GlobalOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  redact: boolean;
  color: boolean;
}

export function readGlobalOptions(opts: Record<string, unknown>): GlobalOptions {
  return {
    json: opts['json'] === true,
    quiet: opts['quiet'] === true,
    verbose: opts['verbose'] === true,
    redact: opts['redact'] === true,
    color: opts['color'] !== false,
  };
}
