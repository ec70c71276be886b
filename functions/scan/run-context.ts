// What every step of one scan run shares: its dependencies, its options, its
// id, the summary it fills in and, in digest mode, the entries it recorded.
import type { WatchSettings } from '../domain/types.ts';
import { LeaseLostError } from '../store/errors.ts';
import type { KiwoomBreaker } from './breaker.ts';
import type { LeaseKeeper } from './lease-keeper.ts';
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
  /** The lease this run holds; null in a dry run, which writes nothing. */
  lease: LeaseKeeper | null;
  /** Any code's settings as the watchlist says at the start of this run (snooze is decided at publish time). */
  settingsOf(stkCd: string): WatchSettings | undefined;
  /** Stops the run when Kiwoom is down for everyone. */
  breaker: KiwoomBreaker;
  /** Alerts this run has tried to publish (one attempt per run). */
  attempted: Set<string>;
  /**
   * Publishes go one at a time across the codes in flight: a process killed
   * at any instruction then leaves at most one message that SNS took and the
   * ledger never heard of (the one duplicate a kill may cause).
   */
  publishing: OneAtATime;
}

/** Runs async work strictly one after another, in the order asked. */
export class OneAtATime {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** What the summary says when another scan took the lease over. */
export const LEASE_LOST = 'lease lost';

/** The run has lost its lease: it publishes nothing more and stops, once. */
export function stopForLostLease(run: RunContext, error: LeaseLostError): void {
  run.lease?.noteLost();
  // Codes in flight end their Kiwoom work now: the scan holding the lease takes them.
  run.stop.abort();
  if (run.summary.stopped?.reason === LEASE_LOST) return;
  run.summary.stopped = { reason: LEASE_LOST, error: `${error.message}: it expired or another scan took it over` };
  run.deps.logger.error('scan stopped: lease lost; another scan took over and this one publishes nothing more', {
    run_id: run.runId,
  });
}

/** Stopped for any reason, the lease lost included (a renewal may notice before a fenced write does). */
export function isStopping(run: RunContext): boolean {
  if (run.lease?.lost && run.summary.stopped === null) {
    stopForLostLease(run, new LeaseLostError(run.lease.fence.scope, run.lease.fence.holder));
  }
  return run.summary.stopped !== null;
}
