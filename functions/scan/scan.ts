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
import { planDays, type StoredDay } from '../domain/day-plan.ts';
import { buildAlertMessage, snsMessageJson } from '../domain/messages.ts';
import { evaluateDay, isSnoozed, toAlert } from '../domain/rules.ts';
import {
  EMPTY_RULE_STATE,
  type Alert,
  type Finding,
  type RuleState,
  type Snapshot,
  type WatchSettings,
} from '../domain/types.ts';
import { DEFAULTS_KEY, formatWatchProblems, resolveWatchSettings } from '../domain/watchlist.ts';
import { deadlineSignal } from '../kiwoom/abort.ts';
import { CallAbortedError, KiwoomError } from '../kiwoom/errors.ts';
import { deliverDigest } from '../notify/digest-delivery.ts';
import type {
  CodeState,
  KiwoomStats,
  LedgerEntry,
  LedgerMessage,
  NewLedgerEntry,
  ScanDeps,
  StoredSnapshot,
} from './ports.ts';

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

export interface CodeProgress {
  stkCd: string;
  days: number;
  alerts: number;
  revisions: number;
  deferred: number;
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
  /** Digest mode: SNS messages that carried this run's alerts. */
  digests_published: number;
  alerts: Record<string, unknown>[];
  codes_failed: { stk_cd: string; reason: string; error: string }[];
  invalid_items: { stk_cd: string; problems: { attribute: string; message: string }[]; message: string }[];
  codes_not_reached: string[];
  /** Codes Kiwoom answered with success and no rows (not a failure; nothing to evaluate). */
  codes_without_rows: string[];
  days_deferred: { stk_cd: string; days: string[] }[];
  stopped: { reason: string; error: string } | null;
  lease_held: { holder: string; expires_at: string } | null;
  kiwoom: { calls: number; rate_limited: number; learned_rate_per_second: Record<string, number> } | null;
}

const RECENT_DAYS = 60;
const SPARKLINE_DAYS = 20;

export async function runScan(deps: ScanDeps, options: ScanOptions): Promise<ScanSummary> {
  const startedAt = deps.now();
  const runId = options.runId ?? `scan-${startedAt.toISOString()}-${randomUUID().slice(0, 8)}`;
  const summary: ScanSummary = {
    run_id: runId,
    run_started_at: options.runStartedAt ?? startedAt.toISOString(),
    finished_at: startedAt.toISOString(),
    done: false,
    dry_run: options.dryRun,
    codes_total: 0,
    codes_scanned: 0,
    days_processed: 0,
    revisions: 0,
    alerts_published: 0,
    alerts_retried: 0,
    alerts_failed: 0,
    alerts_already_sent: 0,
    alerts_suppressed: 0,
    digests_published: 0,
    alerts: [],
    codes_failed: [],
    invalid_items: [],
    codes_not_reached: [],
    codes_without_rows: [],
    days_deferred: [],
    stopped: null,
    lease_held: null,
    kiwoom: null,
  };

  // Ends the Kiwoom work of codes in flight (they are left for the next run)
  // when the run stops, or when this invocation's time is nearly up.
  const stop = new AbortController();
  const abortReserveMs = options.abortReserveMs ?? (options.reserveMs ?? 30_000) / 3;
  deadlineSignal(deps.remainingMs() - abortReserveMs)?.addEventListener('abort', () => stop.abort(), { once: true });
  // Kiwoom's counters live as long as the client (a warm Lambda container
  // keeps it); the summary reports this run's share.
  const statsAtStart = deps.kiwoom.stats?.();
  const targets = await loadTargets(deps, options, summary);
  summary.codes_total = targets.length;

  // One scan at a time per app key: tokens invalidate each other and two scans
  // would share one allowance. A dry run writes nothing, so takes no lease.
  const holder = options.leaseHolder ?? runId;
  if (!options.dryRun) {
    const lease = await deps.lease.acquire(holder, options.leaseTtlMs, deps.now());
    if (!lease.acquired) {
      summary.lease_held = { holder: lease.holder, expires_at: lease.expiresAt.toISOString() };
      summary.done = true;
      summary.codes_not_reached = targets.map((t) => t.stkCd);
      deps.logger.warn('another scan holds the lease; nothing to do', summary.lease_held);
      return finish(deps, summary, statsAtStart);
    }
  }

  try {
    const digest = options.delivery === 'digest';
    // Digest mode: what earlier runs left unsent rides in this run's digest.
    if (deps.publisher && !digest) await retryUnsent(deps, summary);
    const queue = await orderTargets(deps, targets, runId);
    const recorded: LedgerEntry[] = [];
    await scanCodes(deps, options, queue, runId, holder, summary, recorded, stop);
    const finishing = summary.codes_not_reached.length === 0 || summary.stopped !== null;
    // One digest per run: a Step Functions slice that leaves codes for the
    // next slice leaves its entries pending; the last slice sends them all.
    if (deps.publisher && digest && finishing) await sendDigest(deps, runId, recorded, summary);
  } finally {
    if (!options.dryRun) {
      await deps.lease.release(holder).catch((error: unknown) => {
        deps.logger.warn('could not release the lease; it expires by itself', {
          error: String(error),
        });
      });
    }
  }
  // What the limiters learned, kept for the next container (errors are only logged).
  await deps.kiwoom.saveLearned?.();
  summary.done = summary.codes_not_reached.length === 0 || summary.stopped !== null;
  return finish(deps, summary, statsAtStart);
}

