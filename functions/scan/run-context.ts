// What every step of one scan run shares: its dependencies, its options, its
// id, the summary it fills in and, in digest mode, the entries it recorded.
import type { LedgerEntry, ScanDeps } from './ports.ts';
import type { CodeProgress, ScanSummary } from './summary.ts';

export interface ScanOptions {
  /** Only these codes (watched or not; unwatched ones use the defaults item). */
  codes?: string[];
  dryRun: boolean;
  /** Continuation of an earlier invocation of the same run (Step Functions loop). */
  runId?: string;
  runStartedAt?: string;
  dayCutoffKst: string;
  maxDaysPerCode: number;
  leaseTtlMs: number;
  /** Stop starting codes when less than this much time is left. */
  reserveMs?: number;
  /**
   * Abandon a code's Kiwoom work (its pages, a token renewal) when less than
   * this is left, and leave the code for the next invocation, so the
   * invocation is never killed mid-code with its lease held (default: a
   * third of reserveMs).
   */
  abortReserveMs?: number;
  /** Codes processed at once (their Kiwoom calls still share one limiter). */
  concurrency?: number;
  /** `each`: one SNS message per alert; `digest`: one message with every alert of the run. */
  delivery?: 'each' | 'digest';
  /** Scope of the lease: one scan at a time per app key. */
  leaseHolder?: string;
  onProgress?: (progress: CodeProgress) => void;
}

export interface RunContext {
  deps: ScanDeps;
  options: ScanOptions;
  runId: string;
  summary: ScanSummary;
  /** Digest mode: the entries this run recorded, sent together at the end. */
  recorded: LedgerEntry[];
  /** Ends the Kiwoom work of codes in flight when the run stops or time is nearly up. */
  stop: AbortController;
}
