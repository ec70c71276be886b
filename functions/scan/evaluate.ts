// The evaluate step of one code: the rule engine over the planned days, in
// order, threading the rule state. Without corrections, the new days follow
// the last stored one. With corrections, the corrected days and every later
// stored day are re-evaluated (carryCorrectionsForward) and compared with
// what the ledger announced. Pure: stored days, the plan and the ledger's
// entries in; alerts, withdrawals and the days to store out.
import { carryCorrectionsForward, type Announcement, type SpanDay } from '../domain/corrections.ts';
import type { DayPlan } from '../domain/day-plan.ts';
import { alertFromPayload, parseAlertPayload } from '../domain/messages.ts';
import { evaluateDay, toAlert } from '../domain/rules.ts';
import {
  alertIdOf,
  CORRECTION_RULE,
  EMPTY_RULE_STATE,
  type Alert,
  type LedgerRule,
  type RuleState,
  type Snapshot,
  type TradingDay,
  type WatchSettings,
} from '../domain/types.ts';
import type { LedgerEntry, StoredSnapshot } from './ports.ts';

/** Days stored by replay or backfill: history the scan never evaluated. */
export const STORED_BY_REPLAY = 'replay';
/** The row a first scan (or a fresh start) compares its newest day with: stored, never evaluated. */
export const STORED_BY_BASELINE = 'scan-baseline';

/** An alert and the snapshot of its day (its message shows the day's row). */
export interface Outcome {
  alert: Alert;
  current: Snapshot;
  /** Set when the ledger already has an entry for the alert's day and rule (see alertIdOf). */
  variant?: string;
}

/** An alert the corrected history no longer supports: a notice for one sent, silence for one not yet sent. */
export interface Withdrawn {
  entry: LedgerEntry;
  /** The alert as it was recorded. */
  original: Alert;
  thresholdsBp: number[];
  all: boolean;
  /** Sent: the notice's variant (its id is alertIdOf(code, day, 'correction', variant)); unsent: null. */
  noticeVariant: string | null;
  /** The alert's day and the day before it, as Kiwoom serves them now. */
  current: Snapshot;
  previous: Snapshot | null;
}

export interface CodeEvaluation {
  outcomes: Outcome[];
  withdrawn: Withdrawn[];
  /** Entries already recorded, still supported and not yet published. */
  stillDue: LedgerEntry[];
  /** New, revised and re-evaluated days with the rule state after each, oldest first. */
  toStore: StoredSnapshot[];
  /** New days evaluated. */
  days: number;
  revisions: number;
}

export interface EvaluateInput {
  settings: WatchSettings;
  /** Stored days, newest first. */
  stored: readonly StoredSnapshot[];
  plan: DayPlan;
  storedAt: string;
  /** With corrections: the ledger's entries for the code from `ledgerSince` on. */
  announced?: readonly LedgerEntry[];
}

const LOOKBACK_DAYS = 40;

/**
 * Where the ledger must be read from for a correction: the stored days
 * before the first corrected one that the corrections weigh (an announcement
 * in the span may stand for a crossing or limit change among them); null
 * without a correction.
 */
export function ledgerSince(stored: readonly StoredSnapshot[], plan: DayPlan): TradingDay | null {
  return plan.revisedDays.length === 0 ? null : spanOf(stored, plan).since;
}

/** The stored days a correction re-evaluates (from the first corrected one) and the ones before it that it weighs. */
function spanOf(stored: readonly StoredSnapshot[], plan: DayPlan) {
  const firstCorrected = plan.revisedDays[0]?.current.dt ?? '';
  const oldestFirst = [...stored].reverse();
  const start = Math.max(0, oldestFirst.findIndex((s) => s.snapshot.dt === firstCorrected));
  const earlier = oldestFirst.slice(Math.max(0, start - LOOKBACK_DAYS), start);
  return { spanStored: oldestFirst.slice(start), earlier, since: earlier[0]?.snapshot.dt ?? firstCorrected };
}

export function evaluateCode(input: EvaluateInput): CodeEvaluation {
  return input.plan.revisedDays.length === 0 ? evaluateNewDays(input) : carryForward(input);
}

