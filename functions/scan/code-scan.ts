// One code, in the order a reader follows it:
//
//   fetchCode → planCode → evaluateCode → composeAlerts → commitCode → publishCode
//
// commitCode writes the ledger entries before the snapshots and the code
// state, so whatever happens after it, each alert is remembered; publishCode
// sends what the ledger holds unsent.
import { buildCorrectionMessage } from '../domain/correction-message.ts';
import { planDays, type DayPlan } from '../domain/day-plan.ts';
import { buildAlertMessage, snsMessageJson, type AlertMessage } from '../domain/messages.ts';
import { isSnoozed } from '../domain/rules.ts';
import { alertIdOf, CORRECTION_RULE, type Alert, type Snapshot, type WatchSettings } from '../domain/types.ts';
import { CallAbortedError, KiwoomError } from '../kiwoom/errors.ts';
import { LeaseLostError } from '../store/errors.ts';
import { FencedConditionFailed } from '../store/fence.ts';
import { KIWOOM_UNAVAILABLE, kiwoomOutcomeOf } from './breaker.ts';
import { evaluateCode, ledgerSince, type CodeEvaluation, type Outcome, type Withdrawn } from './evaluate.ts';
import type { CodeState, LedgerEntry, LedgerMessage, NewLedgerEntry, ScanDeps, StoredSnapshot } from './ports.ts';
import { payloadOf, publishEntry } from './publish.ts';
import { stopForLostLease, type RunContext } from './run-context.ts';
import { errorText, type CodeProgress } from './summary.ts';
import type { Target } from './targets.ts';

const RECENT_DAYS = 60;
const SPARKLINE_DAYS = 20;
const MAX_PAGES = 10;

export async function scanOneCode(run: RunContext, target: Target): Promise<void> {
  const { deps, options } = run;
  const { stkCd, settings } = target;
  const progress: CodeProgress = { stkCd, days: 0, alerts: 0, revisions: 0, deferred: 0 };
  let failure: string | null = null;
  try {
    const fetched = await fetchCode(deps, stkCd, run.stop.signal);
    run.breaker.heard('answered');
    if (fetched.rows.length === 0) {
      progress.noRows = true;
      run.summary.codes_without_rows.push(stkCd);
      deps.logger.info('Kiwoom has no rows for this code', { stk_cd: stkCd });
    }
    const plan = planCode(run, stkCd, fetched);
    // A correction is weighed against what the ledger announced from the corrected day on,
    // and from the stored days before it that an announcement may still stand for.
    const since = ledgerSince(fetched.stored, plan);
    const announced = since === null ? [] : await deps.ledger.list({ stkCd, since });
    const evaluation = evaluateCode({ settings, stored: fetched.stored, plan, storedAt: deps.now().toISOString(), announced });
    progress.days = evaluation.days;
    progress.revisions = evaluation.revisions;
    const composed = composeAlerts(settings, evaluation, fetched.stored);
    if (options.dryRun) {
      progress.alerts = reportDryRun(run, composed);
    } else {
      const toPublish = await commitCode(run, settings, evaluation, composed, fetched.stored[0]?.snapshot.dt);
      progress.alerts = await publishCode(run, toPublish);
    }
    failure = reportCode(run, plan, progress);
  } catch (error) {
    failure = reportFailure(run, error, progress);
  } finally {
    if (failure !== null && !options.dryRun) await noteFailure(run, stkCd, failure);
    options.onProgress?.(progress);
  }
}

/** Remembers a failed attempt, so the code goes after the others next time; bookkeeping only. */
async function noteFailure(run: RunContext, stkCd: string, error: string): Promise<void> {
  const failure = { stkCd, failedAt: run.deps.now().toISOString(), runId: run.runId, error };
  await run.deps.history.recordFailure(failure).catch((cause: unknown) => {
    run.deps.logger.warn('could not record the failed attempt', { stk_cd: stkCd, error: errorText(cause) });
  });
}

interface Fetched {
  /** Stored days, newest first. */
  stored: StoredSnapshot[];
  /** ka10008 rows, newest first (pages concatenated). */
  rows: unknown[];
}

/**
 * The code's stored days and its ka10008 rows, fetched side by side (the
 * DynamoDB read hides behind the Kiwoom call). The newest page overlaps the
 * stored days, so revisions are checked at no extra call; older pages are
 * fetched only to reach back to the last stored day after missed runs.
 */
