/**
 * Finding codes emitted by `outbox lint`. Every finding also names the queue entries (`ops`) and
 * records (`records`) involved; the README's finding-code table lists each code below.
 */
export const FINDING_CODES: Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }> = {
  OUTBOX_DUPLICATE_KEY: { severity: 'error', meaning: 'two or more queue entries share one idempotency key' },
  OUTBOX_DUPLICATE_OP: { severity: 'error', meaning: 'the same op (record, kind, payload) is queued more than once (double enqueue)' },
  OUTBOX_DUPLICATE_OP_REKEYED: {
    severity: 'error',
    meaning: 'the same op (record, kind, payload) is queued under different idempotency keys: server dedupe cannot catch it',
  },
  OUTBOX_ORPHAN: { severity: 'error', meaning: 'a create/update is queued for a record that no longer exists in its store' },
  OUTBOX_BEFORE_CREATE: { severity: 'error', meaning: "an update or delete is ordered before its record's create" },
  OUTBOX_AFTER_DELETE: { severity: 'error', meaning: "an op is ordered after its record's delete" },
  OUTBOX_DEPENDENCY_CYCLE: { severity: 'error', meaning: 'depends_on forms a cycle: none of its ops can ever be sent' },
  OUTBOX_DEPENDENCY_DANGLING: { severity: 'error', meaning: 'depends_on names a queue entry that does not exist' },
  OUTBOX_BLOCKED_BY_FAILED: { severity: 'error', meaning: 'open ops wait (depends_on or same record) behind a failed or dead op' },
  OUTBOX_STUCK_IN_FLIGHT: {
    severity: 'warn',
    meaning: 'an op is marked in flight in a snapshot: its outcome is unknown; replay re-sends it with the same key',
  },
  OUTBOX_POISON: { severity: 'error', meaning: 'an open op has used its whole retry budget (attempts ≥ max) and will never be retried' },
  OUTBOX_RETRYING: { severity: 'info', meaning: 'an op failed before and is waiting for another attempt' },
  OUTBOX_INVALID_STATUS: { severity: 'error', meaning: 'a queue entry has a status outside the queue vocabulary' },
  OUTBOX_INVALID_OP: { severity: 'error', meaning: 'a queue entry has an op kind other than create, update or delete' },
  OUTBOX_SEQ_GAP: { severity: 'warn', meaning: 'sequence numbers skip values: a strict in-order consumer waiting for them stalls' },
  OUTBOX_SEQ_DUPLICATE: { severity: 'error', meaning: 'two queue entries share a sequence number: their order is undefined' },
  OUTBOX_SEQ_NULL: { severity: 'error', meaning: 'a queue entry has no sequence number' },
  OUTBOX_CREATED_AT_ORDER: { severity: 'warn', meaning: 'created_at goes backwards along the sequence order' },
  OUTBOX_TIMESTAMP_FUTURE: { severity: 'error', meaning: 'a queue timestamp lies in the future of the lint clock' },
  OUTBOX_TIMESTAMP_UNITS_MIXED: { severity: 'warn', meaning: 'one queue mixes timestamp units (s, ms, µs)' },
  OUTBOX_PAYLOAD_INVALID: { severity: 'error', meaning: 'a payload is not valid JSON, not an object, or missing on a create/update' },
  OUTBOX_PAYLOAD_PROTO_KEY: { severity: 'error', meaning: 'a payload carries __proto__, constructor or prototype keys' },
  OUTBOX_MISSING_OP: { severity: 'error', meaning: 'a record has unsynced local changes but no open queue entry (lost enqueue)' },
  OUTBOX_STATUS_MISMATCH: { severity: 'warn', meaning: "a record's change flag and its sync status disagree (dirty but marked synced)" },
  OUTBOX_WAL_MISSING: {
    severity: 'error',
    meaning: 'the queue was read from a WAL-mode database whose -wal is missing: entries may be stale or lost',
  },
  OUTBOX_MIRROR_NOT_IN_OUTBOX: {
    severity: 'warn',
    meaning: "a second queue kept beside the outbox (e.g. a Zustand pendingSync in MMKV) holds ops the outbox lacks: they are sent only if that queue is",
  },
  OUTBOX_CLOCK_CONCURRENT: {
    severity: 'error',
    meaning: "a queued update's vector clock is concurrent with its record's: replaying it overwrites another device's edit",
  },
};
