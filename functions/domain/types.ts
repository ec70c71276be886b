// The domain's vocabulary, shared by parsing, rules, messages, stores and the
// scan. Exact units everywhere: shares and won as integers, percentages as
// integer basis points (26.10% → 2610). `null` means "Kiwoom did not say"
// (an empty string or the saturated 4294967295), never zero.

/** A trading day as Kiwoom writes it: `YYYYMMDD`. */
export type TradingDay = string;

/** One `stk_frgnr` row exactly as Kiwoom sent it: every field a string. */
export interface RawRow {
  dt: string;
  close_pric: string;
  pred_pre: string;
  trde_qty: string;
  chg_qty: string;
  poss_stkcnt: string;
  wght: string;
  gain_pos_stkcnt: string;
  frgnr_limit: string;
  frgnr_limit_irds: string;
  limit_exh_rt: string;
}

export const RAW_ROW_FIELDS = [
  'dt',
  'close_pric',
  'pred_pre',
  'trde_qty',
  'chg_qty',
  'poss_stkcnt',
  'wght',
  'gain_pos_stkcnt',
  'frgnr_limit',
  'frgnr_limit_irds',
  'limit_exh_rt',
] as const satisfies readonly (keyof RawRow)[];

/** Kiwoom prefixes a price with its direction against the previous close. */
export type PriceDirection = 'up' | 'down' | 'unchanged';

/** One trading day of one stock code, parsed into exact units. */
export interface Snapshot {
  stkCd: string;
  dt: TradingDay;
  /** Closing price in won, always positive (the sign is `closeDirection`). */
  closePrice: number | null;
  closeDirection: PriceDirection | null;
  /** Signed change of the close against the previous close, won. */
  predPre: number | null;
  tradeQty: number | null;
  /** Signed day's change in foreign-held shares. */
  chgQty: number | null;
  possStkcnt: number | null;
  wghtBp: number | null;
  /** Foreign room left: `frgnr_limit − poss_stkcnt`. */
  gainPosStkcnt: number | null;
  frgnrLimit: number | null;
  frgnrLimitIrds: number | null;
  /** Foreign limit exhaustion rate in basis points. */
  limitExhRtBp: number | null;
  /** The day's original strings, kept for payloads and revision checks. */
  row: RawRow;
}

export type RuleId =
  | 'limit_exh_rt_cross_up'
  | 'limit_exh_rt_cross_down'
  | 'limit_exh_rt_move'
  | 'chg_qty_abs'
  | 'frgnr_limit_change'
  | 'limit_exh_rt_still_beyond'
  | 'limit_exhaustion_forecast';

export const RULE_IDS: readonly RuleId[] = [
  'limit_exh_rt_cross_up',
  'limit_exh_rt_cross_down',
  'limit_exh_rt_move',
  'chg_qty_abs',
  'frgnr_limit_change',
  'limit_exh_rt_still_beyond',
  'limit_exhaustion_forecast',
];

export type Severity = 'critical' | 'warning' | 'info';
export type AlertDirection = 'up' | 'down';

/** The effective settings of one watched code (its item merged over `*`). */
export interface WatchSettings {
  stkCd: string;
  enabled: boolean;
  name?: string;
  /** Up-crossing thresholds, basis points, ascending, distinct. */
  aboveBp: number[];
  /** Down-crossing thresholds, basis points, ascending, distinct. */
  belowBp: number[];
  /** Day-over-day move of the rate, basis points; null = rule off. */
  moveBp: number | null;
  /** |chg_qty| threshold in shares; null = rule off. */
  chgQtyAbs: number | null;
  /** Hysteresis in basis points (0 = none). */
  hysteresisBp: number;
  frgnrLimitChange: boolean;
  /** A crossing counts after this many consecutive trading days past T (absent = 1: at once). */
  confirmDays?: number;
  /** Remind every N trading days while the rate stays past a crossed T; absent/null = off. */
  remindEveryDays?: number | null;
  /** `YYYYMMDD`: alerts for trading days up to and including it are recorded, not published. */
  snoozeUntil?: TradingDay | null;
  /** Alert when foreign room runs out within N trading days at the recent pace; absent/null = off. */
  exhaustionDays?: number | null;
  /** The email Subject with {stk_cd} {name} {rule} {value} {dt}; absent/null = the built-in one. */
  subjectTemplate?: string | null;
}

/**
 * Hysteresis memory carried from one trading day to the next: thresholds
 * that alerted and may not alert in the same direction again until the rate
 * has closed back beyond `T ∓ hysteresis`. Stored with each snapshot so a
 * revised day can be re-evaluated from the state of the day before it.
 */
