// The scan: one code path for the Lambda handler and the CLI. For each
// watched code it fetches ka10008, plans which days to evaluate, runs the
// rule engine, and publishes each alert exactly once through the ledger:
//
//   ledger entry (pending) → snapshots stored → SNS publish → entry marked sent
//
// A crash after the ledger write leaves a pending entry that the next run
// publishes; a crash after the publish leaves the same pending entry and the
// next run re-sends it with the same alert_id (the one duplicate SNS allows).
// A re-run finds the days stored and the entries sent, and sends nothing.
import { randomUUID } from 'node:crypto';
import { deadlineSignal } from '../kiwoom/abort.ts';
import { LeaseLostError } from '../store/errors.ts';
import { KiwoomBreaker } from './breaker.ts';
import { scanOneCode } from './code-scan.ts';
import { intervalTicker, LeaseKeeper } from './lease-keeper.ts';
import type { ScanDeps } from './ports.ts';
import { retryUnsent, sendDigest } from './publish.ts';
import { isStopping, LEASE_LOST, OneAtATime, stopForLostLease, type RunContext, type ScanOptions } from './run-context.ts';
import { finish, newSummary, type ScanSummary } from './summary.ts';
import { loadTargets, orderTargets, type Target } from './targets.ts';

export type { ScanOptions } from './run-context.ts';
export type { CodeProgress, ScanSummary } from './summary.ts';

export async function runScan(deps: ScanDeps, options: ScanOptions): Promise<ScanSummary> {
  const startedAt = deps.now();
  const runId = options.runId ?? `scan-${startedAt.toISOString()}-${randomUUID().slice(0, 8)}`;
  const summary = newSummary(runId, options.runStartedAt ?? startedAt.toISOString(), startedAt, options.dryRun);

  // Ends the Kiwoom work of codes in flight (they are left for the next run)
  // when the run stops, or when this invocation's time is nearly up.
  const stop = new AbortController();
  const abortReserveMs = options.abortReserveMs ?? (options.reserveMs ?? 30_000) / 3;
  deadlineSignal(deps.remainingMs() - abortReserveMs)?.addEventListener('abort', () => stop.abort(), { once: true });
  // Kiwoom's counters live as long as the client (a warm Lambda container
  // keeps it); the summary reports this run's share.
  const statsAtStart = deps.kiwoom.stats?.();
  const { targets, settingsOf } = await loadTargets(deps, options.codes, summary);
  summary.codes_total = targets.length;

  // One scan at a time per app key: tokens invalidate each other and two scans
  // would share one allowance. A dry run writes nothing, so takes no lease.
  let lease: LeaseKeeper | null = null;
  if (!options.dryRun) {
    const taken = await LeaseKeeper.take(deps.lease, {
      holder: options.leaseHolder ?? runId,
      ttlMs: options.leaseTtlMs,
      now: deps.now,
      ticker: deps.ticker ?? intervalTicker,
      logger: deps.logger,
    });
    if ('held' in taken) {
      summary.lease_held = { holder: taken.held.holder, expires_at: taken.held.expiresAt.toISOString() };
      summary.done = true;
      summary.codes_not_reached = targets.map((t) => t.stkCd);
      deps.logger.warn('another scan holds the lease; nothing to do', summary.lease_held);
      return finish(deps, summary, statsAtStart);
    }
    lease = taken.keeper;
  }

  const run: RunContext = {
    deps,
    options,
    runId,
    summary,
    recorded: [],
    lease,
    stop,
    settingsOf,
    breaker: new KiwoomBreaker(),
    attempted: new Set(),
    publishing: new OneAtATime(),
  };
  const digest = options.delivery === 'digest';
  try {
    await scanCodes(run, await orderTargets(deps, targets, runId));
    // What earlier runs (or this one) left unsent goes out after the codes,
    // so an alert this run's fetch has since corrected is withdrawn, not sent.
    if (deps.publisher && summary.stopped?.reason !== LEASE_LOST) {
      if (!digest) await retryUnsent(run);
      // One digest per run: a Step Functions slice that leaves codes for the
      // next slice leaves its entries pending; the last slice sends them all.
      else if (summary.codes_not_reached.length === 0 || summary.stopped !== null) await sendDigest(run);
    }
  } catch (error) {
    if (!(error instanceof LeaseLostError)) throw error;
    stopForLostLease(run, error);
  } finally {
    await lease?.release();
  }
  // What the limiters learned, kept for the next container (errors are only logged).
  await deps.kiwoom.saveLearned?.();
  summary.done = summary.codes_not_reached.length === 0 || summary.stopped !== null;
  return finish(deps, summary, statsAtStart);
}

async function scanCodes(run: RunContext, queue: Target[]): Promise<void> {
  const { deps, options, summary } = run;
  const reserveMs = options.reserveMs ?? 30_000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let next = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      if (isStopping(run) || run.stop.signal.aborted || deps.remainingMs() < reserveMs || next >= queue.length) return;
      // While Kiwoom has not answered yet, or has just failed, one code at a time.
      if (!(await run.breaker.enter())) return;
      try {
        const target = queue[next];
        if (isStopping(run) || run.stop.signal.aborted || deps.remainingMs() < reserveMs || !target) return;
        next += 1;
        await scanOneCode(run, target);
      } finally {
        run.breaker.leave();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  summary.codes_not_reached.push(...queue.slice(next).map((t) => t.stkCd));
  if (summary.codes_not_reached.length > 0 && !summary.stopped) {
    deps.logger.warn('time is short; codes left for the next invocation', {
      codes_not_reached: summary.codes_not_reached.length,
    });
  }
}
