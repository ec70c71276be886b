// What a scan run reports: one summary object for the CLI (--json), the
// Lambda's output and the logs, and one progress record per code.
import type { KiwoomStats, ScanDeps } from './ports.ts';

export interface CodeProgress {
  stkCd: string;
  days: number;
  alerts: number;
  revisions: number;
  deferred: number;
  /** The code started afresh after a gap longer than the days fetched; the last stored day before it. */
  rebaselinedFrom?: string;
  error?: string;
  /** The run stopped (a run-wide Kiwoom error) or time ran out before this code could finish. */
  notReached?: boolean;
  /** Kiwoom answered with success and no rows for this code. */
  noRows?: boolean;
}

export interface ScanSummary {
  run_id: string;
  run_started_at: string;
  finished_at: string;
  done: boolean;
  dry_run: boolean;
  codes_total: number;
  codes_scanned: number;
  days_processed: number;
  revisions: number;
  alerts_published: number;
  alerts_retried: number;
  alerts_failed: number;
  alerts_already_sent: number;
  /** Alerts for a snoozed code: recorded in the ledger as suppressed, not published. */
  alerts_suppressed: number;
  /**
   * Alerts corrected history no longer supports: a correction notice is
   * recorded for each one already sent (and published like any alert); one
   * not yet sent is suppressed for good.
   */
  alerts_withdrawn: number;
  /** Digest mode: SNS messages that carried this run's alerts. */
  digests_published: number;
  alerts: Record<string, unknown>[];
  codes_failed: { stk_cd: string; reason: string; error: string }[];
  invalid_items: { stk_cd: string; problems: { attribute: string; message: string }[]; message: string }[];
  codes_not_reached: string[];
  /** Codes Kiwoom answered with success and no rows (not a failure; nothing to evaluate). */
  codes_without_rows: string[];
  days_deferred: { stk_cd: string; days: string[] }[];
  /**
   * Codes whose last stored day lies further back than the pages fetched (a
   * code re-enabled after a long pause): started afresh as on a first scan,
   * the newest day against the one before it, instead of against a day
   * months old.
   */
  codes_rebaselined: { stk_cd: string; last_stored_dt: string; baseline_dt: string | null; dt: string | null }[];
  stopped: { reason: string; error: string } | null;
  lease_held: { holder: string; expires_at: string } | null;
  kiwoom: { calls: number; rate_limited: number; learned_rate_per_second: Record<string, number> } | null;
}

export function newSummary(runId: string, runStartedAt: string, startedAt: Date, dryRun: boolean): ScanSummary {
  return {
    run_id: runId,
    run_started_at: runStartedAt,
    finished_at: startedAt.toISOString(),
    done: false,
    dry_run: dryRun,
    codes_total: 0,
    codes_scanned: 0,
    days_processed: 0,
    revisions: 0,
    alerts_published: 0,
    alerts_retried: 0,
    alerts_failed: 0,
    alerts_already_sent: 0,
    alerts_suppressed: 0,
    alerts_withdrawn: 0,
    digests_published: 0,
    alerts: [],
    codes_failed: [],
    invalid_items: [],
    codes_not_reached: [],
    codes_without_rows: [],
    days_deferred: [],
    codes_rebaselined: [],
    stopped: null,
    lease_held: null,
    kiwoom: null,
  };
}

/** Stamps the end time and this run's share of the Kiwoom client's counters. */
export function finish(deps: ScanDeps, summary: ScanSummary, atStart: KiwoomStats | undefined): ScanSummary {
  summary.finished_at = deps.now().toISOString();
  const stats = deps.kiwoom.stats?.();
  if (stats) {
    summary.kiwoom = {
      calls: stats.calls - (atStart?.calls ?? 0),
      rate_limited: stats.rateLimitedAnswers - (atStart?.rateLimitedAnswers ?? 0),
      learned_rate_per_second: stats.learnedRatePerSecond,
    };
  }
  return summary;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
