export { AlertLedger } from './alert-ledger.ts';
export type {
  AlertLedgerOptions,
  LedgerEntry,
  LedgerMessage,
  LedgerQuery,
  LedgerStatus,
  NewLedgerEntry,
  RecordResult,
} from './alert-ledger.ts';
export type { BackoffOptions } from './batch.ts';
export {
  BatchIncompleteError,
  CorruptItemError,
  LeaseLostError,
  LedgerEntryNotFoundError,
  StoreError,
} from './errors.ts';
export { fromSnapshotItem, HistoryStore, toSnapshotItem } from './history-store.ts';
export type { CodeState, SnapshotItem, StoredSnapshot } from './history-store.ts';
export { alertKey, codeStateKey, leaseKey, snapshotKey } from './keys.ts';
export { DynamoLease } from './lease.ts';
export type { Lease, LeaseAcquisition } from './lease.ts';
export {
  createTables,
  historyTableDefinition,
  HISTORY_KEYS,
  UNSENT_INDEX,
  UNSENT_MARK,
  WATCHLIST_KEY,
  watchlistTableDefinition,
} from './tables.ts';
export type { CreateTablesOptions, TableNames } from './tables.ts';
export { WatchlistStore } from './watchlist-store.ts';
export type { WatchlistItem } from './watchlist-store.ts';
