// `kfa status --json`: the status rows in the units of the SNS `default`
// payload (rates and distances in percent / percentage points as JSON
// numbers, shares as integers, days as YYYYMMDD). Field names are a public
// contract; README "kfa status" documents each.
import type { CodeStatus, StatusReport, ThresholdStatus } from './status.ts';

// bp / 100 is correctly rounded: 4912 → 49.12 exactly as typed.
const percent = (bp: number): number => bp / 100;
const percentOrNull = (bp: number | null): number | null => (bp === null ? null : percent(bp));

export function thresholdJson(t: ThresholdStatus): Record<string, unknown> {
  return {
    direction: t.direction,
    threshold: percent(t.thresholdBp),
    distance_pp: percentOrNull(t.distanceBp),
    crossed: t.crossed,
    armed: t.armed,
    rearm_at: percentOrNull(t.rearmBp),
    pending: t.pending === null ? null : { days: t.pending.days, confirm_days: t.pending.confirmDays, since: t.pending.sinceDt },
  };
}

export function codeStatusJson(c: CodeStatus): Record<string, unknown> {
  return {
    stk_cd: c.stkCd,
    name: c.name,
    enabled: c.enabled,
    on_watchlist: c.listed,
    dt: c.dt,
    limit_exh_rt: percentOrNull(c.limitExhRtBp),
    chg_qty: c.chgQty,
    thresholds: c.thresholds.map(thresholdJson),
    confirm_days: c.confirmDays,
    hysteresis_pp: percent(c.hysteresisBp),
    snooze_until: c.snoozeUntil,
    snoozed: c.snoozed,
    days_to_exhaustion: c.forecast?.daysLeft ?? null,
    exhaustion_forecast:
      c.forecast === null
        ? null
        : {
            days_left: c.forecast.daysLeft,
            room_shares: c.forecast.roomShares,
            avg_daily_net_buying: c.forecast.avgDailyNetBuying,
            window_days: c.forecast.windowDays,
          },
    last_alert:
      c.lastAlert === null
        ? null
        : {
            alert_id: c.lastAlert.alertId,
            dt: c.lastAlert.dt,
            rule: c.lastAlert.rule,
            status: c.lastAlert.status,
            sent_at: c.lastAlert.sentAt ?? null,
          },
    stale:
      c.stale === null
        ? null
        : {
            expected_dt: c.stale.expectedDt,
            trading_days_behind: c.stale.tradingDaysBehind,
            last_checked_at: c.stale.lastCheckedAt,
          },
  };
}

export function statusJson(report: StatusReport): Record<string, unknown> {
  return {
    generated_at: report.generatedAt,
    today: report.today,
    day_cutoff_kst: report.dayCutoffKst,
    codes: report.codes.map(codeStatusJson),
    invalid: report.invalid.map((i) => ({ stk_cd: i.stkCd, message: i.message, problems: i.problems })),
  };
}
