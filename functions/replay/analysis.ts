// What a threshold would have done over a run of trading days: the scan's
// own rule engine day by day, then flaps and a one-line verdict. Pure.
import { evaluateDay, toAlert } from '../domain/rules.ts';
import {
  EMPTY_RULE_STATE,
  RULE_IDS,
  type Alert,
  type RuleId,
  type RuleState,
  type Snapshot,
  type TradingDay,
  type WatchSettings,
} from '../domain/types.ts';

/**
 * Trading days before the current one handed to the engine for rules that
 * look back (the exhaustion forecast): as many as the scan keeps in reach.
 */
export const RECENT_CONTEXT_DAYS = 60;

/**
 * A flap: the same threshold crossed again (back the other way, or the same
 * way after falling back) within this many trading days of the crossing
 * before it. Five is one trading week: a user who got "above 49%" on Monday
 * and "below 49%" by Friday heard noise, not news.
 */
export const FLAP_WINDOW_TRADING_DAYS = 5;

/** Hysteresis settings the verdict tries, basis points (0.1pp … 1pp). */
export const HYSTERESIS_CANDIDATES_BP: readonly number[] = [0, 10, 20, 30, 50, 100];

export interface DaySeries {
  /** Days before the baseline, oldest first: look-back only, never evaluated. */
  context: readonly Snapshot[];
  /** The day the first evaluated day is compared with; null when none is older. */
  baseline: Snapshot | null;
  /** Evaluated days, oldest first. Without a baseline the first one only serves as it. */
  days: readonly Snapshot[];
}

/**
 * Every alert the scan would have sent over the series, oldest first: the
 * scan's evaluateDay with the same settings, each day against the one before
 * it, hysteresis memory threaded from an empty state at the first day (what
 * a first scan starts from).
 */
export function replayAlerts(settings: WatchSettings, series: DaySeries): Alert[] {
  const chain = [...series.context, ...(series.baseline === null ? [] : [series.baseline]), ...series.days];
  const first = chain.length - series.days.length + (series.baseline === null ? 1 : 0);
  const alerts: Alert[] = [];
  let state: RuleState = EMPTY_RULE_STATE;
  for (let i = Math.max(1, first); i < chain.length; i++) {
    const previous = chain[i - 1] as Snapshot;
    const current = chain[i] as Snapshot;
    const recent = chain.slice(Math.max(0, i - RECENT_CONTEXT_DAYS), i);
    const day = evaluateDay({ settings, previous, current, state, recent });
    state = day.state;
    for (const finding of day.findings) {
      alerts.push(
        toAlert(finding, { stkCd: settings.stkCd, name: settings.name, dt: current.dt, previousDt: previous.dt, revision: false }),
      );
    }
  }
  return alerts;
}

/** The days that were compared with a previous day (without a baseline, all but the first). */
export function evaluatedDays(series: DaySeries): Snapshot[] {
  return series.baseline === null ? series.days.slice(1) : [...series.days];
}

export interface FlapCrossing {
  dt: TradingDay;
  rule: RuleId;
}

export interface Flap {
  thresholdBp: number;
  first: FlapCrossing;
  second: FlapCrossing;
  tradingDaysApart: number;
}

function isCrossing(rule: RuleId): boolean {
  return rule === 'limit_exh_rt_cross_up' || rule === 'limit_exh_rt_cross_down';
}

/**
 * Consecutive crossings of one threshold (by value: `--above 49 --below 49`
 * is one line) no more than `windowDays` trading days apart. Up, down, up
 * within a week is two flaps.
 */
