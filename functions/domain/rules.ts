// The rule engine: compares one trading day's snapshot with the previous
// trading day's and says which rules fired. Pure: values in, values out.
import { RULE_IDS, alertIdOf } from './types.ts';
import type {
  Alert,
  AlertDirection,
  ExhaustionForecast,
  Finding,
  PendingCrossing,
  ReminderClock,
  RuleId,
  RuleState,
  Snapshot,
  TradingDay,
  WatchSettings,
} from './types.ts';

export interface DayInput {
  settings: WatchSettings;
  previous: Snapshot;
  current: Snapshot;
  /** Hysteresis memory after the previous day. */
  state: RuleState;
  /**
   * Trading days before `current`, oldest first (the last one is normally
   * `previous`). The exhaustion forecast needs at least the 19 before
   * `current` (20 with it); the previous day's forecast needs 20.
   */
  recent?: readonly Snapshot[];
}

export interface DayEvaluation {
  /** At most one per rule, in the order of RULE_IDS. */
  findings: Finding[];
  /** Hysteresis memory after this day. */
  state: RuleState;
}

/** The thresholds one day crossed in one direction, in crossing order. */
export interface Crossing {
  /** Every armed threshold crossed, in crossing order (up: ascending, down: descending). */
  thresholdsBp: number[];
  /** The furthest threshold crossed: the last of `thresholdsBp`. */
  furthestBp: number;
}

/**
 * Up-crossings: armed T with `previous < T ≤ current`. Exact basis points, so
 * a rate already sitting at T the day before does not cross it again.
 */
export function crossingUp(
  previousBp: number,
  currentBp: number,
  thresholdsBp: readonly number[],
  disarmedBp: readonly number[],
): Crossing | null {
  const crossed = sortedDistinct(thresholdsBp).filter(
    (t) => previousBp < t && t <= currentBp && !disarmedBp.includes(t),
  );
  return toCrossing(crossed);
}

/** Down-crossings: armed T with `previous ≥ T > current`, highest first. */
export function crossingDown(
  previousBp: number,
  currentBp: number,
  thresholdsBp: readonly number[],
  disarmedBp: readonly number[],
): Crossing | null {
  const crossed = sortedDistinct(thresholdsBp)
    .reverse()
    .filter((t) => previousBp >= t && t > currentBp && !disarmedBp.includes(t));
  return toCrossing(crossed);
}

function toCrossing(crossed: number[]): Crossing | null {
  const furthestBp = crossed.at(-1);
  return furthestBp === undefined ? null : { thresholdsBp: crossed, furthestBp };
}