/** The new days after the last stored one (or a first scan's newest day after its baseline). */
function evaluateNewDays(input: EvaluateInput): CodeEvaluation {
  const { settings, stored, plan, storedAt } = input;
  const outcomes: Outcome[] = [];
  const toStore: StoredSnapshot[] = [];
  const history = [...stored].reverse().map((s) => s.snapshot);
  if (plan.baseline) {
    toStore.push({ snapshot: plan.baseline, ruleState: EMPTY_RULE_STATE, revision: 0, previousRows: [], storedAt, storedBy: STORED_BY_BASELINE });
  }
  // After a gap the code starts afresh: no rule state carries over the unknown days.
  const latest = plan.rebaselinedFrom === null ? stored[0] : undefined;
  let state: RuleState = latest?.ruleState ?? EMPTY_RULE_STATE;
  for (const day of plan.newDays) {
    const evaluated = evaluateDay({
      settings,
      previous: day.previous,
      current: day.current,
      state,
      recent: daysBefore([...history, ...toStore.map((s) => s.snapshot)], day.current.dt),
    });
    state = evaluated.state;
    for (const finding of evaluated.findings) {
      const binding = { stkCd: settings.stkCd, name: settings.name, dt: day.current.dt, previousDt: day.previous.dt, revision: false };
      outcomes.push({ alert: toAlert(finding, binding), current: day.current });
    }
    toStore.push({ snapshot: day.current, ruleState: state, revision: 0, previousRows: [], storedAt });
  }
  return { outcomes, withdrawn: [], stillDue: [], toStore, days: plan.newDays.length, revisions: 0 };
}

/** Corrections: the first corrected day and every later one re-evaluated, then the new days. */
function carryForward(input: EvaluateInput): CodeEvaluation {
  const { settings, stored, plan, storedAt } = input;
  const corrected = new Map(plan.revisedDays.map((r) => [r.current.dt, r.current]));
  const { spanStored, earlier, since } = spanOf(stored, plan);
  const days: SpanDay[] = [
    ...spanStored.map((s) => ({
      snapshot: corrected.get(s.snapshot.dt) ?? s.snapshot,
      storedState: s.ruleState,
      evaluable: s.storedBy !== STORED_BY_REPLAY && s.storedBy !== STORED_BY_BASELINE,
      stored: true,
    })),
    ...plan.newDays.map((d) => ({ snapshot: d.current, storedState: EMPTY_RULE_STATE, evaluable: true, stored: false })),
  ];
  const ledger = (input.announced ?? []).filter((e) => e.dt >= since);
  const announcements = new Map<Announcement, LedgerEntry>();
  for (const entry of ledger) {
    const announcement = toAnnouncement(entry);
    if (announcement) announcements.set(announcement, entry);
  }
  const anchor = earlier.at(-1);
  const newest = stored[0];
  const result = carryCorrectionsForward({
    settings,
    anchor: anchor ? { snapshot: anchor.snapshot, ruleState: anchor.ruleState } : null,
    days,
    lookback: earlier.map((s) => s.snapshot),
    earlier: earlier.map((s) => ({ snapshot: s.snapshot, ruleState: s.ruleState })),
    announced: [...announcements.keys()],
    uncorrected: newest ? { snapshot: newest.snapshot, ruleState: newest.ruleState } : null,
  });

  const byDay = new Map(days.map((d, i) => [d.snapshot.dt, { day: d, previous: days[i - 1]?.snapshot ?? anchor?.snapshot ?? null }]));
  const stateOf = new Map(result.states.map((s) => [s.dt, s.state]));
  const taken = new Set(ledger.map((e) => keyText(e.dt, e.rule, e.variant)));
  const outcomes = result.alerts.map((alert): Outcome => {
    const variant = freeVariant(taken, alert.dt, alert.rule, (n) => `r${n}`);
    // A crossing before the span announced afresh is told with its own stored day.
    const current = (byDay.get(alert.dt)?.day.snapshot ?? earlier.find((e) => e.snapshot.dt === alert.dt)?.snapshot) as Snapshot;
    return variant === undefined
      ? { alert, current }
      : { alert: { ...alert, alertId: alertIdOf(settings.stkCd, alert.dt, alert.rule, variant) }, current, variant };
  });
  const withdrawn = result.withdrawn.flatMap((w): Withdrawn[] => {
    const entry = announcements.get(w.announcement);
    const at = byDay.get(w.announcement.alert.dt);
    if (!entry || !at) return [];
    const base = `${entry.rule}${entry.variant === undefined ? '' : `-${entry.variant}`}`;
    const noticeVariant =
      entry.status === 'sent' ? (freeVariant(taken, entry.dt, CORRECTION_RULE, (n) => (n === 1 ? base : `${base}-${n}`), true) ?? base) : null;
    return [{ entry, original: w.announcement.alert, thresholdsBp: w.thresholdsBp, all: w.all, noticeVariant, current: at.day.snapshot, previous: at.previous }];
  });

  const toStore: StoredSnapshot[] = [];
  for (const s of spanStored) {
    const now = corrected.get(s.snapshot.dt);
    const ruleState = stateOf.get(s.snapshot.dt) ?? s.ruleState;
    if (now === undefined && JSON.stringify(ruleState) === JSON.stringify(s.ruleState)) continue;
    toStore.push({
      snapshot: now ?? s.snapshot,
      ruleState,
      revision: now === undefined ? s.revision : s.revision + 1,
      previousRows: now === undefined ? s.previousRows : [...s.previousRows, s.snapshot.row],
      storedAt: now === undefined ? s.storedAt : storedAt,
      // Replay's and backfill's marker survives the rewrite: that day stays history the scan never evaluated.
      ...(s.storedBy === undefined ? {} : { storedBy: s.storedBy }),
    });
  }
  for (const d of plan.newDays) {
    toStore.push({ snapshot: d.current, ruleState: stateOf.get(d.current.dt) ?? EMPTY_RULE_STATE, revision: 0, previousRows: [], storedAt });
  }
  const stillDue = result.stillDue.flatMap((a) => announcements.get(a) ?? []);
  return { outcomes, withdrawn, stillDue, toStore, days: plan.newDays.length, revisions: plan.revisedDays.length };
}

