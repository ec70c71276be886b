// Where every watched code stands tonight, from what the History table holds:
// the newest stored day, each threshold's distance and hysteresis/confirmation
// state, the snooze, the days-to-exhaustion forecast, the last alert and
// whether a trading day that should be final is missing. Pure: stored values
// and `now` in, status rows out; reading the tables is ./load.ts's job.
import { kstDay, newestFinalWeekday } from '../domain/calendar.ts';
import { exhaustionForecast, FORECAST_WINDOW_DAYS } from '../domain/rules.ts';
import {
  EMPTY_RULE_STATE,
  type AlertDirection,
  type ExhaustionForecast,
  type RuleId,
  type RuleState,
  type Snapshot,
  type TradingDay,
  type WatchSettings,
} from '../domain/types.ts';
import type { WatchProblem } from '../domain/watchlist.ts';
import { knownClosedWeekdays, weekdaysBetween } from './trading-days.ts';

/** A stored day as status needs it (the History table's StoredSnapshot fits). */
export interface StoredDayView {
  snapshot: Snapshot;
  /** The rule state after evaluating this day. */
  ruleState: RuleState;
}

/** A ledger entry as status needs it (the alert ledger's LedgerEntry fits). */
export interface AlertRecord {
  alertId: string;
  dt: TradingDay;
  rule: RuleId;
  status: string;
  sentAt?: string;
}

export interface CodeStatusInput {
  settings: WatchSettings;
  /** False for a code asked for by name that has no watchlist item (it gets the `*` defaults). */
  listed: boolean;
  /** Stored days, oldest first; the newest FORECAST_WINDOW_DAYS are enough. */
  days: readonly StoredDayView[];
  /** The newest alert in the ledger for the code, if any. */
  lastAlert: AlertRecord | null;
  /** ISO instant a scan last finished the code (its code state), if any. */
  lastCheckedAt: string | null;
}

export interface InvalidItem {
  stkCd: string;
  problems: WatchProblem[];
  /** One line: `watchlist item 035720: limit_exh_rt_above "49.123" has more than two decimals`. */
  message: string;
}

export interface StatusInput {
  codes: readonly CodeStatusInput[];
  invalid: readonly InvalidItem[];
  now: Date;
  /** Today's row counts only after this time, KST "HH:MM" (SCAN_DAY_CUTOFF), as in the scan. */
  dayCutoffKst: string;
}

export interface PendingConfirmation {
  /** Trading days past the threshold so far, the first included. */
  days: number;
  confirmDays: number;
  /** The first trading day past the threshold. */
  sinceDt: TradingDay;
}

export interface ThresholdStatus {
  /** `above`: a limit_exh_rt_above threshold (crossing up); `below`: limit_exh_rt_below (crossing down). */
  direction: 'above' | 'below';
  thresholdBp: number;
  /**
   * Signed distance in basis points, positive while the threshold is not
   * crossed: above: T − rate (0 = at T, which counts as crossed up);
   * below: rate − T (0 = at T, not yet crossed down). Null without a rate.
   */
  distanceBp: number | null;
  /** The rate is on the far side (above: rate ≥ T; below: rate < T). */
  crossed: boolean;
  /** Hysteresis: false after an alert until the rate has closed back beyond `rearmBp`. */
  armed: boolean;
  /** While disarmed: the close that re-arms it (above: T − hysteresis or lower; below: T + hysteresis or higher). */
  rearmBp: number | null;
  /** confirm_days > 1: a crossing seen and waiting for confirmation. */
  pending: PendingConfirmation | null;
}

export interface StaleDay {
  /** The newest trading day that should be final and stored by now. */
  expectedDt: TradingDay;
  /**
   * Weekdays after the newest stored day up to `expectedDt`, market holidays
   * the table reveals left out; null when the code has no stored day at all.
   */
  tradingDaysBehind: number | null;
  lastCheckedAt: string | null;
}

export interface CodeStatus {
  stkCd: string;
  name: string | null;
  enabled: boolean;
  listed: boolean;
  /** The newest stored trading day; null before the first one. */
  dt: TradingDay | null;
  limitExhRtBp: number | null;
  chgQty: number | null;
  /** Nearest first (by |distance|); thresholds without a distance last. */
  thresholds: ThresholdStatus[];
  confirmDays: number;
  hysteresisBp: number;
  snoozeUntil: TradingDay | null;
  /** snooze_until is today (KST) or later: what the scan finds is recorded, not published. */
  snoozed: boolean;
  /** At the average chg_qty of the last FORECAST_WINDOW_DAYS stored days; null unless foreigners are net buying. */
  forecast: ExhaustionForecast | null;
  lastAlert: AlertRecord | null;
  stale: StaleDay | null;
}

export interface StatusReport {
  generatedAt: string;
  /** Today in Korea, YYYYMMDD. */
  today: TradingDay;
  dayCutoffKst: string;
  /** Sorted by the nearest threshold; codes without one after, by code. */
  codes: CodeStatus[];
  invalid: InvalidItem[];
}

/**
 * The rule state the scan carries into a code's next trading day: the one
 * stored with the newest day. Read through here only, so a change in how the
 * scan recomputes state after corrections has one place to follow.
 */
