/**
 * syncdoc's programmatic API: the domain functions the CLI is built on, with their types.
 * The CLI (src/cli) is a thin layer over these; scripts can use them directly.
 */
export * from './errors.js';
export * from './findings.js';
export type * from './snapshot/types.js';
export { openSnapshot, DEFAULT_MAX_EXTRACT_BYTES } from './snapshot/open.js';
export { openSqlite, openSqliteWithoutWal, type SqliteDb } from './readers/sqlite-open.js';
export { createRedactor, redactorFor, classifyKey, NO_REDACTION, type Redactor } from './privacy/redact.js';
export { inspectSnapshot, type InspectOptions } from './inspect/inspect.js';
export type * from './inspect/report.js';
export { readSqliteSchema, parseSqliteHeader, type SqliteSchema, type SqliteTable } from './readers/sqlite.js';
export { readWalInfo } from './readers/sqlite-wal.js';
export { diffWalOnlyRows } from './readers/sqlite-wal-diff.js';
export { detectFlavours } from './readers/sqlite-flavour.js';
export type * from './outbox/types.js';
export { readOutbox, openOps, type ReadOutboxOptions } from './outbox/read-outbox.js';
export { lintOutbox, type OutboxFinding, type OutboxLintReport, type LintOptions } from './outbox/lint.js';
export { listOutbox, type OutboxListReport, type OutboxListRow } from './outbox/list.js';
export { replayOutbox, type ReplayOutboxOptions, type ReplayReport } from './outbox/replay-outbox.js';
export { planReplay, type ReplayPlan } from './outbox/replay-plan.js';
export { deriveIdempotencyKey } from './outbox/idempotency.js';
export { readMmkvInstance, readMmkvFiles, type MmkvInstance, type MmkvEntry, type MmkvDecodeOptions } from './readers/mmkv.js';
export { inferMmkvValue, decodeMmkvValueAs, MMKV_VALUE_TYPES, type MmkvValueType, type TypedValue } from './readers/values.js';
export { decodeJsonString, type DecodedCollection, type DecodedJsonValue, type JsonRecord } from './readers/values-collections.js';
export { readAndroidAsyncStorage, readIosAsyncStorage, isAndroidAsyncStorage, type AsyncStorageStore } from './readers/asyncstorage.js';
export { BackendTransportError, type Backend, type PushOp, type PushResult, type Change, type PullPage, type TransportErrorDetails } from './backends/types.js';
export { openBackend, type BackendSpec, type OpenedBackend } from './backends/open.js';
export { startLocalServer, type LocalServer, type LocalServerOptions } from './backends/local/server.js';
export {
  canonicalRecord,
  resolveRules,
  SYNC_ONLY_FIELDS,
  createRecordHasher,
  rowChecksum,
  checksumAlgorithm,
  digestRecords,
  DigestAccumulator,
  BUCKET_COUNT,
  diffFields,
  type CanonicalOptions,
  type LogicalRecord,
  type HashAlgorithm,
  type RecordHasher,
  type CollectionDigest,
  type FieldDifference,
} from './integrity/index.js';
export { openRecordSource, type OpenedSource } from './integrity/open-source.js';
export { compareSources, type CompareOptions, type CompareReport, type Difference } from './integrity/compare.js';
export { checkSource, type CheckReport } from './integrity/checks.js';
export { openConvexExport, isConvexExport, type ConvexExport, type ConvexDocument, type ConvexValue } from './readers/convex-export.js';
export { readMmkvInput } from './readers/mmkv-input.js';
export { runQuery, openQueryDatabase, type QueryReport, type QueryOptions } from './query/query.js';
export { inspectKeyValueStores, type KeyValueInspection, type CrossLayerPair, type KeyValueStoreSummary } from './inspect/cross-layer.js';
export { runSimulation, type SimulateOptions, type SimulateReport } from './sim/simulate.js';
export { simulate } from './sim/simulator.js';
export { checkHistory, runVerdict, CHECKER_NAMES, type CheckerName, type Verdict, type Violation, type CheckReport as SimulationCheckReport } from './sim/checkers.js';
export { ALGORITHM_NAMES, getAlgorithm, type Algorithm, type AlgorithmVariant, type Declaration } from './sim/algorithms/index.js';
export { validateScenario, loadScenarios, loadScenarioFile, type Scenario, type LoadedScenario } from './sim/scenario.js';
export { historyHash, happensAfter, type History, type HistoryEvent, type WriteRecord } from './sim/history.js';
export { shrinkFailure, type ShrinkResult } from './sim/shrink.js';
export { migrateSnapshot, type MigrateOptions } from './migrate/run.js';
export { loadLegacy, type LoadOptions, type LoadedLegacy } from './migrate/load.js';
export { planMigration } from './migrate/plan.js';
export type { MigrationReport } from './migrate/report.js';
export type { MigrationPlan, ConflictRule, SyncStatus, PlanOptions } from './migrate/types.js';
export * as unifiedSchema from './schema/index.js';
