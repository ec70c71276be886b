// The rule engine: compares one trading day's snapshot with the previous
// trading day's and says which rules fired. Pure: values in, values out.
import { RULE_IDS, alertIdOf } from './types.ts';
import type {
  Alert,
  Finding,
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

  // Thresholds removed from the configuration must not linger disarmed: if
  // one is added back later it should start armed, like a new threshold.
  let disarmedUp = state.disarmedUpBp.filter((t) => settings.aboveBp.includes(t));
  let disarmedDown = state.disarmedDownBp.filter((t) => settings.belowBp.includes(t));

  if (previousBp !== null && currentBp !== null) {
    const up = crossingUp(previousBp, currentBp, settings.aboveBp, disarmedUp);
    if (up) {
      byRule.set('limit_exh_rt_cross_up', {
        rule: 'limit_exh_rt_cross_up',
        direction: 'up',
        severity: 'critical',
        threshold: up.furthestBp,
        thresholdsCrossed: up.thresholdsBp,
        value: currentBp,
        previousValue: previousBp,
      });
    }
    const down = crossingDown(previousBp, currentBp, settings.belowBp, disarmedDown);
    if (down) {
      byRule.set('limit_exh_rt_cross_down', {
        rule: 'limit_exh_rt_cross_down',
        direction: 'down',
        severity: 'critical',
        threshold: down.furthestBp,
        thresholdsCrossed: down.thresholdsBp,
        value: currentBp,
        previousValue: previousBp,
      });
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
    // close may still re-arm thresholds it has moved back beyond.
    disarmedUp = disarmedUp.filter((t) => currentBp > t - h);
    disarmedDown = disarmedDown.filter((t) => currentBp < t + h);
  }

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

  const findings = RULE_IDS.flatMap((rule) => {
    const finding = byRule.get(rule);
    return finding ? [finding] : [];
  });
  return { findings, state: { disarmedUpBp: disarmedUp, disarmedDownBp: disarmedDown } };
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
    const day = evaluateDay({ settings, previous, current, state });
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