export function findFlaps(
  alerts: readonly Alert[],
  tradingDays: readonly TradingDay[],
  windowDays: number = FLAP_WINDOW_TRADING_DAYS,
): Flap[] {
  const indexOf = new Map(tradingDays.map((dt, index) => [dt, index]));
  const byThreshold = new Map<number, { index: number; crossing: FlapCrossing }[]>();
  for (const alert of alerts) {
    if (!isCrossing(alert.rule)) continue;
    const index = indexOf.get(alert.dt);
    if (index === undefined) continue;
    const crossed = alert.thresholdsCrossed ?? (alert.threshold === null ? [] : [alert.threshold]);
    for (const thresholdBp of crossed) {
      const events = byThreshold.get(thresholdBp) ?? [];
      events.push({ index, crossing: { dt: alert.dt, rule: alert.rule } });
      byThreshold.set(thresholdBp, events);
    }
  }
  const flaps: Flap[] = [];
  for (const [thresholdBp, events] of byThreshold) {
    events.sort((a, b) => a.index - b.index);
    for (let i = 1; i < events.length; i++) {
      const before = events[i - 1]!;
      const after = events[i]!;
      const apart = after.index - before.index;
      if (apart <= windowDays) {
        flaps.push({ thresholdBp, first: before.crossing, second: after.crossing, tradingDaysApart: apart });
      }
    }
  }
  return flaps.sort((a, b) => (a.second.dt < b.second.dt ? -1 : a.second.dt > b.second.dt ? 1 : a.thresholdBp - b.thresholdBp));
}

export interface HysteresisOutcome {
  hysteresisBp: number;
  alerts: number;
  flaps: number;
}

/** The same series under other hysteresis settings (the configured one included), smallest first. */
export function compareHysteresis(settings: WatchSettings, series: DaySeries): HysteresisOutcome[] {
  if (settings.aboveBp.length === 0 && settings.belowBp.length === 0) return [];
  const days = seriesDays(series);
  const candidates = [...new Set([...HYSTERESIS_CANDIDATES_BP, settings.hysteresisBp])].sort((a, b) => a - b);
  return candidates.map((hysteresisBp) => {
    const alerts = replayAlerts({ ...settings, hysteresisBp }, series);
    return { hysteresisBp, alerts: alerts.length, flaps: findFlaps(alerts, days).length };
  });
}

/** Every day of the series, baseline included, oldest first. */
export function seriesDays(series: DaySeries): TradingDay[] {
  return [...(series.baseline === null ? [] : [series.baseline.dt]), ...series.days.map((d) => d.dt)];
}

export function countByRule(alerts: readonly Alert[]): Partial<Record<RuleId, number>> {
  const counts: Partial<Record<RuleId, number>> = {};
  for (const rule of RULE_IDS) {
    const n = alerts.filter((a) => a.rule === rule).length;
    if (n > 0) counts[rule] = n;
  }
  return counts;
}

export interface VerdictInput {
  alerts: number;
  tradingDays: number;
  flaps: number;
  hysteresisBp: number;
  /** From compareHysteresis; empty when no crossing threshold is set. */
  hysteresis: readonly HysteresisOutcome[];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Hysteresis as people type it: 30 → "0.3pp". */
export function formatPp(bp: number): string {
  return `${String(bp / 100)}pp`;
}

/** "3 alerts in 120 trading days; 0 flaps with hysteresis 0.3pp (2 without)". */
export function verdict(input: VerdictInput): string {
  const head = `${plural(input.alerts, 'alert')} in ${plural(input.tradingDays, 'trading day')}`;
  if (input.hysteresis.length === 0) return `${head}; no crossing thresholds, so nothing can flap`;
  const withText =
    input.hysteresisBp === 0
      ? `${plural(input.flaps, 'flap')} without hysteresis`
      : `${plural(input.flaps, 'flap')} with hysteresis ${formatPp(input.hysteresisBp)}`;
  const without = input.hysteresis.find((h) => h.hysteresisBp === 0);
  const comparison =
    input.hysteresisBp > 0 && without !== undefined && without.flaps !== input.flaps ? ` (${without.flaps} without)` : '';
  let advice = '';
  if (input.flaps > 0) {
    const calmer = input.hysteresis.find((h) => h.hysteresisBp > input.hysteresisBp && h.flaps === 0);
    if (calmer) advice = `; hysteresis ${formatPp(calmer.hysteresisBp)} would leave 0`;
  }
  return `${head}; ${withText}${comparison}${advice}`;
}
