/**
 * Test support: every change a backend holds, page by page from the beginning, for tests that
 * compare a server's final state with what they expect (the contract suite, the fault tests).
 * Bounded: a backend that never reports the last page fails instead of looping forever.
 */
import type { Backend, Change } from '../types.js';

export async function pullAll(backend: Backend, pageSize = 100, maxPages = 10_000): Promise<Change[]> {
  const changes: Change[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const p = await backend.pull(cursor, pageSize);
    changes.push(...p.changes);
    cursor = p.cursor;
    if (!p.hasMore) return changes;
  }
  throw new Error(`pull did not end after ${maxPages} pages`);
}