export function evaluateDay(input: DayInput): DayEvaluation {
  const { settings, previous, current, state } = input;
  const byRule = new Map<RuleId, Finding>();
  const previousBp = previous.limitExhRtBp;
  const currentBp = current.limitExhRtBp;
  const h = settings.hysteresisBp;
  const confirmDays = Math.max(1, settings.confirmDays ?? 1);

  // Thresholds removed from the configuration must not linger disarmed: if
  // one is added back later it should start armed, like a new threshold.
  let disarmedUp = state.disarmedUpBp.filter((t) => settings.aboveBp.includes(t));
  let disarmedDown = state.disarmedDownBp.filter((t) => settings.belowBp.includes(t));
  const configured = (direction: AlertDirection, t: number): boolean =>
    (direction === 'up' ? settings.aboveBp : settings.belowBp).includes(t);
  let pending = (state.pendingCrossings ?? []).filter((p) => configured(p.direction, p.thresholdBp));
  // Crossings that alert today (at once, or confirmed after confirm_days).
  let up: ConfirmedCrossing | null = null;
  let down: ConfirmedCrossing | null = null;

  if (currentBp !== null) {
    // confirm_days lowered while a crossing was pending: the days it has
    // already stayed past T meet the new setting, so it is confirmed now
    // rather than forgotten (it was never alerted).
    const met = pending.filter((p) => p.days >= confirmDays);
    // A pending crossing survives only days that stay past T; a day without
    // a rate (Kiwoom did not say) neither counts nor breaks the run.
    pending = pending
      .filter((p) => p.days < confirmDays && isPast(p.direction, p.thresholdBp, currentBp))
      .map((p) => ({ ...p, days: p.days + 1 }));
    if (previousBp !== null) {
      const waiting = [...met, ...pending];
      const pendingUp = waiting.filter((p) => p.direction === 'up').map((p) => p.thresholdBp);
      const pendingDown = waiting.filter((p) => p.direction === 'down').map((p) => p.thresholdBp);
      const crossedUp = crossingUp(previousBp, currentBp, settings.aboveBp, [...disarmedUp, ...pendingUp]);
      const crossedDown = crossingDown(previousBp, currentBp, settings.belowBp, [...disarmedDown, ...pendingDown]);
      if (confirmDays === 1) {
        up = crossedUp ? { ...crossedUp } : null;
        down = crossedDown ? { ...crossedDown } : null;
      } else {
        const started = (direction: AlertDirection, crossing: Crossing | null): PendingCrossing[] =>
          (crossing?.thresholdsBp ?? []).map((thresholdBp) => ({ direction, thresholdBp, sinceDt: current.dt, days: 1 }));
        pending = [...pending, ...started('up', crossedUp), ...started('down', crossedDown)];
      }
    }
    const due = [...met, ...pending.filter((p) => p.days >= confirmDays)];
    pending = pending.filter((p) => p.days < confirmDays);
    up = mergeCrossings('up', up, confirmedCrossing('up', due));
    down = mergeCrossings('down', down, confirmedCrossing('down', due));
  }

  if (previousBp !== null && currentBp !== null) {
    if (up) byRule.set('limit_exh_rt_cross_up', crossingFinding('limit_exh_rt_cross_up', 'up', up, currentBp, previousBp));
    if (down) {
      byRule.set('limit_exh_rt_cross_down', crossingFinding('limit_exh_rt_cross_down', 'down', down, currentBp, previousBp));
    }
    // Re-arming looks at today's close only; a threshold that alerted today
    // stays disarmed whatever the close (with h = 0 a close exactly at T both
    // alerts and "closes at T": the alert wins, and the next day's crossing
    // test, which needs previous < T, keeps plain-crossing behaviour).
    disarmedUp = sortedDistinct([
      ...disarmedUp.filter((t) => currentBp > t - h),
      ...(up?.thresholdsBp ?? []),
    ]);
    disarmedDown = sortedDistinct([
      ...disarmedDown.filter((t) => currentBp < t + h),
      ...(down?.thresholdsBp ?? []),
    ]);

    const moveBp = currentBp - previousBp;
    // A zero move has no direction; a moveBp of 0 would otherwise fire daily.
    if (settings.moveBp !== null && moveBp !== 0 && Math.abs(moveBp) >= settings.moveBp) {
      byRule.set('limit_exh_rt_move', {
        rule: 'limit_exh_rt_move',
        direction: moveBp > 0 ? 'up' : 'down',
        severity: 'warning',
        threshold: settings.moveBp,
        value: currentBp,
        previousValue: previousBp,
      });
    }
  } else if (currentBp !== null) {
    // The previous close is unknown, so nothing can cross; today's known
    // close may still re-arm thresholds it has moved back beyond. A pending
    // crossing may still confirm today (it only needs today's close).
    if (up) byRule.set('limit_exh_rt_cross_up', crossingFinding('limit_exh_rt_cross_up', 'up', up, currentBp, currentBp));
    if (down) {
      byRule.set('limit_exh_rt_cross_down', crossingFinding('limit_exh_rt_cross_down', 'down', down, currentBp, currentBp));
    }
    disarmedUp = disarmedUp.filter((t) => currentBp > t - h);
    disarmedDown = disarmedDown.filter((t) => currentBp < t + h);
    if (up) disarmedUp = sortedDistinct([...disarmedUp, ...up.thresholdsBp]);
    if (down) disarmedDown = sortedDistinct([...disarmedDown, ...down.thresholdsBp]);
  }

  const reminded = remind(settings, state.reminders ?? [], currentBp, previousBp, current.dt, [up, down], configured);
  if (reminded.finding) byRule.set('limit_exh_rt_still_beyond', reminded.finding);

  const chgQty = current.chgQty;
  if (settings.chgQtyAbs !== null && chgQty !== null && chgQty !== 0 && Math.abs(chgQty) >= settings.chgQtyAbs) {
    byRule.set('chg_qty_abs', {
      rule: 'chg_qty_abs',
      direction: chgQty > 0 ? 'up' : 'down',
      severity: 'warning',
      threshold: settings.chgQtyAbs,
      value: chgQty,
      previousValue: previous.chgQty ?? 0,
    });
  }

  const oldLimit = previous.frgnrLimit;
  const newLimit = current.frgnrLimit;
  if (settings.frgnrLimitChange && oldLimit !== null && newLimit !== null && oldLimit !== newLimit) {
    byRule.set('frgnr_limit_change', {
      rule: 'frgnr_limit_change',
      direction: newLimit > oldLimit ? 'up' : 'down',
      severity: 'info',
      threshold: null,
      value: newLimit,
      previousValue: oldLimit,
    });
  }

  const forecast = forecastRule(settings, state.forecastDisarmed === true, input.recent ?? [], current);
  if (forecast.finding) byRule.set('limit_exhaustion_forecast', forecast.finding);

  const findings = RULE_IDS.flatMap((rule) => {
    const finding = byRule.get(rule);
    return finding ? [finding] : [];
  });
  // Optional members only when they hold something, so a code using none of
  // the newer settings keeps exactly the state it always had.
  const nextState: RuleState = { disarmedUpBp: disarmedUp, disarmedDownBp: disarmedDown };
  if (pending.length > 0) nextState.pendingCrossings = pending;
  if (reminded.clocks.length > 0) nextState.reminders = reminded.clocks;
  if (forecast.disarmed) nextState.forecastDisarmed = true;
  return { findings, state: nextState };
}