export interface RuleState {
  disarmedUpBp: number[];
  disarmedDownBp: number[];
  /** confirm_days > 1: crossings seen but not yet confirmed. Absent = none. */
  pendingCrossings?: PendingCrossing[];
  /** remind_every_days: thresholds that alerted and are still past. Absent = none. */
  reminders?: ReminderClock[];
  /** After a forecast alert, until the forecast rises above 2N days or net buying stops. Absent = armed. */
  forecastDisarmed?: boolean;
}

/** A threshold crossed on `sinceDt` that has stayed past for `days` trading days (the first included). */
export interface PendingCrossing {
  direction: AlertDirection;
  thresholdBp: number;
  sinceDt: TradingDay;
  days: number;
}

/** A threshold that alerted; counts trading days past it since the alert or the last reminder. */
export interface ReminderClock {
  direction: AlertDirection;
  thresholdBp: number;
  /** The first trading day past the threshold. */
  sinceDt: TradingDay;
  daysSinceLast: number;
}

/** The arithmetic behind a `limit_exhaustion_forecast` finding. */
export interface ExhaustionForecast {
  /** Foreign room left (`gain_pos_stkcnt`), shares. */
  roomShares: number;
  /** Mean `chg_qty` over the window, shares per trading day (may be fractional). */
  avgDailyNetBuying: number;
  /** ceil(room / average), trading days. */
  daysLeft: number;
  windowDays: number;
}

export const EMPTY_RULE_STATE: RuleState = { disarmedUpBp: [], disarmedDownBp: [] };

/**
 * A rule that fired for one code on one trading day. Values are in exact
 * units: basis points for the rate rules, shares for `chg_qty_abs` and
 * `frgnr_limit_change`.
 */
export interface Finding {
  rule: RuleId;
  direction: AlertDirection;
  severity: Severity;
  /** Crossings: the furthest threshold crossed; move: the setting; chg_qty: N; limit change: null. */
  threshold: number | null;
  /** Crossings only: every threshold crossed that day, in crossing order. */
  thresholdsCrossed?: number[];
  value: number;
  previousValue: number;
  /** Confirmed crossings and reminders: the first trading day past the threshold. */
  since?: TradingDay;
  /** `limit_exhaustion_forecast` only. */
  forecast?: ExhaustionForecast;
}

/** A finding bound to its code and day: what the ledger records and SNS carries. */
export interface Alert extends Finding {
  /** Stable for the same (code, day, rule): `${stkCd}-${dt}-${rule}`. */
  alertId: string;
  stkCd: string;
  name?: string;
  dt: TradingDay;
  previousDt: TradingDay;
  /** True when the alert follows a revision of an already stored day. */
  revision: boolean;
}

/** A correction notice: an alert already sent that corrected history no longer supports. */
export const CORRECTION_RULE = 'correction';

/** What a ledger entry is for: a rule's alert, or a correction notice. */
export type LedgerRule = RuleId | typeof CORRECTION_RULE;

/**
 * `${stkCd}-${dt}-${rule}`, stable per (code, day, rule). A `variant` tells
 * apart a second entry for the same day and rule: a further threshold a
 * correction revealed after the day had alerted (`r1`), or a correction
 * notice (the corrected alert's rule).
 */
export function alertIdOf(stkCd: string, dt: TradingDay, rule: LedgerRule, variant?: string): string {
  return `${stkCd}-${dt}-${rule}${variant === undefined ? '' : `-${variant}`}`;
}

/** Which ledger entry an alert id names: the parts alertIdOf joined. */
export interface AlertIdParts {
  stkCd: string;
  dt: TradingDay;
  rule: LedgerRule;
  variant?: string;
}

// Rule ids hold no `-`, so the first `-` after the rule starts the variant
// (`r1`, or a notice's `limit_exh_rt_cross_up`, `limit_exh_rt_cross_up-r1-2`).
const ALERT_ID_PATTERN = /^([0-9A-Z]{6}(?:_NX|_AL)?)-([0-9]{8})-([a-z_]+)(?:-([0-9a-z_]+(?:-[0-9a-z_]+)*))?$/;

/** The inverse of alertIdOf; null for text that is not an alert id. */
export function alertIdParts(alertId: string): AlertIdParts | null {
  const m = ALERT_ID_PATTERN.exec(alertId);
  const rule = m?.[3];
  if (!m || rule === undefined || (rule !== CORRECTION_RULE && !(RULE_IDS as readonly string[]).includes(rule))) return null;
  const variant = m[4];
  return { stkCd: m[1] as string, dt: m[2] as string, rule: rule as LedgerRule, ...(variant === undefined ? {} : { variant }) };
}
