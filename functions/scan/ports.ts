// What the scan needs from the outside world, as narrow interfaces. The
// DynamoDB repositories, the SNS publisher and the Kiwoom client implement
// them; tests may hand in the same real adapters pointed at local parts.
import type { LedgerRule, TradingDay } from '../domain/types.ts';
import type { Ka10008Source } from '../kiwoom/types.ts';
import type { CodeFailure, CodeState, Fenced, StoredSnapshot } from '../store/history-store.ts';
import type {
  ClaimResult,
  Creations,
  LedgerEntry,
  LedgerMessage,
  LedgerQuery,
  LedgerWithdrawal,
  NewLedgerEntry,
  RecordResult,
  WithdrawResult,
} from '../store/alert-ledger.ts';
import type { FencedItem, LeaseFence } from '../store/fence.ts';
import type { LeaseAcquisition } from '../store/lease.ts';

export interface Log {
  debug(message: string, extra?: object): void;
  info(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
}

export type { StoredSnapshot, CodeState, CodeFailure, Fenced } from '../store/history-store.ts';
export type { ClaimResult, LedgerEntry, NewLedgerEntry, RecordResult, LedgerMessage } from '../store/alert-ledger.ts';
export type { LeaseFence } from '../store/fence.ts';
export type { LeaseAcquisition } from '../store/lease.ts';

export interface SnapshotStore {
  recentSnapshots(stkCd: string, limit: number): Promise<StoredSnapshot[]>;
  putSnapshots(list: readonly StoredSnapshot[]): Promise<void>;
  codeStates(stkCds: readonly string[]): Promise<Map<string, CodeState>>;
  putCodeState(state: CodeState): Promise<void>;
  /** False when `alongside` did not fit one transaction: nothing was written. */
  saveCode(list: readonly StoredSnapshot[], state: CodeState, fenced?: Fenced, alongside?: readonly FencedItem[]): Promise<boolean | void>;
  recordFailure(failure: CodeFailure): Promise<void>;
  codeFailures(stkCds: readonly string[]): Promise<Map<string, CodeFailure>>;
}

export interface Ledger {
  record(entry: NewLedgerEntry, fence?: LeaseFence): Promise<RecordResult>;
  recordSuppressed(entry: NewLedgerEntry & { reason: string }, fence?: LeaseFence): Promise<RecordResult>;
  claim(entry: LedgerEntry, fence: LeaseFence): Promise<ClaimResult>;
  /** Writes creating entries inside a code's commit transaction (see AlertLedger.creationWrites). */
  creationWrites?(entries: readonly (NewLedgerEntry & { suppressedReason?: string })[], fence: LeaseFence): Creations;
  suppress(entry: LedgerEntry, reason: string, fence?: LeaseFence): Promise<LedgerEntry | undefined>;
  withdraw(entry: LedgerEntry, withdrawal: LedgerWithdrawal, notice: NewLedgerEntry | null, fence?: LeaseFence): Promise<WithdrawResult>;
  list(query: LedgerQuery): Promise<LedgerEntry[]>;
  markSent(stkCd: string, dt: TradingDay, rule: LedgerRule, messageId: string, variant?: string): Promise<unknown>;
  markFailed(stkCd: string, dt: TradingDay, rule: LedgerRule, error: string, variant?: string): Promise<unknown>;
  unsent(): Promise<LedgerEntry[]>;
}

export interface RunLease {
  acquire(holder: string, ttlMs: number, now: Date): Promise<LeaseAcquisition>;
  renew(holder: string, ttlMs: number, now: Date, epoch?: number): Promise<boolean>;
  release(holder: string, epoch?: number): Promise<unknown>;
}

/** A repeating timer: `every` starts it, the function it returns stops it. */
export interface Ticker {
  every(ms: number, tick: () => unknown): () => void;
}

export interface Publisher {
  publish(message: LedgerMessage): Promise<{ messageId: string }>;
}

export interface KiwoomStats {
  calls: number;
  rateLimitedAnswers: number;
  learnedRatePerSecond: Record<string, number>;
}

export interface ScanDeps {
  /** `saveLearned` keeps what the rate limiters learned for the next container. */
  kiwoom: Ka10008Source & { stats?(): KiwoomStats; saveLearned?(): Promise<void> };
  watchlist: { list(): Promise<Record<string, unknown>[]> };
  history: SnapshotStore;
  ledger: Ledger;
  lease: RunLease;
  /** Null in a dry run: nothing is published and nothing is written. */
  publisher: Publisher | null;
  logger: Log;
  now: () => Date;
  /** Milliseconds this invocation may still work (Lambda's remaining time, or the CLI's --deadline). */
  remainingMs: () => number;
  /** Drives the lease renewal (default: a real interval timer). */
  ticker?: Ticker;
}