/** Up: at or above T; down: below T (the same sides the crossing tests use). */
function isPast(direction: AlertDirection, thresholdBp: number, rateBp: number): boolean {
  return direction === 'up' ? rateBp >= thresholdBp : rateBp < thresholdBp;
}

interface ConfirmedCrossing extends Crossing {
  /** confirm_days > 1: the first trading day past the furthest threshold. */
  sinceDt?: TradingDay;
}

function confirmedCrossing(direction: AlertDirection, due: readonly PendingCrossing[]): ConfirmedCrossing | null {
  const mine = due.filter((p) => p.direction === direction);
  const ordered = sortedDistinct(mine.map((p) => p.thresholdBp));
  if (direction === 'down') ordered.reverse();
  const crossing = toCrossing(ordered);
  if (!crossing) return null;
  const furthest = mine.find((p) => p.thresholdBp === crossing.furthestBp);
  return { ...crossing, ...(furthest ? { sinceDt: furthest.sinceDt } : {}) };
}

/** Today's own crossing and crossings confirmed today, in one direction: one alert naming all of them. */
function mergeCrossings(
  direction: AlertDirection,
  today: ConfirmedCrossing | null,
  confirmed: ConfirmedCrossing | null,
): ConfirmedCrossing | null {
  if (!today || !confirmed) return today ?? confirmed;
  const ordered = sortedDistinct([...today.thresholdsBp, ...confirmed.thresholdsBp]);
  if (direction === 'down') ordered.reverse();
  const crossing = toCrossing(ordered) as Crossing;
  const sinceDt = crossing.furthestBp === confirmed.furthestBp ? confirmed.sinceDt : undefined;
  return { ...crossing, ...(sinceDt !== undefined ? { sinceDt } : {}) };
}

function crossingFinding(
  rule: 'limit_exh_rt_cross_up' | 'limit_exh_rt_cross_down',
  direction: AlertDirection,
  crossing: ConfirmedCrossing,
  currentBp: number,
  previousBp: number,
): Finding {
  return {
    rule,
    direction,
    severity: 'critical',
    threshold: crossing.furthestBp,
    thresholdsCrossed: crossing.thresholdsBp,
    value: currentBp,
    previousValue: previousBp,
    ...(crossing.sinceDt !== undefined ? { since: crossing.sinceDt } : {}),
  };
}

