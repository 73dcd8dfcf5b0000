// The guess made before a snapshot is opened, whether it is large enough for worker threads (so
// that they start while it is copied): a file's size, or a folder's files' sizes, bounded.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchDir } from '../test-support/cli.js';
import { inputAtLeast } from './run.js';

describe('inputAtLeast', () => {
  it('adds up a file or the files under a folder, and gives up past the entry limit', () => {
    const dir = scratchDir();
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'one'), Buffer.alloc(600));
    writeFileSync(join(dir, 'a', 'b', 'two'), Buffer.alloc(500));
    expect(inputAtLeast(join(dir, 'a', 'one'), 600)).toBe(true);
    expect(inputAtLeast(join(dir, 'a', 'one'), 601)).toBe(false);
    expect(inputAtLeast(dir, 1100)).toBe(true);
    expect(inputAtLeast(dir, 1101)).toBe(false);
    expect(inputAtLeast(dir, 1100, 2)).toBe(false);
    expect(inputAtLeast(join(dir, 'missing'), 1)).toBe(false);
  });
});