export async function fetchCode(deps: ScanDeps, stkCd: string, signal: AbortSignal): Promise<Fetched> {
  const pages = deps.kiwoom.ka10008Pages(stkCd, { maxPages: MAX_PAGES, signal })[Symbol.asyncIterator]();
  const [stored, first] = await Promise.all([deps.history.recentSnapshots(stkCd, RECENT_DAYS), pages.next()]);
  const lastDt = stored[0]?.snapshot.dt;
  const rows: unknown[] = [];
  for (let page = first; !page.done; page = await pages.next()) {
    rows.push(...page.value.rows);
    const oldest = page.value.rows.at(-1)?.dt;
    const reachedStored = lastDt === undefined || (typeof oldest === 'string' && oldest <= lastDt);
    if (reachedStored || !page.value.hasMore) {
      await pages.return?.();
      break;
    }
  }
  return { stored, rows };
}

function planCode(run: RunContext, stkCd: string, fetched: Fetched): DayPlan {
  return planDays({
    stkCd,
    rows: fetched.rows,
    stored: fetched.stored,
    now: run.deps.now(),
    cutoffKst: run.options.dayCutoffKst,
    maxDays: run.options.maxDaysPerCode,
  });
}

/** An alert with the message SNS will carry and whether the code is snoozed for its day. */
interface ComposedAlert {
  alert: Alert;
  variant?: string;
  message: AlertMessage;
  snoozed: boolean;
}

/** A withdrawal and, for an alert already sent, the correction notice to record with it. */
interface ComposedWithdrawal {
  withdrawn: Withdrawn;
  notice: NewLedgerEntry | null;
}

interface Composed {
  alerts: ComposedAlert[];
  withdrawals: ComposedWithdrawal[];
  stillDue: LedgerEntry[];
}

function composeAlerts(settings: WatchSettings, evaluation: CodeEvaluation, stored: readonly StoredSnapshot[]): Composed {
  const history = [...stored].reverse().map((s) => s.snapshot);
  const fresh = evaluation.toStore.map((s) => s.snapshot);
  const alerts = evaluation.outcomes.map(({ alert, current, variant }: Outcome) => ({
    alert,
    ...(variant === undefined ? {} : { variant }),
    snoozed: isSnoozed(settings, alert.dt),
    message: buildAlertMessage(alert, {
      current,
      recent: recentUpTo(history, fresh, current.dt),
      subjectTemplate: settings.subjectTemplate,
    }),
  }));
  const withdrawals = evaluation.withdrawn.map((withdrawn) => ({ withdrawn, notice: noticeFor(withdrawn) }));
  return { alerts, withdrawals, stillDue: evaluation.stillDue };
}

function noticeFor(w: Withdrawn): NewLedgerEntry | null {
  if (w.noticeVariant === null) return null;
  const alertId = alertIdOf(w.entry.stkCd, w.entry.dt, CORRECTION_RULE, w.noticeVariant);
  const message = buildCorrectionMessage({
    alertId,
    original: w.original,
    withdrawnBp: w.thresholdsBp,
    all: w.all,
    current: w.current,
    previous: w.previous,
  });
  return {
    alertId,
    stkCd: w.entry.stkCd,
    dt: w.entry.dt,
    rule: CORRECTION_RULE,
    variant: w.noticeVariant,
    revision: true,
    message: ledgerMessage(message),
  };
}

function ledgerMessage(message: Pick<AlertMessage, 'subject' | 'email' | 'sms' | 'attributes'> & { payload: object }): LedgerMessage {
  return { subject: message.subject, messageJson: snsMessageJson(message), attributes: message.attributes };
}

function reportDryRun(run: RunContext, composed: Composed): number {
  for (const { message, snoozed } of composed.alerts) {
    if (snoozed) run.summary.alerts_suppressed += 1;
    else run.summary.alerts.push(message.payload as unknown as Record<string, unknown>);
  }
  const notices = composed.withdrawals.flatMap((w) => (w.notice ? [w.notice] : []));
  for (const notice of notices) run.summary.alerts.push(payloadOf(notice.message));
  run.summary.alerts_withdrawn += composed.withdrawals.length;
  return composed.alerts.filter((a) => !a.snoozed).length + notices.length;
}

/**
 * The ledger first (whatever happens next, each alert is remembered), then
 * the code's days and state. Every write that another scan would act on (a
 * ledger entry, a withdrawal with its notice, the code's state) is fenced by
 * this scan's lease, so a scan that lost it learns so here and leaves
 * nothing behind for others to publish. Returns the entries still to be
 * published.
 */