/**
 * remind_every_days: every threshold that alerted gets a clock; each later
 * trading day still past T advances it, and at N days a reminder goes out and
 * the clock restarts. Crossing back over T stops it. Several thresholds due
 * on one day make one reminder (the furthest); if both directions are due,
 * up goes first and down stays due for the next day.
 */
function remind(
  settings: WatchSettings,
  clocks: readonly ReminderClock[],
  currentBp: number | null,
  previousBp: number | null,
  dt: TradingDay,
  alertedToday: readonly (ConfirmedCrossing | null)[],
  configured: (direction: AlertDirection, t: number) => boolean,
): { finding: Finding | null; clocks: ReminderClock[] } {
  const every = settings.remindEveryDays ?? null;
  if (every === null || every < 1) return { finding: null, clocks: [] };
  let next = clocks.filter((c) => configured(c.direction, c.thresholdBp));
  // A day without a rate leaves every clock where it was.
  if (currentBp === null) return { finding: null, clocks: next };
  next = next
    .filter((c) => isPast(c.direction, c.thresholdBp, currentBp))
    .map((c) => ({ ...c, daysSinceLast: c.daysSinceLast + 1 }));

  let finding: Finding | null = null;
  const dueUp = next.filter((c) => c.direction === 'up' && c.daysSinceLast >= every);
  const dueDown = next.filter((c) => c.direction === 'down' && c.daysSinceLast >= every);
  const due = dueUp.length > 0 ? dueUp : dueDown;
  const furthest = [...due].sort((a, b) => (a.direction === 'up' ? b.thresholdBp - a.thresholdBp : a.thresholdBp - b.thresholdBp))[0];
  if (furthest) {
    finding = {
      rule: 'limit_exh_rt_still_beyond',
      direction: furthest.direction,
      severity: 'warning',
      threshold: furthest.thresholdBp,
      value: currentBp,
      previousValue: previousBp ?? currentBp,
      since: furthest.sinceDt,
    };
    next = next.map((c) => (due.includes(c) ? { ...c, daysSinceLast: 0 } : c));
  }

  const [up, down] = alertedToday;
  const started: ReminderClock[] = [
    ...(up?.thresholdsBp ?? []).map((t) => ({ direction: 'up' as const, thresholdBp: t, sinceDt: up?.sinceDt ?? dt, daysSinceLast: 0 })),
    ...(down?.thresholdsBp ?? []).map((t) => ({ direction: 'down' as const, thresholdBp: t, sinceDt: down?.sinceDt ?? dt, daysSinceLast: 0 })),
  ];
  const key = (c: ReminderClock) => `${c.direction}:${c.thresholdBp}`;
  const restarted = new Set(started.map(key));
  return { finding, clocks: [...next.filter((c) => !restarted.has(key(c))), ...started] };
}

/** Trading days of `chg_qty` the exhaustion forecast averages. */
export const FORECAST_WINDOW_DAYS = 20;

/**
 * The forecast for the day that ends `window` (oldest first): room ÷ the
 * window's mean net buying, rounded up. Null when it cannot be made: fewer
 * than FORECAST_WINDOW_DAYS days, a day without chg_qty, no known room, or
 * foreigners not net buying on average (room never runs out at that pace).
 */
export function exhaustionForecast(window: readonly Snapshot[]): ExhaustionForecast | null {
  if (window.length < FORECAST_WINDOW_DAYS) return null;
  const days = window.slice(-FORECAST_WINDOW_DAYS);
  const room = days.at(-1)?.gainPosStkcnt ?? null;
  if (room === null || room < 0) return null;
  let sum = 0;
  for (const day of days) {
    if (day.chgQty === null) return null;
    sum += day.chgQty;
  }
  if (sum <= 0) return null;
  // ceil(room / (sum / W)) = ceil(room·W / sum), in integers so no float can round it wrong.
  const numerator = BigInt(room) * BigInt(FORECAST_WINDOW_DAYS);
  const daysLeft = Number((numerator + BigInt(sum) - 1n) / BigInt(sum));
  return { roomShares: room, avgDailyNetBuying: sum / FORECAST_WINDOW_DAYS, daysLeft, windowDays: FORECAST_WINDOW_DAYS };
}

