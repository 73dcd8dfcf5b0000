/**
 * Finding codes raised by the MMKV and AsyncStorage readers, the JSON/collection decoding they
 * share, and the cross-layer comparison built on them (src/inspect/cross-layer.ts). Stable:
 * scripts match on them; README lists every one (checked by src/docs.test.ts).
 */
export const FINDING_CODES: Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }> = {
  MMKV_CRC_MISSING: { severity: 'warn', meaning: 'an MMKV data file has no .crc beside it: nothing to verify against; MMKV itself would discard the store on load' },
  MMKV_META_SHORT: { severity: 'info', meaning: 'the .crc file is shorter than the 112-byte meta struct (MMKV 1.0.x or cut); missing fields read as zero' },
  MMKV_META_VERSION_INVALID: { severity: 'error', meaning: 'the .crc meta version is 7 or more, which MMKV treats as garbage' },
  MMKV_META_VERSION_RESERVED: { severity: 'warn', meaning: 'the .crc meta version is 5 or 6 (reserved); decoded as version 4' },
  MMKV_SIZE_BEYOND_FILE: { severity: 'error', meaning: 'the recorded data size runs past the end of the data file (file cut short)' },
  MMKV_CRC_MISMATCH: { severity: 'error', meaning: 'CRC-32 of the data region differs from the .crc digest: data or meta damaged or written incompletely' },
  MMKV_HEADER_MISMATCH: { severity: 'info', meaning: 'the data-file header size differs from the authoritative meta size (normal for some writers)' },
  MMKV_TORN_TAIL: { severity: 'error', meaning: 'the last item runs past the end of the data region; the tail from that offset is unreadable' },
  MMKV_BAD_ITEM: { severity: 'error', meaning: 'an item has an impossible length or expiry; the region from that offset is unreadable' },
  MMKV_WOULD_ROLL_BACK: { severity: 'warn', meaning: 'on load the real MMKV would silently roll back to an older size/CRC pair, losing every later append' },
  MMKV_WOULD_DISCARD: { severity: 'warn', meaning: 'on load the real MMKV finds no matching size/CRC pair and, by default, discards the whole store' },
  MMKV_RECOVERED: { severity: 'info', meaning: 'what syncdoc read from an unverified or damaged instance: complete items, and where the unreadable tail starts' },
  MMKV_STALE_BYTES: { severity: 'info', meaning: 'non-zero bytes after the data region: leftovers of older content (clearAll, override, write-back), ignored' },
  MMKV_KEY_EXPIRED: { severity: 'info', meaning: 'keys past their expiry stamp that are still in the file' },
  MMKV_AS_MISMATCH: { severity: 'warn', meaning: 'a --as KEY=TYPE override does not fit the stored payload; the inferred type is shown' },
  MMKV_KEY_UNVERIFIED: { severity: 'warn', meaning: 'the key decrypts an encrypted instance to a single item, which a wrong key can do by chance (MMKV stores no key check value)' },
  MMKV_NOT_ENCRYPTED: { severity: 'info', meaning: 'a key was given but the instance is plain; it was read without the key' },
  MMKV_ENCRYPTED: { severity: 'warn', meaning: 'an MMKV instance is encrypted and no key was given (inspect takes none: use `syncdoc mmkv --key-env`)' },
  MMKV_UNREADABLE: { severity: 'error', meaning: 'one MMKV instance of a folder could not be decoded (encrypted without key, wrong key, too short)' },
  ASYNCSTORAGE_SPILL_MISSING: { severity: 'error', meaning: 'an iOS AsyncStorage value lives in a side file (md5 of the key) that is missing: the value is lost' },
  ASYNCSTORAGE_NON_TEXT: { severity: 'warn', meaning: 'an AsyncStorage key or value is not a string (AsyncStorage only writes strings); skipped' },
  VALUE_JSON_UNPARSEABLE: { severity: 'warn', meaning: 'a stored value (or redux-persist slice) looks like JSON but does not parse; no records taken from it' },
  COLLECTION_DUPLICATE_ID: { severity: 'warn', meaning: 'a stored array holds the same record id twice; the later entry is kept, as the app would see it' },
  CROSS_LAYER_DUPLICATE_EQUAL: { severity: 'info', meaning: 'a record is in a SQLite table and in an MMKV/AsyncStorage collection with the same content' },
  CROSS_LAYER_DUPLICATE_DIFFERS: { severity: 'warn', meaning: 'a record is in a SQLite table and in an MMKV/AsyncStorage collection with different fields (which, and which side is newer)' },
  CROSS_LAYER_ONLY_IN_KV: { severity: 'info', meaning: 'records of a collection mirrored in SQLite exist only in the MMKV/AsyncStorage copy' },
};
