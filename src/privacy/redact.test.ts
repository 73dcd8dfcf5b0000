// Redaction rules on hand-written records, plus properties over arbitrary JSON (fast-check): the
// same input always redacts the same way, structure and non-text values survive, and no string that
// sits under a free-text key ever reaches the output.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyKey, createRedactor, NO_REDACTION, redactorFor } from './redact.js';

describe('redactor', () => {
  it('keeps ids, timestamps, counts, statuses and flags; replaces free text with stable placeholders', () => {
    const r = createRedactor();
    const record = {
      id: 'q_00003',
      client_id: '434f506a-2cfb-47a2-8146-57a8ea8826c3',
      text: 'Feelings are just visitors.',
      title: 'Feelings are just visitors.',
      author: 'Mooji',
      note: 'slept badly',
      createdAt: 1734436800000,
      updated_at: 1741801914548,
      sync_status: 'pending',
      syncMetadata: { isDirty: true, syncStatus: 'error', retryCount: 3, lastSyncedAt: null },
      attempts: 5,
      last_error: 'HTTP 500: Internal Server Error',
      collection: 'text_notes',
      operation: 'update',
      is_pinned: 0,
    };
    const out = r.value(record) as Record<string, unknown>;
    expect(out).toEqual({
      ...record,
      text: '‹text-1›',
      title: '‹text-1›', // same words, same placeholder: duplicates stay visible
      author: '‹text-2›',
      note: '‹text-3›',
      last_error: '‹text-4›',
    });
    expect(record.text).toBe('Feelings are just visitors.'); // input untouched
  });

  it('redacts inside JSON strings (outbox payloads, redux-persist slices), field by field', () => {
    const r = createRedactor();
    const payload = JSON.stringify({ id: 'n1', body: 'run calm progress', updated_at: 5, tags: ['a b c'] });
    const out = r.value({ data: payload }) as { data: string };
    expect(JSON.parse(out.data)).toEqual({ id: 'n1', body: '‹text-1›', updated_at: 5, tags: ['‹text-2›'] });
    const nested = JSON.stringify({ quotes: JSON.stringify({ items: [{ id: 'q1', text: 'Breathe in, breathe out.' }] }) });
    const out2 = r.value(nested, 'value') as string;
    expect(out2).not.toContain('Breathe');
    expect(out2).toContain('q1');
  });

  it('unknown keys: single tokens, uuids, dates and numbers stay; anything with spaces or an email goes', () => {
    const r = createRedactor();
    expect(r.value('srv_t_00005', 'whatever')).toBe('srv_t_00005');
    expect(r.value('2025-03-14T12:00:00.000Z', 'whatever')).toBe('2025-03-14T12:00:00.000Z');
    expect(r.value('12.5', 'whatever')).toBe('12.5');
    expect(r.value('two words', 'whatever')).toBe('‹text-1›');
    expect(r.value('me@example.com', 'user_id')).toBe('‹text-2›');
    expect(r.value(new Uint8Array(3), 'blob')).toBe('‹blob 3 bytes›');
  });

  it('classifies keys', () => {
    expect(classifyKey('title')).toBe('free-text');
    expect(classifyKey('last_error')).toBe('free-text');
    expect(classifyKey('table_name')).toBe('keep');
    expect(classifyKey('document_id')).toBe('keep');
    expect(classifyKey('isFavorite')).toBe('keep');
    expect(classifyKey('audio_uri')).toBe('unknown');
  });

  it('redactorFor(false) passes everything through', () => {
    expect(redactorFor(false)).toBe(NO_REDACTION);
    expect(NO_REDACTION.value({ text: 'x y' })).toEqual({ text: 'x y' });
  });

  const FREE = ['note', 'title', 'text', 'body', 'description', 'transcript', 'content', 'message'];
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...FREE, 'id', 'status', 'updated_at')), tie('value'), {
        maxKeys: 5,
      }),
    ),
  })).value;

  it('property: deterministic for a fresh redactor, shape-preserving, non-strings untouched', () => {
    fc.assert(
      fc.property(json, (v) => {
        const a = createRedactor().value(v);
        const b = createRedactor().value(v);
        expect(a).toEqual(b);
        const walk = (x: unknown, y: unknown): void => {
          if (Array.isArray(x)) {
            expect(Array.isArray(y) && y.length === x.length).toBe(true);
            x.forEach((item, i) => walk(item, (y as unknown[])[i]));
          } else if (x !== null && typeof x === 'object') {
            expect(Object.keys(y as object)).toEqual(Object.keys(x));
            for (const k of Object.keys(x)) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]);
          } else if (typeof x !== 'string') {
            expect(y).toBe(x);
          } else {
            expect(typeof y).toBe('string');
          }
        };
        walk(v, a);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a string under a free-text key never survives (unless it is JSON redacted inside)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FREE), fc.string({ minLength: 1 }), (key, s) => {
        const out = createRedactor().value({ [key]: s }) as Record<string, string>;
        const trimmed = s.trimStart();
        if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) expect(out[key]).toMatch(/^‹text-1›$/);
      }),
      { numRuns: 300 },
    );
  });
});
