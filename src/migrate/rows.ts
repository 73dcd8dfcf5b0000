/**
 * One layout per collection, shared by the three places that touch unified rows: plan (row
 * checksums and digests of the final records), apply (the INSERT) and verify (reading the written
 * rows back). All three go through the integrity module's canonical encoder over the same column
 * list, so a digest computed at plan time and one recomputed from the file agree exactly when the
 * file holds what was planned.
 */
import {
  compileRowEncoder,
  DigestAccumulator,
  hex64,
  resolveRules,
  camelCase,
  canonicalRecord,
  type CollectionDigest,
  type FieldKind,
  type FieldSpec,
  type RecordHasher,
} from '../integrity/index.js';
import { collectionColumns, SYNC_HEAD_COLUMNS, SYNC_TAIL_COLUMNS } from '../schema/index.js';
import type { FieldValue, FinalRecord } from './types.js';

const RULES = resolveRules();

export interface CollectionLayout {
  collection: string;
  /** `records` for collections the schema has no table for. */
  table: string;
  generic: boolean;
  /** Every column written, in table order. */
  columns: string[];
  /** Canonical-form layout: `client_id` first, then the content columns (see `contentColumns`). */
  specs: FieldSpec[];
  contentColumns: string[];
}

const layouts = new Map<string, CollectionLayout>();

export function layoutOf(collection: string): CollectionLayout {
  const cached = layouts.get(collection);
  if (cached !== undefined) return cached;
  const cols = collectionColumns(collection);
  let layout: CollectionLayout;
  if (cols === undefined) {
    layout = {
      collection,
      table: 'records',
      generic: true,
      columns: ['collection', 'client_id', 'server_id', 'user_id', 'data', ...SYNC_TAIL_COLUMNS],
      specs: [],
      contentColumns: [],
    };
  } else {
    const content = ['user_id', ...cols.domain.map((d) => d.name), 'created_at', 'updated_at', 'deleted_at', 'version'];
    const kinds = new Map<string, FieldKind>(cols.domain.map((d) => [d.name, d.kind]));
    layout = {
      collection,
      table: cols.table,
      generic: false,
      columns: [...SYNC_HEAD_COLUMNS, ...cols.domain.map((d) => d.name), ...SYNC_TAIL_COLUMNS],
      specs: content.map((c) => ({ field: camelCase(c), kind: kinds.get(c) ?? 'integer' })),
      contentColumns: content,
    };
    // user_id is text; the rest of the sync content columns are integers
    layout.specs[0] = { field: 'userId', kind: 'text' };
  }
  layouts.set(collection, layout);
  return layout;
}

/** The values of a final record in `layout.columns` order, ready to bind. */
export function rowValues(layout: CollectionLayout, r: FinalRecord): unknown[] {
  if (layout.generic) {
    return [
      layout.collection,
      r.clientId,
      r.serverId,
      r.userId,
      JSON.stringify(r.fields),
      r.createdAt,
      r.updatedAt,
      r.deletedAt,
      r.version,
      r.vectorClock,
      r.syncStatus,
      r.rowChecksum,
    ];
  }
  const out: unknown[] = [r.clientId, r.serverId, r.userId];
  for (const c of layout.columns.slice(3, -SYNC_TAIL_COLUMNS.length)) out.push(r.fields[c] ?? null);
  out.push(r.createdAt, r.updatedAt, r.deletedAt, r.version, r.vectorClock, r.syncStatus, r.rowChecksum);
  return out;
}

/** Canonical text of a record in the layout: what its row checksum and digest entry hash. */
export type ContentEncoder = (clientId: string, content: readonly unknown[]) => string;

const encoders = new Map<string, ContentEncoder>();

export function encoderOf(layout: CollectionLayout): ContentEncoder {
  const cached = encoders.get(layout.collection);
  if (cached !== undefined) return cached;
  let enc: ContentEncoder;
  if (layout.generic) {
    // content = [user_id, data JSON text, created_at, updated_at, deleted_at, version]
    enc = (clientId, c) => {
      const data = JSON.parse(String(c[1])) as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      for (const k of Object.keys(data)) fields[camelCase(k)] = data[k];
      Object.assign(fields, { userId: c[0], createdAt: c[2], updatedAt: c[3], deletedAt: c[4], version: c[5] });
      return canonicalRecord({ id: clientId, fields }, RULES);
    };
  } else {
    const row = rowEncoderOf(layout)!;
    enc = (clientId, c) => row([clientId, ...c]);
  }
  encoders.set(layout.collection, enc);
  return enc;
}

/**
 * The row encoder of a layout with its own table, reading `[client_id, ...content]` directly (the
 * shape of a `contentSelect` row or of the bulk checksum function's arguments); undefined for the
 * generic `records` layout. Same text as `encoderOf(layout)(row[0], row.slice(1))`.
 */
export function rowEncoderOf(layout: CollectionLayout): ((row: readonly unknown[]) => string) | undefined {
  if (layout.generic) return undefined;
  let enc = rowEncoders.get(layout.collection);
  if (enc === undefined) rowEncoders.set(layout.collection, (enc = compileRowEncoder(layout.specs, RULES)));
  return enc;
}

const rowEncoders = new Map<string, (row: readonly unknown[]) => string>();

/** The content values of a final record (see `CollectionLayout.contentColumns`). */
export function contentValues(layout: CollectionLayout, r: FinalRecord): unknown[] {
  if (layout.generic) return [r.userId, JSON.stringify(r.fields), r.createdAt, r.updatedAt, r.deletedAt, r.version];
  const out: unknown[] = [r.userId];
  for (const c of layout.contentColumns.slice(1, -4)) out.push(r.fields[c] ?? null);
  out.push(r.createdAt, r.updatedAt, r.deletedAt, r.version);
  return out;
}

/** SELECT returning `client_id` then the content columns, for verify. */
export function contentSelect(layout: CollectionLayout): { sql: string; params: unknown[] } {
  if (layout.generic) {
    return {
      sql: 'SELECT client_id, user_id, data, created_at, updated_at, deleted_at, version FROM records WHERE collection = ?',
      params: [layout.collection],
    };
  }
  return { sql: `SELECT client_id, ${layout.contentColumns.map((c) => `"${c}"`).join(', ')} FROM "${layout.table}"`, params: [] };
}

export function checksumOf(hasher: RecordHasher, canonical: string): string {
  return hex64(hasher.hash(canonical));
}

export class CollectionDigester {
  private readonly acc = new DigestAccumulator();
  constructor(private readonly hasher: RecordHasher) {}
  /** Adds a record; returns its hash so the caller can reuse it as the row checksum. */
  add(clientId: string, canonical: string): bigint {
    const h = this.hasher.hash(canonical);
    this.acc.add(this.hasher.bucketOf(clientId), h);
    return h;
  }
  digest(): CollectionDigest {
    return this.acc.toDigest();
  }
}

export type { FieldValue };
