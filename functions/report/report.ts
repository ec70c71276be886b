// The report's content: the status rows, and per code the chart of its
// newest stored days (the replay chart's look, Korean labels, one marker per
// alert the ledger holds for the period) and those alerts as a list.
import { formatDay } from '../domain/calendar.ts';
import {
  alertFromPayload,
  alertValueText,
  formatCompactPercentBp,
  formatPointsBp,
  formatShares,
  parseAlertPayload,
} from '../domain/messages.ts';
import type { Alert, RuleId } from '../domain/types.ts';
import { rateChartSpec, renderChartSvg, type ChartLabels } from '../replay/chart.ts';
import type { RuleAlertEntry } from '../store/alert-ledger.ts';
import type { LoadedCode, LoadedStatus } from '../status/load.ts';
import type { StatusReport } from '../status/status.ts';
import type { ReportAlert, ReportCode, ReportModel } from './html.ts';

/** Without --days: about three months of trading days per chart. */
export const DEFAULT_REPORT_DAYS = 60;

/** Short enough for a chart legend on a phone. */
const RULE_LEGEND_KO: Readonly<Record<RuleId, string>> = {
  limit_exh_rt_cross_up: '상향 돌파',
  limit_exh_rt_cross_down: '하향 돌파',
  limit_exh_rt_move: '급변',
  chg_qty_abs: '대량 보유 변동',
  frgnr_limit_change: '한도 변경',
  limit_exh_rt_still_beyond: '기준 밖 지속',
  limit_exhaustion_forecast: '소진 전망',
};

/** A phone-sized plot with the legends below it; the SVG scales to the screen. */
const REPORT_CHART_SIZE = { width: 360, rateHeight: 170, chgQtyHeight: 70 };

function chartLabels(name: string | null, stkCd: string): ChartLabels {
  return {
    title: `${name ? `${name} ` : ''}${stkCd} 한도소진률`,
    rateAxis: '한도소진률 (%)',
    chgQtyAxis: '외국인 보유 증감 (주)',
    thresholdLegend: '기준',
    thresholdKinds: { above: '상향 기준', below: '하향 기준' },
    alertLegend: '알림',
    rules: RULE_LEGEND_KO,
  };
}

function thresholdText(alert: Alert): string | null {
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
    case 'limit_exh_rt_cross_down':
      return (alert.thresholdsCrossed ?? (alert.threshold === null ? [] : [alert.threshold])).map(formatCompactPercentBp).join(', ');
    case 'limit_exh_rt_still_beyond':
      return alert.threshold === null ? null : formatCompactPercentBp(alert.threshold);
    case 'limit_exh_rt_move':
      return alert.threshold === null ? null : `±${formatPointsBp(alert.threshold).replace(/^\+/, '')}`;
    case 'chg_qty_abs':
      return alert.threshold === null ? null : `|보유 증감| ≥ ${formatShares(alert.threshold)}주`;
    case 'limit_exhaustion_forecast':
      return alert.threshold === null ? null : `≤ ${alert.threshold}거래일`;
    default:
      return null;
  }
}

/** A ledger entry as a row of the report; its values come from the message it carried. */
export function reportAlert(entry: RuleAlertEntry): ReportAlert {
  const row = { alertId: entry.alertId, dt: entry.dt, rule: entry.rule, status: entry.status };
  try {
    const alert = alertFromPayload(parseAlertPayload(entry.message.messageJson));
    const valueText = `${alertValueText({ rule: alert.rule, value: alert.previousValue })} → ${alertValueText(alert)}`;
    return { ...row, valueText, thresholdText: thresholdText(alert) };
  } catch {
    // An entry whose message cannot be read still shows its day, rule and status.
    return { ...row, valueText: null, thresholdText: null };
  }
}

async function reportCode(loaded: LoadedCode, status: ReportCode['status'], days: number): Promise<ReportCode> {
  const shown = loaded.days.slice(-days);
  const first = shown[0]?.snapshot.dt;
  const last = shown.at(-1)?.snapshot.dt;
  if (first === undefined || last === undefined) return { status, chartSvg: null, period: null, alerts: [] };
  const entries = loaded.alerts.filter((a) => a.dt >= first && a.dt <= last);
  const labels = chartLabels(status.name, status.stkCd);
  const chartSvg = await renderChartSvg(
    rateChartSpec({
      days: shown.map((d) => d.snapshot),
      thresholds: loaded.input.settings,
      alerts: entries,
      labels: { ...labels, subtitle: `${formatDay(first)} – ${formatDay(last)}` },
      size: REPORT_CHART_SIZE,
      legendOrient: 'bottom',
    }),
  );
  return { status, chartSvg, period: { fromDt: first, toDt: last }, alerts: entries.map(reportAlert) };
}

/** The report for `status` (built from `loaded`): codes in the status order, charts drawn one at a time. */
export async function buildReportModel(loaded: LoadedStatus, status: StatusReport, days: number): Promise<ReportModel> {
  const byCode = new Map(loaded.codes.map((c) => [c.input.settings.stkCd, c]));
  const codes: ReportCode[] = [];
  for (const code of status.codes) {
    const source = byCode.get(code.stkCd);
    codes.push(source ? await reportCode(source, code, days) : { status: code, chartSvg: null, period: null, alerts: [] });
  }
  return { status, codes, days };
}
