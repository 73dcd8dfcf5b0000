/**
 * A generated triple-layer snapshot of any size, for the benchmark and the crash test: a SQLite
 * `mindtrack.db` (moods + outbox + sync_metadata, the fixture's schema), an MMKV default instance
 * holding a Zustand `mood-store` with a newer copy of some records and a `pendingSync` queue, and a
 * Convex export ZIP with the server's copy of some records. Every value derives from the seed, so
 * the same arguments give the same bytes (apart from MMKV's placeholder, fixed here).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { encodeVarint32 } from '../readers/mmkv-bytes.js';

export interface SyntheticOptions {
  rows: number;
  /** Records also in the MMKV store (the first n; every 3rd of them newer there). */
  mmkvRows: number;
  /** Synced records among the first n are on the server (every 5th edited there later); 0: no export. */
  serverRows: number;
  seed?: number;
}

const BASE_MS = 1_735_000_000_000;
const MOODS = ['happy', 'calm', 'sad', 'tired', 'energetic', 'grateful', 'anxious'];
const USER = 'j57ca0z7d8wt7gmaey83vrqqhmzqf07m';

function uuid(i: number, seed: number): string {
  const h = ((i + 1) * 2654435761 + seed * 97) >>> 0;
  const hex = (n: number, w: number) => (n >>> 0).toString(16).padStart(w, '0').slice(-w);
  return `${hex(h, 8)}-${hex(i >>> 16, 4)}-4${hex(i, 3)}-a${hex(seed, 3)}-${hex(i, 12)}`;
}

interface Mood {
  id: string;
  server_id: string | null;
  mood: string;
  rating: number;
  note: string;
  tags_json: string;
  created_at: number;
  updated_at: number;
  sync_status: string;
}

function moodAt(i: number, seed: number): Mood {
  const created = BASE_MS + i * 60_000;
  const pending = i % 50 === 0;
  return {
    id: uuid(i, seed),
    server_id: pending ? null : `srv${(i + seed).toString(36).padStart(10, '0')}`,
    mood: MOODS[(i + seed) % MOODS.length]!,
    rating: (i % 5) + 1,
    note: `note ${i} felt ${MOODS[i % MOODS.length]}`,
    tags_json: i % 3 === 0 ? '["work","sleep"]' : '[]',
    created_at: created,
    updated_at: created + 1000,
    sync_status: pending ? 'pending' : 'synced',
  };
}

