/**
 * Finding codes `syncdoc query` raises while building its tables. Stable: scripts match on them;
 * README lists every one (checked by src/docs.test.ts). Codes of the stores themselves (MMKV,
 * AsyncStorage) live in src/readers/finding-codes.ts.
 */
export const FINDING_CODES: Record<string, { severity: 'error' | 'warn' | 'info'; meaning: string }> = {
  QUERY_STORE_SKIPPED: { severity: 'warn', meaning: 'a store of the snapshot could not be read or attached for `query`; its tables are missing from the database' },
};