async function commitCode(
  run: RunContext,
  settings: WatchSettings,
  evaluation: CodeEvaluation,
  composed: Composed,
  lastDt: string | undefined,
): Promise<LedgerEntry[]> {
  const { deps } = run;
  const fence = run.lease?.fence;
  const state = codeStateAfter(run, settings.stkCd, evaluation.toStore, lastDt);
  const fenced = fence ? { fence, now: deps.now() } : undefined;
  const entries = composed.alerts.map((a) => ledgerEntryOf(a, settings));
  // The usual evening: the day's alerts, days and state in one fenced transaction.
  if (fenced && deps.ledger.creationWrites && entries.length > 0 && composed.withdrawals.length === 0) {
    const creations = deps.ledger.creationWrites(entries, fenced.fence);
    try {
      if ((await deps.history.saveCode(evaluation.toStore, state, fenced, creations.writes)) === true) {
        for (const entry of creations.entries) if (entry.status === 'suppressed') run.summary.alerts_suppressed += 1;
        return [...creations.entries.filter((e) => e.status === 'pending'), ...composed.stillDue];
      }
    } catch (error) {
      // An entry exists already (a re-run after a crash): record one by one below.
      if (!(error instanceof FencedConditionFailed)) throw error;
    }
  }
  const toPublish = await recordOneByOne(run, entries, composed.withdrawals);
  toPublish.push(...composed.stillDue.filter((e) => !toPublish.some((p) => p.alertId === e.alertId)));
  await deps.history.saveCode(evaluation.toStore, state, fenced);
  return toPublish;
}

function ledgerEntryOf({ alert, variant, message, snoozed }: ComposedAlert, settings: WatchSettings): NewLedgerEntry & { suppressedReason?: string } {
  return {
    alertId: alert.alertId,
    stkCd: alert.stkCd,
    dt: alert.dt,
    rule: alert.rule,
    ...(variant === undefined ? {} : { variant }),
    revision: alert.revision,
    message: ledgerMessage(message),
    // Snoozed: remembered and visible in the history, never published.
    ...(snoozed ? { suppressedReason: `snoozed until ${settings.snoozeUntil}` } : {}),
  };
}

/**
 * Each entry on its own (an existing one is returned as it is), then the
 * withdrawals with their notices. Notices go out first: whoever read the
 * withdrawn alert reads the retraction before the crossing that replaces it.
 */
async function recordOneByOne(
  run: RunContext,
  entries: readonly (NewLedgerEntry & { suppressedReason?: string })[],
  withdrawals: readonly ComposedWithdrawal[],
): Promise<LedgerEntry[]> {
  const { deps, summary } = run;
  const fence = run.lease?.fence;
  const toPublish: LedgerEntry[] = [];
  for (const { suppressedReason, ...entry } of entries) {
    if (suppressedReason !== undefined) {
      const result = await deps.ledger.recordSuppressed({ ...entry, reason: suppressedReason }, fence);
      if (result.created) summary.alerts_suppressed += 1;
      continue;
    }
    const result = await deps.ledger.record(entry, fence);
    if (result.created) toPublish.push(result.entry);
    else if (result.existing.status === 'pending' || result.existing.status === 'failed') toPublish.push(result.existing);
    else summary.alerts_already_sent += 1;
  }
  const notices: LedgerEntry[] = [];
  for (const { withdrawn, notice } of withdrawals) {
    const reason = `withdrawn: Kiwoom corrected ${withdrawn.entry.dt} and the corrected history no longer supports it`;
    const done = await deps.ledger.withdraw(withdrawn.entry, { thresholdsBp: withdrawn.thresholdsBp, all: withdrawn.all, reason }, notice, fence);
    if (done.withdrawn) summary.alerts_withdrawn += 1;
    if (done.notice) notices.push(done.notice);
  }
  return [...notices, ...toPublish];
}

function codeStateAfter(run: RunContext, stkCd: string, days: readonly StoredSnapshot[], previousLast: string | undefined): CodeState {
  const dts = [previousLast, ...days.map((d) => d.snapshot.dt)].filter((d): d is string => d !== undefined);
  return {
    stkCd,
    lastDt: dts.sort().at(-1) ?? null,
    checkedAt: run.deps.now().toISOString(),
    lastRunId: run.runId,
  };
}

/** Each mode publishes now; digest mode keeps the entries for the run's one message. Returns the alerts carried. */
async function publishCode(run: RunContext, toPublish: readonly LedgerEntry[]): Promise<number> {
  if (run.options.delivery === 'digest') {
    run.recorded.push(...toPublish);
    return toPublish.length;
  }
  let published = 0;
  for (const entry of toPublish) {
    if (await publishEntry(run, entry)) published += 1;
  }
  return published;
}