export async function generateTripleLayerSnapshot(dir: string, opts: SyntheticOptions): Promise<void> {
  const seed = opts.seed ?? 1;
  mkdirSync(join(dir, 'SQLite'), { recursive: true });
  mkdirSync(join(dir, 'mmkv'), { recursive: true });
  mkdirSync(join(dir, 'server'), { recursive: true });
  const db = new Database(join(dir, 'SQLite', 'mindtrack.db'));
  db.pragma('journal_mode = DELETE');
  db.exec(`
    CREATE TABLE moods (id TEXT PRIMARY KEY, server_id TEXT, user_id TEXT NOT NULL, mood TEXT NOT NULL, rating INTEGER,
      note TEXT, tags_json TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
      sync_status TEXT NOT NULL DEFAULT 'pending', version INTEGER NOT NULL DEFAULT 1);
    CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL, op TEXT NOT NULL, payload TEXT NOT NULL,
      created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT);
    CREATE TABLE sync_metadata (collection TEXT PRIMARY KEY, last_sync_time INTEGER, server_cursor TEXT, pending_changes INTEGER NOT NULL DEFAULT 0);
  `);
  const ins = db.prepare(
    'INSERT INTO moods (id, server_id, user_id, mood, rating, note, tags_json, created_at, updated_at, sync_status, version) VALUES (?,?,?,?,?,?,?,?,?,?,1)',
  );
  const out = db.prepare('INSERT INTO outbox (collection, op, payload, created_at) VALUES (?,?,?,?)');
  db.transaction(() => {
    for (let i = 0; i < opts.rows; i++) {
      const m = moodAt(i, seed);
      ins.run(m.id, m.server_id, USER, m.mood, m.rating, m.note, m.tags_json, m.created_at, m.updated_at, m.sync_status);
      if (m.sync_status === 'pending') out.run('moods', 'create', JSON.stringify({ id: m.id, mood: m.mood }), m.updated_at);
    }
    db.prepare('INSERT INTO sync_metadata VALUES (?,?,?,?)').run('moods', BASE_MS, 'cursor', 0);
  })();
  db.close();

  // MMKV: a Zustand mood-store with copies of the first records, every 3rd one newer
  const storeMoods = [];
  const pendingSync = [];
  for (let i = 0; i < opts.mmkvRows && i < opts.rows; i++) {
    const m = moodAt(i, seed);
    const newer = i % 3 === 0;
    storeMoods.push({
      id: m.id,
      serverId: m.server_id,
      userId: USER,
      mood: newer ? 'calm' : m.mood,
      rating: m.rating,
      note: newer ? `${m.note} (edited in app)` : m.note,
      tags: JSON.parse(m.tags_json) as string[],
      createdAt: m.created_at,
      updatedAt: newer ? m.updated_at + 5000 : m.updated_at,
      version: 1,
      emoji: '🙂',
    });
    if (newer) pendingSync.push({ opId: `op-${i}`, type: 'update', recordId: m.id, queuedAt: m.updated_at + 5000, attempts: 0 });
  }
  const items: Array<[string, Buffer]> = [
    ['theme', stringValue('dark')],
    ['mood-store', stringValue(JSON.stringify({ state: { moods: storeMoods, pendingSync }, version: 0 }))],
  ];
  writeMmkv(join(dir, 'mmkv', 'mmkv.default'), items);

  if (opts.serverRows === 0) return;
  // the server: the synced ones among the first serverRows records, every 5th edited on the web later
  const docs: string[] = [];
  for (let i = 0; i < opts.serverRows && i < opts.rows; i++) {
    const m = moodAt(i, seed);
    if (m.server_id === null) continue;
    const web = i % 5 === 0;
    docs.push(
      JSON.stringify({
        _creationTime: m.created_at + 0.5,
        _id: m.server_id,
        clientId: m.id,
        createdAt: m.created_at,
        mood: m.mood,
        note: web ? `${m.note} (web)` : m.note,
        rating: m.rating,
        tags: JSON.parse(m.tags_json) as string[],
        updatedAt: web ? m.updated_at + 9000 : m.updated_at,
        userId: USER,
        version: web ? 2 : 1,
      }).replace(/"(createdAt|updatedAt|rating|version)":(\d+)/g, '"$1":$2.0'),
    );
  }
  await writeZip(join(dir, 'server', 'snapshot_synthetic.zip'), [
    ['README.md', 'Convex snapshot export (synthetic)\n'],
    ['_tables/documents.jsonl', '{"name":"moods","id":10002}\n'],
    ['moods/generated_schema.jsonl', '"{}"\n'],
    ['moods/documents.jsonl', docs.join('\n') + (docs.length > 0 ? '\n' : '')],
  ]);
}

/** react-native-mmkv's string encoding: a length-prefixed UTF-8 payload. */
function stringValue(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([encodeVarint32(b.length), b]);
}

/** A plain (unencrypted) MMKV v2.4 data file + .crc meta, one item per key. */
function writeMmkv(path: string, items: Array<[string, Buffer]>): void {
  const parts: Buffer[] = [Buffer.from([0xff, 0xff, 0xff, 0x07])];
  for (const [key, value] of items) {
    const k = Buffer.from(key, 'utf8');
    parts.push(encodeVarint32(k.length), k, encodeVarint32(value.length), value);
  }
  const region = Buffer.concat(parts);
  const page = 4096;
  const size = Math.ceil((4 + region.length) / page) * page;
  const data = Buffer.alloc(size);
  region.copy(data, 4);
  writeFileSync(path, data);
  const meta = Buffer.alloc(page);
  const crc = crc32(region);
  meta.writeUInt32LE(crc, 0);
  meta.writeUInt32LE(4, 4); // meta version
  meta.writeUInt32LE(1, 8); // sequence
  meta.writeUInt32LE(region.length, 28);
  meta.writeUInt32LE(region.length, 32);
  meta.writeUInt32LE(crc, 36);
  writeFileSync(`${path}.crc`, meta);
}

async function writeZip(path: string, files: Array<[string, string]>): Promise<void> {
  const { ZipFile } = await import('yazl');
  const zip = new ZipFile();
  for (const [name, text] of files) zip.addBuffer(Buffer.from(text, 'utf8'), name, { mtime: new Date(Date.UTC(1980, 0, 1)) });
  zip.end();
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject);
  });
}
