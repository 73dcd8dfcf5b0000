/** argv → options for `outbox replay`, as a table: defaults, every flag, every usage error (exit 2). */
import { describe, expect, it } from 'vitest';
import { toReplayOptions, type ReplayCliOptions } from '../cli/commands/outbox.js';

describe('outbox replay argv', () => {
  it('defaults', () => {
    expect(toReplayOptions('snap', { backend: 'local' })).toEqual({
      snapshot: 'snap',
      backend: 'local',
      batchSize: 500,
      maxBatchBytes: 1024 * 1024,
      concurrency: 4,
      dryRun: false,
      maxAttempts: 8,
      timeoutMs: 30_000,
      backoffBaseMs: 100,
      backoffMaxMs: 10_000,
    });
  });

  it('every flag', () => {
    const opts: ReplayCliOptions = {
      backend: 'convex', url: 'https://a.convex.cloud', journal: 'j.sqlite', batch: '50', maxBatchBytes: '4096', concurrency: '2',
      dryRun: true, maxAttempts: '3', timeoutMs: '500', backoffBaseMs: '10', backoffMaxMs: '20', pushFunction: 'x:push', pullFunction: 'x:pull', authEnv: 'TOKEN',
    };
    expect(toReplayOptions('snap', opts, { TOKEN: 'secret' })).toEqual({
      snapshot: 'snap', backend: 'convex', url: 'https://a.convex.cloud', journal: 'j.sqlite', batchSize: 50, maxBatchBytes: 4096, concurrency: 2,
      dryRun: true, maxAttempts: 3, timeoutMs: 500, backoffBaseMs: 10, backoffMaxMs: 20, pushFunction: 'x:push', pullFunction: 'x:pull', authToken: 'secret',
    });
  });

  const errors: Array<[string, string, ReplayCliOptions, RegExp]> = [
    ['no backend', 'snap', {}, /--backend is required/],
    ['unknown backend', 'snap', { backend: 'ftp' }, /--backend must be one of/],
    ['http without url', 'snap', { backend: 'http' }, /needs --url/],
    ['convex without url', 'snap', { backend: 'convex' }, /needs --url/],
    ['bad url', 'snap', { backend: 'local', url: 'nope' }, /not a URL/],
    ['non-http url', 'snap', { backend: 'local', url: 'ftp://x' }, /must be http/],
    ['zero batch', 'snap', { backend: 'local', batch: '0' }, /--batch must be an integer/],
    ['fractional concurrency', 'snap', { backend: 'local', concurrency: '1.5' }, /--concurrency must be an integer/],
    ['tiny byte cap', 'snap', { backend: 'local', maxBatchBytes: '10' }, /--max-batch-bytes must be an integer ≥ 256/],
    ['backoff cap below base', 'snap', { backend: 'local', backoffBaseMs: '100', backoffMaxMs: '10' }, /--backoff-max-ms must be ≥/],
    ['convex names on http', 'snap', { backend: 'http', url: 'http://x', pushFunction: 'a:b' }, /only apply to --backend convex/],
    ['unset auth env', 'snap', { backend: 'convex', url: 'https://x', authEnv: 'NOPE' }, /not set/],
    ['empty snapshot', ' ', { backend: 'local' }, /snapshot path is empty/],
  ];
  it.each(errors)('%s → usage error (exit 2)', (_name, snapshot, opts, message) => {
    expect(() => toReplayOptions(snapshot, opts, {})).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(message) }));
  });
});