/** The alert an entry recorded, read back from its payload; null for a notice or an unreadable entry. */
function toAnnouncement(entry: LedgerEntry): Announcement | null {
  if (entry.rule === CORRECTION_RULE) return null;
  try {
    return {
      alert: alertFromPayload(parseAlertPayload(entry.message.messageJson)),
      status: entry.status,
      withdrawnBp: entry.withdrawnBp ?? [],
      withdrawn: entry.withdrawn === true,
    };
  } catch {
    return null;
  }
}

function keyText(dt: TradingDay, rule: LedgerRule, variant: string | undefined): string {
  return `${dt}#${rule}#${variant ?? ''}`;
}

/**
 * The first variant free for (day, rule), or undefined when the plain key is
 * free (and `always` is not set). Marks it taken.
 */
function freeVariant(
  taken: Set<string>,
  dt: TradingDay,
  rule: LedgerRule,
  name: (n: number) => string,
  always = false,
): string | undefined {
  if (!always && !taken.has(keyText(dt, rule, undefined))) {
    taken.add(keyText(dt, rule, undefined));
    return undefined;
  }
  for (let n = 1; ; n += 1) {
    const variant = name(n);
    if (!taken.has(keyText(dt, rule, variant))) {
      taken.add(keyText(dt, rule, variant));
      return variant;
    }
  }
}

/** Trading days before `dt`, oldest first, for rules that look back (the 20-day forecast). */
function daysBefore(days: readonly Snapshot[], dt: string): Snapshot[] {
  const byDay = new Map<string, Snapshot>();
  for (const s of days) byDay.set(s.dt, s);
  return [...byDay.values()]
    .filter((s) => s.dt < dt)
    .sort((a, b) => (a.dt < b.dt ? -1 : 1))
    .slice(-LOOKBACK_DAYS);
}