/**
 * exhaustion_days = N: alert the first day the forecast is N trading days or
 * fewer, then stay quiet until it has risen above 2N (or net buying has
 * stopped), so a forecast wobbling around N does not alert every evening.
 */
function forecastRule(
  settings: WatchSettings,
  disarmed: boolean,
  recent: readonly Snapshot[],
  current: Snapshot,
): { finding: Finding | null; disarmed: boolean } {
  const n = settings.exhaustionDays ?? null;
  if (n === null || n < 1) return { finding: null, disarmed: false };
  const before = recent.filter((s) => s.dt < current.dt);
  const window = [...before.slice(-(FORECAST_WINDOW_DAYS - 1)), current];
  // Fewer than 20 trading days of history (a new code, a short backfill):
  // no forecast at all rather than one from a handful of days.
  if (window.length < FORECAST_WINDOW_DAYS || window.some((s) => s.chgQty === null)) return { finding: null, disarmed };
  const forecast = exhaustionForecast(window);
  // Net selling or flat on average: room never runs out at this pace, so re-arm.
  if (!forecast) return { finding: null, disarmed: current.gainPosStkcnt === null ? disarmed : false };
  if (forecast.daysLeft > 2 * n) return { finding: null, disarmed: false };
  if (disarmed || forecast.daysLeft > n) return { finding: null, disarmed };
  const yesterday = exhaustionForecast(before.slice(-FORECAST_WINDOW_DAYS));
  return {
    finding: {
      rule: 'limit_exhaustion_forecast',
      direction: 'up',
      severity: 'critical',
      threshold: n,
      value: forecast.daysLeft,
      // The day before's forecast when it can be made, else today's.
      previousValue: yesterday?.daysLeft ?? forecast.daysLeft,
      forecast,
    },
    disarmed: true,
  };
}

/** Alerts for trading days up to and including `snoozeUntil` are recorded as suppressed, not published. */
export function isSnoozed(settings: Pick<WatchSettings, 'snoozeUntil'>, dt: TradingDay): boolean {
  const until = settings.snoozeUntil ?? null;
  return until !== null && dt <= until;
}

export interface HistoryDayEvaluation extends DayEvaluation {
  dt: TradingDay;
  previousDt: TradingDay;
}

/**
 * Replays a run of trading days (oldest first): day i against day i−1 for
 * i ≥ 1, threading the hysteresis state. The first day is only a baseline.
 */
export function evaluateHistory(
  settings: WatchSettings,
  days: readonly Snapshot[],
  initial: RuleState,
): HistoryDayEvaluation[] {
  const results: HistoryDayEvaluation[] = [];
  let state = initial;
  for (let i = 1; i < days.length; i++) {
    const previous = days[i - 1] as Snapshot;
    const current = days[i] as Snapshot;
    const recent = days.slice(Math.max(0, i - FORECAST_WINDOW_DAYS), i);
    const day = evaluateDay({ settings, previous, current, state, recent });
    results.push({ dt: current.dt, previousDt: previous.dt, ...day });
    state = day.state;
  }
  return results;
}

export interface AlertBinding {
  stkCd: string;
  name?: string | undefined;
  dt: TradingDay;
  previousDt: TradingDay;
  revision: boolean;
}

/** Binds a finding to its code and day; the id is stable for (code, day, rule). */
export function toAlert(finding: Finding, binding: AlertBinding): Alert {
  const { stkCd, name, dt, previousDt, revision } = binding;
  return {
    ...finding,
    ...(finding.thresholdsCrossed ? { thresholdsCrossed: [...finding.thresholdsCrossed] } : {}),
    alertId: alertIdOf(stkCd, dt, finding.rule),
    stkCd,
    ...(name !== undefined ? { name } : {}),
    dt,
    previousDt,
    revision,
  };
}

function sortedDistinct(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}
