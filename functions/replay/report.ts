// A replay's result as people and machines read it: a table of the alerts,
// counts per rule, the verdict and a text sparkline; or one JSON object whose
// values use the alert payload's units (rates in percent, shares as integers).
import { formatCompactPercentBp, formatPercentBp, formatShares, formatSignedShares, formatTradingDay } from '../domain/messages.ts';
import { sparkline } from '../domain/sparkline.ts';
import type { Alert, RuleId } from '../domain/types.ts';
import { countByRule, FLAP_WINDOW_TRADING_DAYS, formatPp, verdict } from './analysis.ts';
import type { ReplayResult } from './replay.ts';
import { settingsJson } from './settings.ts';

export function replayVerdict(result: ReplayResult): string {
  return verdict({
    alerts: result.alerts.length,
    tradingDays: result.days.length,
    flaps: result.flaps.length,
    hysteresisBp: result.settings.hysteresisBp,
    hysteresis: result.hysteresis,
  });
}

/** Rules whose values are rates (basis points); the others count shares or days. */
const RATE_RULES: ReadonlySet<string> = new Set([
  'limit_exh_rt_cross_up',
  'limit_exh_rt_cross_down',
  'limit_exh_rt_move',
  'limit_exh_rt_still_beyond',
]);

function isRateRule(rule: RuleId): boolean {
  return RATE_RULES.has(rule);
}

const percent = (bp: number): number => bp / 100;

/** One alert in the payload's units: what `kfa scan` would have put in `default`. */
export function alertJson(alert: Alert): Record<string, unknown> {
  const rate = isRateRule(alert.rule);
  return {
    alert_id: alert.alertId,
    dt: alert.dt,
    previous_dt: alert.previousDt,
    rule: alert.rule,
    direction: alert.direction,
    severity: alert.severity,
    threshold: alert.threshold === null || alert.rule === 'frgnr_limit_change' ? null : rate ? percent(alert.threshold) : alert.threshold,
    ...(alert.thresholdsCrossed ? { thresholds_crossed: alert.thresholdsCrossed.map(percent) } : {}),
    previous_value: rate ? percent(alert.previousValue) : alert.previousValue,
    value: rate ? percent(alert.value) : alert.value,
  };
}

export function replayJson(result: ReplayResult): Record<string, unknown> {
  const first = result.days[0];
  const last = result.days.at(-1);
  return {
    stk_cd: result.stkCd,
    name: result.settings.name ?? null,
    requested: { from: result.window.fromDt, to: result.window.toDt },
    from: first?.dt ?? null,
    to: last?.dt ?? null,
    baseline_dt: result.series.baseline?.dt ?? null,
    settings: settingsJson(result.settings),
    trading_days: result.days.length,
    alerts: result.alerts.map(alertJson),
    alerts_by_rule: countByRule(result.alerts),
    flaps: {
      window_trading_days: FLAP_WINDOW_TRADING_DAYS,
      count: result.flaps.length,
      pairs: result.flaps.map((f) => ({
        threshold: percent(f.thresholdBp),
        first: f.first,
        second: f.second,
        trading_days_apart: f.tradingDaysApart,
      })),
    },
    hysteresis_comparison: result.hysteresis.map((h) => ({
      hysteresis_pp: percent(h.hysteresisBp),
      alerts: h.alerts,
      flaps: h.flaps,
    })),
    verdict: replayVerdict(result),
    fetch: {
      cache_hit: result.fetch.cacheHit,
      kiwoom_pages: result.fetch.pages,
      days_fetched: result.fetch.daysFetched,
      days_stored: result.fetch.daysStored,
      days_not_stored: result.fetch.daysNotStored,
    },
    series: result.days.map((s) => ({
      dt: s.dt,
      limit_exh_rt: s.limitExhRtBp === null ? null : percent(s.limitExhRtBp),
      chg_qty: s.chgQty,
    })),
  };
}

function valueText(alert: Alert, value: number): string {
  if (isRateRule(alert.rule)) return formatPercentBp(value);
  if (alert.rule === 'chg_qty_abs') return formatSignedShares(value);
  if (alert.rule === 'frgnr_limit_change') return formatShares(value);
  return String(value);
}

function thresholdText(alert: Alert): string {
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
    case 'limit_exh_rt_cross_down':
      return (alert.thresholdsCrossed ?? (alert.threshold === null ? [] : [alert.threshold]))
        .map(formatCompactPercentBp)
        .join(',');
    case 'limit_exh_rt_move':
      return alert.threshold === null ? '' : `≥ ${formatPp(alert.threshold)}`;
    case 'chg_qty_abs':
      return alert.threshold === null ? '' : `|Δ| ≥ ${formatShares(alert.threshold)}`;
    case 'frgnr_limit_change':
      return 'changed';
    default:
      if (alert.threshold === null) return '';
      return isRateRule(alert.rule) ? formatCompactPercentBp(alert.threshold) : String(alert.threshold);
  }
}

const SPARK_WIDTH = 60;

/** The human form: table, counts, verdict, and (unless a chart is drawn) a sparkline of the rate. */
export function replayText(result: ReplayResult, options: { sparkline: boolean }): string {
  const lines: string[] = [];
  const name = result.settings.name ? `${result.settings.name} ` : '';
  const first = result.days[0];
  const last = result.days.at(-1);
  lines.push(
    first && last
      ? `${name}${result.stkCd}: replay ${formatTradingDay(first.dt)} – ${formatTradingDay(last.dt)} (nothing sent, no ledger changed)`
      : `${name}${result.stkCd}: no trading days between ${formatTradingDay(result.window.fromDt)} and ${result.window.toDt ? formatTradingDay(result.window.toDt) : 'today'}`,
  );
  if (result.alerts.length > 0) {
    const rows = result.alerts.map((a) => [
      formatTradingDay(a.dt),
      a.rule,
      a.direction,
      `${valueText(a, a.previousValue)} → ${valueText(a, a.value)}`,
      thresholdText(a),
    ]);
    const header = ['day', 'rule', 'dir', 'previous → current', 'threshold'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const format = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
    lines.push('', format(header), ...rows.map(format));
    const counts = Object.entries(countByRule(result.alerts)).map(([rule, n]) => `${rule} ${n}`);
    lines.push('', `per rule: ${counts.join(', ')}`);
  }
  lines.push('', replayVerdict(result));
  for (const f of result.flaps) {
    lines.push(
      `  flap at ${formatCompactPercentBp(f.thresholdBp)}: ${formatTradingDay(f.first.dt)} ${f.first.rule} → ` +
        `${formatTradingDay(f.second.dt)} ${f.second.rule} (${f.tradingDaysApart} trading days apart)`,
    );
  }
  if (options.sparkline && result.days.length > 0) {
    // One scale for the whole period, wrapped into lines of SPARK_WIDTH days.
    const rates = result.days.map((d) => d.limitExhRtBp);
    const bars = [...sparkline(rates)];
    const known = rates.filter((v): v is number => v !== null);
    const span = known.length > 0 ? ` (${formatPercentBp(Math.min(...known))} – ${formatPercentBp(Math.max(...known))})` : '';
    lines.push('', `limit exhaustion rate${span}:`);
    for (let i = 0; i < bars.length; i += SPARK_WIDTH) {
      lines.push(`  ${result.days[i]!.dt} ${bars.slice(i, i + SPARK_WIDTH).join('')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
