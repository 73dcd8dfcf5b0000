// syncdoc reference sync module: the tables. Copy this file (merge the two tables into your own
// schema.ts if you have one) and sync.ts into your app's convex/ folder; see syncdoc's README.
import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';

export default defineSchema({
  // One row per synced record, whatever its collection. Deletes are tombstones (deleted: true) so
  // they reach changesSince. (serverTs, opSeq) orders changes by commit: serverTs is the commit
  // timestamp of the writing mutation, opSeq the op's position within it.
  syncRecords: defineTable({
    collection: v.string(),
    recordId: v.string(),
    version: v.number(),
    deleted: v.boolean(),
    data: v.any(),
    updatedAt: v.union(v.number(), v.null()),
    serverTs: v.commitTs(),
    opSeq: v.number(),
  })
    .index('by_record', ['collection', 'recordId'])
    .index('by_change', ['serverTs', 'opSeq']),
  // The op-key ledger: a key applied once is answered `duplicate` forever. Prune rows older than
  // your longest outbox outage with a cron if it grows too large.
  syncOps: defineTable({
    key: v.string(),
    collection: v.string(),
    recordId: v.string(),
    version: v.number(),
  }).index('by_key', ['key']),
});