export function ruleStateForNextDay(days: readonly StoredDayView[]): RuleState {
  return days.at(-1)?.ruleState ?? EMPTY_RULE_STATE;
}

export function buildStatus(input: StatusInput): StatusReport {
  const today = kstDay(input.now);
  const closed = knownClosedWeekdays(input.codes.map((c) => c.days.map((d) => d.snapshot.dt)));
  // Holidays are known only before the newest stored day, and that day is never
  // later than this one: so this weekday is the one that should be stored.
  const expectedDt = newestFinalWeekday(input.now, input.dayCutoffKst);
  const codes = input.codes.map((code) => codeStatus(code, { today, expectedDt, closed }));
  return {
    generatedAt: input.now.toISOString(),
    today,
    dayCutoffKst: input.dayCutoffKst,
    codes: codes.sort(byNearestThreshold),
    invalid: [...input.invalid].sort((a, b) => (a.stkCd < b.stkCd ? -1 : a.stkCd > b.stkCd ? 1 : 0)),
  };
}

interface StatusContext {
  today: TradingDay;
  expectedDt: TradingDay;
  closed: ReadonlySet<TradingDay>;
}

function codeStatus(input: CodeStatusInput, context: StatusContext): CodeStatus {
  const { settings } = input;
  const newest = input.days.at(-1)?.snapshot ?? null;
  const rateBp = newest?.limitExhRtBp ?? null;
  const confirmDays = Math.max(1, settings.confirmDays ?? 1);
  const snoozeUntil = settings.snoozeUntil ?? null;
  return {
    stkCd: settings.stkCd,
    name: settings.name ?? null,
    enabled: settings.enabled,
    listed: input.listed,
    dt: newest?.dt ?? null,
    limitExhRtBp: rateBp,
    chgQty: newest?.chgQty ?? null,
    thresholds: thresholdStatuses(settings, ruleStateForNextDay(input.days), rateBp, confirmDays),
    confirmDays,
    hysteresisBp: settings.hysteresisBp,
    snoozeUntil,
    snoozed: snoozeUntil !== null && snoozeUntil >= context.today,
    forecast: exhaustionForecast(input.days.slice(-FORECAST_WINDOW_DAYS).map((d) => d.snapshot)),
    lastAlert: input.lastAlert,
    // A disabled code is not scanned, so an old newest day is expected, not a miss.
    stale: settings.enabled ? staleDay(newest?.dt ?? null, input.lastCheckedAt, context) : null,
  };
}

function thresholdStatuses(
  settings: WatchSettings,
  state: RuleState,
  rateBp: number | null,
  confirmDays: number,
): ThresholdStatus[] {
  const h = settings.hysteresisBp;
  const pendingOf = (direction: AlertDirection, thresholdBp: number): PendingConfirmation | null => {
    // Lowering confirm_days to 1 makes the engine forget pending crossings: so does status.
    if (confirmDays <= 1) return null;
    const p = (state.pendingCrossings ?? []).find((c) => c.direction === direction && c.thresholdBp === thresholdBp);
    return p ? { days: p.days, confirmDays, sinceDt: p.sinceDt } : null;
  };
  const status = (direction: 'above' | 'below', t: number): ThresholdStatus => {
    const up = direction === 'above';
    const armed = !(up ? state.disarmedUpBp : state.disarmedDownBp).includes(t);
    return {
      direction,
      thresholdBp: t,
      distanceBp: rateBp === null ? null : up ? t - rateBp : rateBp - t,
      // The crossing tests' sides: up at or above T, down below T.
      crossed: rateBp !== null && (up ? rateBp >= t : rateBp < t),
      armed,
      rearmBp: armed ? null : up ? t - h : t + h,
      pending: pendingOf(up ? 'up' : 'down', t),
    };
  };
  const above = settings.aboveBp.map((t) => status('above', t));
  const below = settings.belowBp.map((t) => status('below', t));
  return [...above, ...below].sort(byDistance);
}

function staleDay(newestDt: TradingDay | null, lastCheckedAt: string | null, context: StatusContext): StaleDay | null {
  if (newestDt !== null && newestDt >= context.expectedDt) return null;
  return {
    expectedDt: context.expectedDt,
    tradingDaysBehind:
      newestDt === null ? null : weekdaysBetween(newestDt, context.expectedDt).filter((d) => !context.closed.has(d)).length,
    lastCheckedAt,
  };
}

function distanceKey(t: ThresholdStatus | undefined): number {
  return t?.distanceBp === null || t === undefined ? Number.POSITIVE_INFINITY : Math.abs(t.distanceBp);
}

function byDistance(a: ThresholdStatus, b: ThresholdStatus): number {
  return distanceKey(a) - distanceKey(b) || a.thresholdBp - b.thresholdBp || (a.direction < b.direction ? -1 : 1);
}

function byNearestThreshold(a: CodeStatus, b: CodeStatus): number {
  const da = distanceKey(a.thresholds[0]);
  const db = distanceKey(b.thresholds[0]);
  if (da !== db) return da < db ? -1 : 1;
  return a.stkCd < b.stkCd ? -1 : a.stkCd > b.stkCd ? 1 : 0;
}