function finish(deps: ScanDeps, summary: ScanSummary, atStart: KiwoomStats | undefined): ScanSummary {
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

interface Target {
  stkCd: string;
  settings: WatchSettings;
}

/** Validates every watchlist item; an invalid one is reported and skipped, never fatal. */
async function loadTargets(deps: ScanDeps, options: ScanOptions, summary: ScanSummary): Promise<Target[]> {
  const items = await deps.watchlist.list();
  const defaultsItem = items.find((item) => item.stk_cd === DEFAULTS_KEY);
  const byCode = new Map<string, Record<string, unknown>>();
  for (const item of items) {
    if (item.stk_cd === DEFAULTS_KEY) continue;
    byCode.set(String(item.stk_cd), item);
  }
  const wanted = options.codes ?? [...byCode.keys()].sort();
  const targets: Target[] = [];
  for (const stkCd of wanted) {
    const item = byCode.get(stkCd) ?? { stk_cd: stkCd };
    const resolved = resolveWatchSettings(item, defaultsItem);
    if (!resolved.ok) {
      const message = formatWatchProblems(resolved);
      summary.invalid_items.push({ stk_cd: resolved.stkCd, problems: resolved.problems, message });
      deps.logger.warn('invalid watchlist item skipped', { stk_cd: resolved.stkCd, problems: resolved.problems });
      continue;
    }
    // An explicit --codes list scans the code even when disabled: the user asked.
    if (!resolved.settings.enabled && options.codes === undefined) continue;
    targets.push({ stkCd: resolved.settings.stkCd, settings: resolved.settings });
  }
  return targets;
}

/**
 * Codes this run has not finished yet, least recently checked first, so that
 * codes a cut-short run did not reach are the first the next run takes.
 */
async function orderTargets(deps: ScanDeps, targets: Target[], runId: string): Promise<Target[]> {
  if (targets.length === 0) return [];
  const states = await deps.history.codeStates(targets.map((t) => t.stkCd));
  return targets
    .filter((t) => states.get(t.stkCd)?.lastRunId !== runId)
    .map((t, index) => ({ t, index, checkedAt: states.get(t.stkCd)?.checkedAt ?? '' }))
    .sort((a, b) => (a.checkedAt < b.checkedAt ? -1 : a.checkedAt > b.checkedAt ? 1 : a.index - b.index))
    .map((x) => x.t);
}

/** Alerts recorded but not yet sent by an earlier run (a failed publish, a crash). */
async function retryUnsent(deps: ScanDeps, summary: ScanSummary): Promise<void> {
  const unsent = await deps.ledger.unsent();
  for (const entry of unsent) {
    if (entry.status === 'sent') continue;
    const ok = await publishEntry(deps, entry, summary);
    if (ok) summary.alerts_retried += 1;
  }
}

async function publishEntry(deps: ScanDeps, entry: LedgerEntry, summary: ScanSummary): Promise<boolean> {
  if (!deps.publisher) return false;
  let messageId: string;
  try {
    ({ messageId } = await deps.publisher.publish(entry.message));
  } catch (error) {
    summary.alerts_failed += 1;
    const reason = errorText(error);
    deps.logger.error('alert publish failed; the next run retries it', {
      alert_id: entry.alertId,
      error: reason,
    });
    await deps.ledger.markFailed(entry.stkCd, entry.dt, entry.rule, reason).catch(() => undefined);
    return false;
  }
  summary.alerts_published += 1;
  summary.alerts.push(payloadOf(entry.message));
  try {
    await deps.ledger.markSent(entry.stkCd, entry.dt, entry.rule, messageId);
  } catch (error) {
    // SNS has the message; the entry stays unsent, so the next run sends it
    // again with the same alert_id: the one duplicate SNS leaves possible.
    deps.logger.error('alert sent but not marked sent; the next run may repeat it', {
      alert_id: entry.alertId,
      error: errorText(error),
    });
  }
  return true;
}

function payloadOf(message: LedgerMessage): Record<string, unknown> {
  const outer = JSON.parse(message.messageJson) as { default: string };
  return JSON.parse(outer.default) as Record<string, unknown>;
}

async function scanCodes(
  deps: ScanDeps,
  options: ScanOptions,
  queue: Target[],
  runId: string,
  holder: string,
  summary: ScanSummary,
  recorded: LedgerEntry[],
  stop: AbortController,
): Promise<void> {
  const reserveMs = options.reserveMs ?? 30_000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let next = 0;
  let lastRenewal = deps.now().getTime();
  let leaseLost = false;

  const worker = async (): Promise<void> => {
    for (;;) {
      if (summary.stopped || leaseLost || stop.signal.aborted) return;
      if (deps.remainingMs() < reserveMs) return;
      if (!options.dryRun && deps.now().getTime() - lastRenewal > options.leaseTtlMs / 3) {
        lastRenewal = deps.now().getTime();
        if (!(await deps.lease.renew(holder, options.leaseTtlMs, deps.now()))) {
          leaseLost = true;
          summary.stopped = { reason: 'lease lost: another scan took over', error: 'LeaseLost' };
          return;
        }
      }
      const target = queue[next];
      if (!target) return;
      next += 1;
      await scanOneCode(deps, options, target, runId, summary, recorded, stop);
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

interface Outcome {
  alert: Alert;
  current: Snapshot;
}

async function scanOneCode(
  deps: ScanDeps,
  options: ScanOptions,
  target: Target,
  runId: string,
  summary: ScanSummary,
  recorded: LedgerEntry[],
  stop: AbortController,
): Promise<void> {
  const { stkCd, settings } = target;
  const progress: CodeProgress = { stkCd, days: 0, alerts: 0, revisions: 0, deferred: 0 };
  try {
    const { stored, rows } = await fetchAlongsideHistory(deps, stkCd, stop.signal);
    if (rows.length === 0) {
      progress.noRows = true;
      summary.codes_without_rows.push(stkCd);
      deps.logger.info('Kiwoom has no rows for this code', { stk_cd: stkCd });
    }
    const lastDt = stored[0]?.snapshot.dt;
    const plan = planDays({
      stkCd,
      rows,
      stored,
      now: deps.now(),
      cutoffKst: options.dayCutoffKst,
      maxDays: options.maxDaysPerCode,
    });

    const outcomes: Outcome[] = [];
    const toStore: StoredSnapshot[] = [];
    const storedAt = deps.now().toISOString();
    const codeStateAfter = (days: StoredSnapshot[], previousLast: string | undefined): CodeState => ({
      stkCd,
      lastDt: [previousLast, ...days.map((d) => d.snapshot.dt)].filter((d): d is string => d !== undefined).sort().at(-1) ?? null,
      checkedAt: deps.now().toISOString(),
      lastRunId: runId,
    });
    const storedNewestFirst: StoredDay[] = [...stored];
    const history = [...stored].reverse().map((s) => s.snapshot);

    const keep = (findings: Finding[], current: Snapshot, previousDt: string, revision: boolean): void => {
      for (const finding of findings) {
        const alert = toAlert(finding, { stkCd, name: settings.name, dt: current.dt, previousDt, revision });
        outcomes.push({ alert, current });
      }
    };

    // Revisions: re-evaluate each corrected day against its previous trading day.
    const revisedStates = new Map<string, RuleState>();
    const revisedSnapshots = new Map<string, Snapshot>();
    for (const revised of plan.revisedDays) {
      const index = storedNewestFirst.findIndex((s) => s.snapshot.dt === revised.current.dt);
      const before = storedNewestFirst[index + 1];
      let ruleState = revised.stored.ruleState;
      // A correction of history that replay/backfill stored is kept, but not
      // alerted on: the scan never evaluated that day in the first place.
      const evaluatedByScan = revised.stored.storedBy !== 'replay';
      if (before && evaluatedByScan) {
        const evaluated = evaluateDay({
          settings,
          previous: revisedSnapshots.get(before.snapshot.dt) ?? before.snapshot,
          current: revised.current,
          state: revisedStates.get(before.snapshot.dt) ?? before.ruleState,
          recent: daysBefore(history, toStore, revised.current.dt),
        });
        ruleState = evaluated.state;
        keep(evaluated.findings, revised.current, before.snapshot.dt, true);
      }
      revisedStates.set(revised.current.dt, ruleState);
      revisedSnapshots.set(revised.current.dt, revised.current);
      toStore.push({
        snapshot: revised.current,
        ruleState,
        revision: revised.stored.revision + 1,
        previousRows: [...revised.stored.previousRows, revised.stored.snapshot.row],
        storedAt,
      });
      progress.revisions += 1;
    }

    if (plan.baseline) {
      toStore.push({ snapshot: plan.baseline, ruleState: EMPTY_RULE_STATE, revision: 0, previousRows: [], storedAt });
    }
    const latest = stored[0];
    let state: RuleState = latest
      ? (revisedStates.get(latest.snapshot.dt) ?? latest.ruleState)
      : EMPTY_RULE_STATE;
    for (const day of plan.newDays) {
      const evaluated = evaluateDay({
        settings,
        previous: day.previous,
        current: day.current,
        state,
        recent: daysBefore(history, toStore, day.current.dt),
      });
      state = evaluated.state;
      keep(evaluated.findings, day.current, day.previous.dt, false);
      toStore.push({ snapshot: day.current, ruleState: state, revision: 0, previousRows: [], storedAt });
      progress.days += 1;
    }

    const messages = outcomes.map(({ alert, current }) => ({
      alert,
      snoozed: isSnoozed(settings, alert.dt),
      message: buildAlertMessage(alert, {
        current,
        recent: recentUpTo(history, toStore.map((s) => s.snapshot), current.dt),
        subjectTemplate: settings.subjectTemplate,
      }),
    }));

    if (options.dryRun) {
      for (const { message, snoozed } of messages) {
        if (snoozed) summary.alerts_suppressed += 1;
        else summary.alerts.push(message.payload as unknown as Record<string, unknown>);
      }
      progress.alerts = messages.filter((m) => !m.snoozed).length;
    } else {
      // Ledger first: whatever happens next, the alert is remembered.
      const toPublish: LedgerEntry[] = [];
      for (const { alert, message, snoozed } of messages) {
        const entry: NewLedgerEntry = {
          alertId: alert.alertId,
          stkCd,
          dt: alert.dt,
          rule: alert.rule,
          revision: alert.revision,
          message: { subject: message.subject, messageJson: snsMessageJson(message), attributes: message.attributes },
        };
        if (snoozed) {
          // Snoozed: remembered and visible in the history, never published.
          const result = await deps.ledger.recordSuppressed({ ...entry, reason: `snoozed until ${settings.snoozeUntil}` });
          if (result.created) summary.alerts_suppressed += 1;
          continue;
        }
        const result = await deps.ledger.record(entry);
        if (result.created) toPublish.push(result.entry);
        else if (result.existing.status === 'pending' || result.existing.status === 'failed') toPublish.push(result.existing);
        else summary.alerts_already_sent += 1;
      }
      await deps.history.saveCode(toStore, codeStateAfter(toStore, lastDt));
      if (options.delivery === 'digest') {
        recorded.push(...toPublish);
        progress.alerts = toPublish.length;
      } else {
        for (const entry of toPublish) {
          if (await publishEntry(deps, entry, summary)) progress.alerts += 1;
        }
      }
    }

    summary.days_processed += progress.days;
    summary.revisions += progress.revisions;
    if (plan.deferredDays.length > 0) {
      progress.deferred = plan.deferredDays.length;
      summary.days_deferred.push({ stk_cd: stkCd, days: plan.deferredDays });
    }
    if (plan.blockingErrors.length > 0) {
      const reason = 'invalid row from Kiwoom';
      const error = plan.blockingErrors.map((e) => e.message).join('; ');
      summary.codes_failed.push({ stk_cd: stkCd, reason, error });
      progress.error = `${reason}: ${error}`;
    } else {
      summary.codes_scanned += 1;
    }
    deps.logger.info('code scanned', {
      stk_cd: stkCd,
      days: progress.days,
      alerts: progress.alerts,
      revisions: progress.revisions,
      deferred: progress.deferred,
    });
  } catch (error) {
    const reason = failureReason(error);
    progress.error = `${reason}: ${errorText(error)}`;
    if (error instanceof CallAbortedError) {
      // Time ran out (or the run stopped) mid-code: nothing was written, so
      // the next invocation takes the code first, as if never started.
      progress.error = undefined;
      progress.notReached = true;
      summary.codes_not_reached.push(stkCd);
      deps.logger.info('code cut short; left for the next invocation', { stk_cd: stkCd });
    } else if (error instanceof KiwoomError && error.stopsRun) {
      // Bad credentials, live/mock mismatch, IP not allowed: every code would
      // fail the same way, so stop with one message instead of one per code
      // (the codes already in flight meet the same error: say it once).
      if (!summary.stopped) {
        summary.stopped = { reason, error: errorText(error) };
        stop.abort();
        deps.logger.error('scan stopped', { stk_cd: stkCd, reason, error: errorText(error) });
      } else {
        progress.error = undefined;
        progress.notReached = true;
      }
      // Not done: the next run takes it first.
      summary.codes_not_reached.push(stkCd);
    } else {
      summary.codes_failed.push({ stk_cd: stkCd, reason, error: errorText(error) });
      deps.logger.error('code failed', { stk_cd: stkCd, reason, error: errorText(error) });
    }
  } finally {
    options.onProgress?.(progress);
  }
}

const MAX_PAGES = 10;

/**
 * The code's stored days and its ka10008 rows, fetched side by side (the
 * DynamoDB read hides behind the Kiwoom call). The newest page overlaps the
 * stored days, so revisions are checked at no extra call; older pages are
 * fetched only to reach back to the last stored day after missed runs.
 */
async function fetchAlongsideHistory(
  deps: ScanDeps,
  stkCd: string,
  signal: AbortSignal,
): Promise<{ stored: StoredSnapshot[]; rows: unknown[] }> {
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

const LOOKBACK_DAYS = 40;

/** Trading days before `dt`, oldest first, for rules that look back (the 20-day forecast). */
function daysBefore(stored: Snapshot[], fresh: StoredSnapshot[], dt: string): Snapshot[] {
  const byDay = new Map<string, Snapshot>();
  for (const s of stored) byDay.set(s.dt, s);
  for (const s of fresh) byDay.set(s.snapshot.dt, s.snapshot);
  return [...byDay.values()]
    .filter((s) => s.dt < dt)
    .sort((a, b) => (a.dt < b.dt ? -1 : 1))
    .slice(-LOOKBACK_DAYS);
}

/** The run's digest: this run's entries and any an earlier run left unsent, in one message. */
async function sendDigest(deps: ScanDeps, runId: string, recorded: LedgerEntry[], summary: ScanSummary): Promise<void> {
  if (!deps.publisher) return;
  // The unsent index may not list an entry recorded a moment ago: merge both.
  const entries = [...(await deps.ledger.unsent()), ...recorded];
  if (entries.length === 0) return;
  const delivery = await deliverDigest(deps.ledger, deps.publisher, entries, { runId });
  const carried = [...delivery.sent, ...delivery.unconfirmed.map((u) => u.entry)];
  summary.digests_published += delivery.digests.length;
  summary.alerts_published += carried.length;
  summary.alerts_failed += delivery.failed.length;
  for (const entry of carried) summary.alerts.push(payloadOf(entry.message));
  for (const { entry, error } of [...delivery.failed, ...delivery.unreadable]) {
    deps.logger.error('digest could not carry an alert; the next run retries it', { alert_id: entry.alertId, error });
  }
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
  if (error instanceof KiwoomError) return error.name;
  if (error instanceof Error) return error.name;
  return 'Error';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
