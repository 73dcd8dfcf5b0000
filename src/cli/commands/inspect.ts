// Placeholder registration until the inspect command lands (issue 2); replaced, not extended.
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { action } from '../runtime.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('report the stores and sync state of a snapshot (folder or archive), read-only')
    .argument('<snapshot>', 'snapshot folder, file or archive')
    .action(
      action<[string], object>(async ([snapshot]) => {
        throw new InputError('not implemented yet', { code: 'E_TODO', subject: snapshot });
      }),
    );
}
