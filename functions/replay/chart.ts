// The rate chart: the limit exhaustion rate over a period with the crossing
// thresholds as horizontal lines and one marker per alert, and chg_qty as
// bars underneath. Built as a vega-lite spec and rendered by vega's headless
// SVG renderer (no native module); PNG is that SVG rasterised by resvg (see
// ./png.ts). `kfa replay --chart` draws the alerts a replay would have sent;
// `kfa report` draws the alerts the ledger holds, with Korean labels.
//
// Marks carry stable names and descriptions (`aria-label` in the SVG) so the
// output can be checked and scraped: layers `limit_exh_rt`, `thresholds`,
// `alerts`, `chg_qty`, `chg_qty_thresholds` (SVG class `<name>_marks`);
// threshold lines "threshold above 49%", alert markers "alert 20250102
// limit_exh_rt_cross_up".
import type { TopLevelSpec } from 'vega-lite';
import { formatCompactPercentBp, formatTradingDay } from '../domain/messages.ts';
import type { RuleId, Snapshot, TradingDay, WatchSettings } from '../domain/types.ts';
import { escapeInvisible } from '../domain/watchlist.ts';
import { ReplayRequestError } from './errors.ts';
import { replayVerdict } from './report.ts';
import type { ReplayResult } from './replay.ts';

export const CHART_FORMATS = ['svg', 'png'] as const;
export type ChartFormat = (typeof CHART_FORMATS)[number];

/** The chart's file format from its path's extension. */
export function chartFormatOf(path: string): ChartFormat {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
  if (extension === 'svg' || extension === 'png') return extension;
  throw new ReplayRequestError(`cannot write ${path}: the chart is SVG or PNG, so the path must end in .svg or .png`);
}

/** Every text the chart shows besides the data. */
export interface ChartLabels {
  title: string;
  subtitle?: string;
  rateAxis: string;
  chgQtyAxis: string;
  thresholdLegend: string;
  thresholdKinds: { above: string; below: string };
  alertLegend: string;
  /** A rule without a label shows its id. */
  rules: Partial<Record<RuleId, string>>;
}

export interface RateChartInput {
  /** Oldest first. */
  days: readonly Pick<Snapshot, 'dt' | 'limitExhRtBp' | 'chgQty'>[];
  thresholds: Pick<WatchSettings, 'aboveBp' | 'belowBp' | 'chgQtyAbs'>;
  /** One marker each, on its day. */
  alerts: readonly { dt: TradingDay; rule: RuleId }[];
  labels: ChartLabels;
  /** Pixels of the plot areas (axes, title and legends come on top). */
  size?: { width: number; rateHeight: number; chgQtyHeight: number };
  /** `bottom` keeps a narrow chart narrow (phones); default `right`. */
  legendOrient?: 'right' | 'bottom';
}

const REPLAY_SIZE = { width: 720, rateHeight: 260, chgQtyHeight: 110 };

const isoDay = (dt: string): string => formatTradingDay(dt);