/** Adds the code's figures to the summary; returns why it failed, or null. */
function reportCode(run: RunContext, plan: DayPlan, progress: CodeProgress): string | null {
  const { summary, deps } = run;
  summary.days_processed += progress.days;
  summary.revisions += progress.revisions;
  if (plan.deferredDays.length > 0) {
    progress.deferred = plan.deferredDays.length;
    summary.days_deferred.push({ stk_cd: progress.stkCd, days: plan.deferredDays });
  }
  if (plan.rebaselinedFrom !== null) {
    progress.rebaselinedFrom = plan.rebaselinedFrom;
    const newest = plan.newDays.at(-1)?.current.dt ?? null;
    summary.codes_rebaselined.push({
      stk_cd: progress.stkCd,
      last_stored_dt: plan.rebaselinedFrom,
      baseline_dt: plan.baseline?.dt ?? null,
      dt: newest,
    });
    deps.logger.warn('history gap longer than the days fetched; the code starts afresh as on a first scan', {
      stk_cd: progress.stkCd,
      last_stored_dt: plan.rebaselinedFrom,
      dt: newest,
    });
  }
  if (plan.blockingErrors.length > 0) {
    const reason = 'invalid row from Kiwoom';
    const error = plan.blockingErrors.map((e) => e.message).join('; ');
    summary.codes_failed.push({ stk_cd: progress.stkCd, reason, error });
    progress.error = `${reason}: ${error}`;
  } else {
    summary.codes_scanned += 1;
  }
  deps.logger.info('code scanned', {
    stk_cd: progress.stkCd,
    days: progress.days,
    alerts: progress.alerts,
    revisions: progress.revisions,
    deferred: progress.deferred,
  });
  return progress.error ?? null;
}

/** Reports why the code did not finish; returns the failure to remember, or null when it was only not reached. */
function reportFailure(run: RunContext, error: unknown, progress: CodeProgress): string | null {
  const { summary, deps } = run;
  const stkCd = progress.stkCd;
  const reason = failureReason(error);
  const outcome = kiwoomOutcomeOf(error);
  if (outcome !== null) run.breaker.heard(outcome);
  progress.error = `${reason}: ${errorText(error)}`;
  if (error instanceof CallAbortedError) {
    // Time ran out (or the run stopped) mid-code: nothing was written, so
    // the next invocation takes the code first, as if never started.
    deps.logger.info('code cut short; left for the next invocation', { stk_cd: stkCd });
    return notReached(run, progress);
  }
  if (error instanceof LeaseLostError) {
    // Another scan holds the lease now and takes this code; this one stops.
    stopForLostLease(run, error);
    return notReached(run, progress);
  }
  if (error instanceof KiwoomError && error.stopsRun) {
    // Bad credentials, live/mock mismatch, IP not allowed: every code would
    // fail the same way, so stop with one message instead of one per code
    // (the codes already in flight meet the same error: say it once).
    if (summary.stopped) return notReached(run, progress);
    summary.stopped = { reason, error: errorText(error) };
    run.stop.abort();
    deps.logger.error('scan stopped', { stk_cd: stkCd, reason, error: errorText(error) });
    // Not done: the next run takes it first.
    summary.codes_not_reached.push(stkCd);
    return null;
  }
  // Kiwoom failing for everyone: the codes in flight when the breaker opened are not this code's fault.
  if (summary.stopped?.reason === KIWOOM_UNAVAILABLE) return notReached(run, progress);
  summary.codes_failed.push({ stk_cd: stkCd, reason, error: errorText(error) });
  deps.logger.error('code failed', { stk_cd: stkCd, reason, error: errorText(error) });
  if (run.breaker.open && !summary.stopped) {
    summary.stopped = {
      reason: KIWOOM_UNAVAILABLE,
      error: `${run.breaker.streak} codes in a row failed with transient Kiwoom errors (last: ${errorText(error)}); the other codes are left for the next run`,
    };
    // Codes still in flight stop calling Kiwoom now; they are left for the next run.
    run.stop.abort();
    deps.logger.error('scan stopped: Kiwoom unavailable', { stk_cd: stkCd, failures_in_a_row: run.breaker.streak });
  }
  return progress.error;
}

function notReached(run: RunContext, progress: CodeProgress): null {
  progress.error = undefined;
  progress.notReached = true;
  run.summary.codes_not_reached.push(progress.stkCd);
  return null;
}

/** The days a sparkline shows: stored history plus this run's days, up to `dt`, oldest first. */
function recentUpTo(stored: Snapshot[], fresh: Snapshot[], dt: string): Snapshot[] {
  const byDay = new Map<string, Snapshot>();
  for (const s of stored) byDay.set(s.dt, s);
  for (const s of fresh) byDay.set(s.dt, s);
  return [...byDay.values()]
    .filter((s) => s.dt <= dt)
    .sort((a, b) => (a.dt < b.dt ? -1 : 1))
    .slice(-SPARKLINE_DAYS);
}

function failureReason(error: unknown): string {
  if (error instanceof Error) return error.name;
  return 'Error';
}
