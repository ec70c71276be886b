// The replay as a chart: the limit exhaustion rate over the period with the
// crossing thresholds as horizontal lines and one marker per alert, and
// chg_qty as bars underneath. Built as a vega-lite spec and rendered by
// vega's headless SVG renderer (no native module). PNG would need vega's
// canvas renderer, which needs the native `canvas` package: not installed,
// so SVG only.
//
// Marks carry stable names and descriptions (`aria-label` in the SVG) so the
// output can be checked and scraped: layers `limit_exh_rt`, `thresholds`,
// `alerts`, `chg_qty`, `chg_qty_thresholds` (SVG class `<name>_marks`);
// threshold lines "threshold above 49%", alert markers "alert 20250102
// limit_exh_rt_cross_up".
import type { TopLevelSpec } from 'vega-lite';
import { formatCompactPercentBp, formatTradingDay } from '../domain/messages.ts';
import type { RuleId } from '../domain/types.ts';
import { ReplayRequestError } from './errors.ts';
import { replayVerdict } from './report.ts';
import type { ReplayResult } from './replay.ts';

export const CHART_FORMATS = ['svg'] as const;

/** The chart's file format from its path; only SVG can be drawn without native binaries. */
export function chartFormatOf(path: string): 'svg' {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (extension === 'svg') return 'svg';
  if (extension === 'png') {
    throw new ReplayRequestError(
      `cannot write ${path}: PNG needs vega's canvas renderer and the native "canvas" package, which this project does not install; ` +
        'write an .svg instead (any browser opens it, and it converts to PNG with any SVG tool)',
    );
  }
  throw new ReplayRequestError(`cannot write ${path}: the chart is SVG only, so the path must end in .svg`);
}

const RULE_LABELS: Partial<Record<RuleId, string>> = {
  limit_exh_rt_cross_up: 'crossed up',
  limit_exh_rt_cross_down: 'crossed down',
  limit_exh_rt_move: 'day move',
  chg_qty_abs: '|chg_qty|',
  frgnr_limit_change: 'limit changed',
};

const isoDay = (dt: string): string => formatTradingDay(dt);

export function replayChartSpec(result: ReplayResult): TopLevelSpec {
  const { settings } = result;
  const days = result.days.map((s) => ({
    date: isoDay(s.dt),
    dt: s.dt,
    rate: s.limitExhRtBp === null ? null : s.limitExhRtBp / 100,
    chg_qty: s.chgQty,
  }));
  const rateOn = new Map(result.days.map((s) => [s.dt, s.limitExhRtBp]));
  const knownRates = result.days.map((s) => s.limitExhRtBp).filter((v): v is number => v !== null);
  // A marker needs a height even on a day Kiwoom gave no rate: the nearest known one.
  const fallbackBp = knownRates.at(-1) ?? settings.aboveBp[0] ?? settings.belowBp[0] ?? 0;
  // Several alerts on one day share a point: each later one is drawn smaller,
  // on top of the one before, so every marker stays visible.
  const sameDay = new Map<string, number>();
  const alerts = result.alerts.map((a) => {
    const nth = sameDay.get(a.dt) ?? 0;
    sameDay.set(a.dt, nth + 1);
    return {
      date: isoDay(a.dt),
      rate: (rateOn.get(a.dt) ?? fallbackBp) / 100,
      rule: RULE_LABELS[a.rule] ?? a.rule,
      size: Math.max(20, 160 - 70 * nth),
      label: `alert ${a.dt} ${a.rule}`,
    };
  });
  const thresholds = [
    ...settings.aboveBp.map((bp) => ({ value: bp / 100, kind: 'above', label: `threshold above ${formatCompactPercentBp(bp)}` })),
    ...settings.belowBp.map((bp) => ({ value: bp / 100, kind: 'below', label: `threshold below ${formatCompactPercentBp(bp)}` })),
  ];
  const chgThresholds =
    settings.chgQtyAbs === null
      ? []
      : [1, -1].map((sign) => ({
          value: sign * (settings.chgQtyAbs as number),
          label: `threshold chg_qty ${sign > 0 ? '+' : '-'}${settings.chgQtyAbs}`,
        }));

  const x = {
    field: 'date',
    type: 'temporal' as const,
    timeUnit: 'utcyearmonthdate' as const,
    title: null,
    axis: { format: '%m/%d', labelAngle: 0 },
  };
  const first = result.days[0];
  const last = result.days.at(-1);
  const period = first && last ? `${isoDay(first.dt)} – ${isoDay(last.dt)}` : 'no trading days';
  const title = `${settings.name ? `${settings.name} ` : ''}${result.stkCd} limit exhaustion, ${period}`;

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: replayVerdict(result), anchor: 'start' },
    background: 'white',
    config: { font: 'sans-serif', view: { stroke: null } },
    // One time axis for both panels, so a bar sits under its day's point.
    resolve: { scale: { x: 'shared' } },
    vconcat: [
      {
        width: 720,
        height: 260,
        layer: [
          {
            name: 'limit_exh_rt',
            data: { values: days },
            mark: { type: 'line', color: '#4c78a8', strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'rate', type: 'quantitative', title: 'limit_exh_rt (%)', scale: { zero: false } },
            },
          },
          {
            name: 'thresholds',
            data: { values: thresholds },
            mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.2 },
            encoding: {
              y: { field: 'value', type: 'quantitative' },
              color: {
                field: 'kind',
                type: 'nominal',
                scale: { domain: ['above', 'below'], range: ['#e45756', '#54a24b'] },
                legend: { title: 'threshold' },
              },
              description: { field: 'label' },
            },
          },
          {
            name: 'alerts',
            data: { values: alerts },
            mark: { type: 'point', filled: true, stroke: 'black', strokeWidth: 0.5 },
            encoding: {
              size: { field: 'size', type: 'quantitative', scale: null, legend: null },
              x: { ...x, field: 'date' },
              y: { field: 'rate', type: 'quantitative' },
              // One legend: shape and fill share the field and the title, so vega-lite merges them.
              shape: { field: 'rule', type: 'nominal', legend: { title: 'alert' } },
              fill: { field: 'rule', type: 'nominal', legend: { title: 'alert' } },
              description: { field: 'label' },
            },
          },
        ],
        resolve: { scale: { color: 'independent' } },
      },
      {
        width: 720,
        height: 110,
        layer: [
          {
            name: 'chg_qty',
            data: { values: days },
            mark: { type: 'bar', color: '#9d755d' },
            encoding: { x, y: { field: 'chg_qty', type: 'quantitative', title: 'chg_qty (shares)' } },
          },
          {
            name: 'chg_qty_thresholds',
            data: { values: chgThresholds },
            mark: { type: 'rule', strokeDash: [6, 4], color: '#e45756' },
            encoding: { y: { field: 'value', type: 'quantitative' }, description: { field: 'label' } },
          },
        ],
      },
    ],
  };
}

/** The chart as SVG text. vega is loaded only when a chart is asked for. */
export async function renderReplayChartSvg(result: ReplayResult): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(replayChartSpec(result)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
