// The `default` message: what machines read (subscribers, the ledger, a
// resend), and the way back from a stored payload to the Alert it carried.
import { parseRow } from '../parse.ts';
import { RULE_IDS } from '../types.ts';
import type { Alert, AlertDirection, RawRow, RuleId, Severity, Snapshot, TradingDay } from '../types.ts';

/** Bumped when a payload field changes meaning or disappears. */
export const ALERT_SCHEMA_VERSION = 1;

/**
 * The `default` message: machine-readable. Rates in percent as JSON numbers
 * (4912 bp → 49.12), shares as integers.
 */
export interface AlertPayload {
  schema_version: typeof ALERT_SCHEMA_VERSION;
  alert_id: string;
  stk_cd: string;
  name: string | null;
  dt: TradingDay;
  rule: RuleId;
  direction: AlertDirection;
  severity: Severity;
  /** Crossings: furthest threshold (%); move: the setting (pp); chg_qty_abs: N shares; limit change: null. */
  threshold: number | null;
  /** Crossings only, in crossing order (%). */
  thresholds_crossed?: number[];
  value: number;
  previous_value: number;
  previous_dt: TradingDay;
  /** The day's ka10008 row exactly as Kiwoom sent it. */
  row: RawRow;
  revision?: true;
  resend?: true;
  /** Confirmed crossings (confirm_days > 1) and reminders: the first trading day past the threshold. */
  since?: TradingDay;
  /** `limit_exhaustion_forecast`: threshold = N days, value = days_left, previous_value = the day before's forecast. */
  forecast?: {
    room_shares: number;
    /** Mean chg_qty over the window, shares per trading day (may be fractional). */
    avg_daily_net_buying: number;
    days_left: number;
    window_days: number;
  };
}

export function isRateRule(rule: RuleId): boolean {
  return (
    rule === 'limit_exh_rt_cross_up' ||
    rule === 'limit_exh_rt_cross_down' ||
    rule === 'limit_exh_rt_move' ||
    rule === 'limit_exh_rt_still_beyond'
  );
}

export function isCrossing(rule: RuleId): boolean {
  return rule === 'limit_exh_rt_cross_up' || rule === 'limit_exh_rt_cross_down';
}

/** Basis points as a JSON percent number; bp / 100 is the nearest double, so it prints as 49.12. */
function bpToPercent(bp: number): number {
  return bp / 100;
}

export function buildPayload(alert: Alert, current: Snapshot, resend: boolean): AlertPayload {
  const rate = isRateRule(alert.rule);
  const threshold =
    alert.rule === 'frgnr_limit_change' || alert.threshold === null
      ? null
      : rate
        ? bpToPercent(alert.threshold)
        : alert.threshold;
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: alert.alertId,
    stk_cd: alert.stkCd,
    name: alert.name ?? null,
    dt: alert.dt,
    rule: alert.rule,
    direction: alert.direction,
    severity: alert.severity,
    threshold,
    ...(alert.thresholdsCrossed && isCrossing(alert.rule)
      ? { thresholds_crossed: alert.thresholdsCrossed.map(bpToPercent) }
      : {}),
    value: rate ? bpToPercent(alert.value) : alert.value,
    previous_value: rate ? bpToPercent(alert.previousValue) : alert.previousValue,
    previous_dt: alert.previousDt,
    row: { ...current.row },
    ...(alert.revision ? { revision: true as const } : {}),
    ...(resend ? { resend: true as const } : {}),
    ...(alert.since !== undefined ? { since: alert.since } : {}),
    ...(alert.forecast
      ? {
          forecast: {
            room_shares: alert.forecast.roomShares,
            avg_daily_net_buying: alert.forecast.avgDailyNetBuying,
            days_left: alert.forecast.daysLeft,
            window_days: alert.forecast.windowDays,
          },
        }
      : {}),
  };
}

// ---------------------------------------------------------------- payloads read back

/** A stored SNS message whose `default` is not an alert payload this code wrote. */
export class AlertPayloadError extends Error {
  override readonly name = 'AlertPayloadError';
}

/** The `default` message inside a ledger entry's `messageJson` (the MessageStructure json string), not yet checked. */
export function storedDefaultPayload(messageJson: string): unknown {
  try {
    const outer = JSON.parse(messageJson) as { default?: unknown };
    return typeof outer.default === 'string' ? JSON.parse(outer.default) : undefined;
  } catch (cause) {
    throw new AlertPayloadError('stored message is not JSON', { cause });
  }
}

/** The alert payload inside a ledger entry's `messageJson` (the MessageStructure json string). */
export function parseAlertPayload(messageJson: string): AlertPayload {
  const p = storedDefaultPayload(messageJson) as Partial<AlertPayload> | undefined;
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.alert_id !== 'string' ||
    typeof p.stk_cd !== 'string' ||
    typeof p.dt !== 'string' ||
    typeof p.value !== 'number' ||
    typeof p.row !== 'object' ||
    !RULE_IDS.includes(p.rule as RuleId)
  ) {
    throw new AlertPayloadError('stored message has no alert payload');
  }
  return p as AlertPayload;
}

/** The inverse of the payload: the Alert it was built from (rates back to basis points). */
export function alertFromPayload(payload: AlertPayload): Alert {
  const rate = isRateRule(payload.rule);
  const units = (v: number): number => (rate ? Math.round(v * 100) : v);
  const f = payload.forecast;
  return {
    rule: payload.rule,
    direction: payload.direction,
    severity: payload.severity,
    threshold: payload.threshold === null ? null : units(payload.threshold),
    ...(payload.thresholds_crossed ? { thresholdsCrossed: payload.thresholds_crossed.map(units) } : {}),
    value: units(payload.value),
    previousValue: units(payload.previous_value),
    ...(payload.since !== undefined ? { since: payload.since } : {}),
    ...(f
      ? {
          forecast: {
            roomShares: f.room_shares,
            avgDailyNetBuying: f.avg_daily_net_buying,
            daysLeft: f.days_left,
            windowDays: f.window_days,
          },
        }
      : {}),
    alertId: payload.alert_id,
    stkCd: payload.stk_cd,
    ...(payload.name !== null ? { name: payload.name } : {}),
    dt: payload.dt,
    previousDt: payload.previous_dt,
    revision: payload.revision === true,
  };
}

/** The alert day's snapshot, from the row the payload carries. */
export function snapshotFromPayload(payload: AlertPayload): Snapshot {
  return parseRow(payload.stk_cd, payload.row);
}