export function rateChartSpec(input: RateChartInput): TopLevelSpec {
  const { thresholds: settings, labels } = input;
  const size = input.size ?? REPLAY_SIZE;
  const days = input.days.map((s) => ({
    date: isoDay(s.dt),
    dt: s.dt,
    rate: s.limitExhRtBp === null ? null : s.limitExhRtBp / 100,
    chg_qty: s.chgQty,
  }));
  const rateOn = new Map(input.days.map((s) => [s.dt, s.limitExhRtBp]));
  const knownRates = input.days.map((s) => s.limitExhRtBp).filter((v): v is number => v !== null);
  // A marker needs a height even on a day Kiwoom gave no rate: the nearest known one.
  const fallbackBp = knownRates.at(-1) ?? settings.aboveBp[0] ?? settings.belowBp[0] ?? 0;
  // Several alerts on one day share a point: each later one is drawn smaller,
  // on top of the one before, so every marker stays visible.
  const sameDay = new Map<string, number>();
  const alerts = input.alerts.map((a) => {
    const nth = sameDay.get(a.dt) ?? 0;
    sameDay.set(a.dt, nth + 1);
    return {
      date: isoDay(a.dt),
      rate: (rateOn.get(a.dt) ?? fallbackBp) / 100,
      rule: labels.rules[a.rule] ?? a.rule,
      size: Math.max(20, 160 - 70 * nth),
      label: `alert ${a.dt} ${a.rule}`,
    };
  });
  const { above, below } = labels.thresholdKinds;
  const legendOrient = input.legendOrient ?? 'right';
  // Only the kinds drawn get a legend entry.
  const kinds = [...(settings.aboveBp.length > 0 ? [above] : []), ...(settings.belowBp.length > 0 ? [below] : [])];
  const thresholds = [
    ...settings.aboveBp.map((bp) => ({ value: bp / 100, kind: above, label: `threshold above ${formatCompactPercentBp(bp)}` })),
    ...settings.belowBp.map((bp) => ({ value: bp / 100, kind: below, label: `threshold below ${formatCompactPercentBp(bp)}` })),
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

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // A name may hold control characters, which XML (and so resvg, for PNG) refuses: shown as escapes.
    title: { text: escapeInvisible(labels.title), ...(labels.subtitle ? { subtitle: escapeInvisible(labels.subtitle) } : {}), anchor: 'start' },
    background: 'white',
    config: { font: 'sans-serif', view: { stroke: null } },
    // One time axis for both panels, so a bar sits under its day's point.
    resolve: { scale: { x: 'shared' } },
    vconcat: [
      {
        width: size.width,
        height: size.rateHeight,
        layer: [
          {
            name: 'limit_exh_rt',
            data: { values: days },
            mark: { type: 'line', color: '#4c78a8', strokeWidth: 1.5 },
            encoding: {
              x,
              y: { field: 'rate', type: 'quantitative', title: labels.rateAxis, scale: { zero: false } },
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
                scale: { domain: [above, below], range: ['#e45756', '#54a24b'] },
                legend: kinds.length === 0 ? null : { title: labels.thresholdLegend, values: kinds, orient: legendOrient },
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
              shape: { field: 'rule', type: 'nominal', legend: { title: labels.alertLegend, orient: legendOrient } },
              fill: { field: 'rule', type: 'nominal', legend: { title: labels.alertLegend, orient: legendOrient } },
              description: { field: 'label' },
            },
          },
        ],
        resolve: { scale: { color: 'independent' } },
      },
      {
        width: size.width,
        height: size.chgQtyHeight,
        layer: [
          {
            name: 'chg_qty',
            data: { values: days },
            mark: { type: 'bar', color: '#9d755d' },
            encoding: { x, y: { field: 'chg_qty', type: 'quantitative', title: labels.chgQtyAxis } },
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

const REPLAY_RULE_LABELS: Partial<Record<RuleId, string>> = {
  limit_exh_rt_cross_up: 'crossed up',
  limit_exh_rt_cross_down: 'crossed down',
  limit_exh_rt_move: 'day move',
  chg_qty_abs: '|chg_qty|',
  frgnr_limit_change: 'limit changed',
};

export function replayChartSpec(result: ReplayResult): TopLevelSpec {
  const { settings } = result;
  const first = result.days[0];
  const last = result.days.at(-1);
  const period = first && last ? `${isoDay(first.dt)} – ${isoDay(last.dt)}` : 'no trading days';
  return rateChartSpec({
    days: result.days,
    thresholds: settings,
    alerts: result.alerts,
    labels: {
      title: `${settings.name ? `${settings.name} ` : ''}${result.stkCd} limit exhaustion, ${period}`,
      subtitle: replayVerdict(result),
      rateAxis: 'limit_exh_rt (%)',
      chgQtyAxis: 'chg_qty (shares)',
      thresholdLegend: 'threshold',
      thresholdKinds: { above: 'above', below: 'below' },
      alertLegend: 'alert',
      rules: REPLAY_RULE_LABELS,
    },
  });
}

/** A spec as SVG text. vega is loaded only when a chart is asked for. */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function renderReplayChartSvg(result: ReplayResult): Promise<string> {
  return renderChartSvg(replayChartSpec(result));
}
