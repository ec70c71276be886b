// The replay chart: valid SVG from vega-lite, the thresholds as lines, one marker per alert.
import { describe, expect, it } from 'vitest';
import type { Snapshot, WatchSettings } from '../../functions/domain/types.ts';
import { chartFormatOf, renderReplayChartSvg, replayChartSpec } from '../../functions/replay/chart.ts';
import { ReplayRequestError } from '../../functions/replay/errors.ts';
import { analyseSeries, type ReplayResult } from '../../functions/replay/replay.ts';
import { watchSettings } from '../support/domain-fixtures.ts';
import { snapshot } from '../support/fixtures.ts';
import { descendants, markGroup, markLabels, parseXml } from './svg.ts';

const STK_CD = 'CH0001';

function settings(overrides: Partial<WatchSettings> = {}): WatchSettings {
  return watchSettings({ stkCd: STK_CD, name: '차트', aboveBp: [4900, 4950], belowBp: [4880], chgQtyAbs: 30_000, ...overrides });
}

/** Weekdays from 2025-03-03 with these rates (bp) and chg_qty (shares). */
function days(points: [rateBp: number | null, chgQty: number][]): Snapshot[] {
  const date = new Date(Date.UTC(2025, 2, 3));
  return points.map(([rate, chgQty]) => {
    while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
    const dt = date.toISOString().slice(0, 10).replaceAll('-', '');
    date.setUTCDate(date.getUTCDate() + 1);
    return snapshot({ stkCd: STK_CD, dt, limitExhRtBp: rate, chgQty });
  });
}

function result(s: WatchSettings = settings()): ReplayResult {
  const [baseline, ...rest] = days([
    [4870, 0],
    [4890, 10_000],
    [4905, 35_000],
    [4960, 20_000],
    [4920, -5_000],
    [null, 0],
    [4875, -40_000],
    [4885, 1_000],
  ]);
  const fetch = { cacheHit: true, pages: 0, daysFetched: 0, daysStored: 0, daysNotStored: 0 };
  return analyseSeries(s, { fromDt: rest[0]!.dt, toDt: null }, { context: [], baseline: baseline!, days: rest }, fetch);
}

describe('the replay chart', () => {
  it('is one well-formed SVG document', async () => {
    const svg = parseXml(await renderReplayChartSvg(result()));
    expect(svg.name).toBe('svg');
    expect(svg.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
  });

  it('draws every crossing threshold as a labelled horizontal line', async () => {
    const svg = parseXml(await renderReplayChartSvg(result()));
    const lines = descendants(markGroup(svg, 'thresholds')!).filter((e) => e.name === 'line');
    expect(markLabels(markGroup(svg, 'thresholds')).sort()).toEqual([
      'threshold above 49%',
      'threshold above 49.5%',
      'threshold below 48.8%',
    ]);
    // Horizontal: both ends at the same height.
    expect(lines.every((l) => (l.attributes.y2 ?? '0') === '0' || l.attributes.y2 === l.attributes.y1)).toBe(true);
  });

  it('marks each alert once, on its day', async () => {
    const replay = result();
    const svg = parseXml(await renderReplayChartSvg(replay));
    expect(replay.alerts.length).toBeGreaterThanOrEqual(4);
    expect(markLabels(markGroup(svg, 'alerts')).sort()).toEqual(replay.alerts.map((a) => `alert ${a.dt} ${a.rule}`).sort());
  });

  it('draws chg_qty as one bar per trading day with its ± threshold lines', async () => {
    const replay = result();
    const svg = parseXml(await renderReplayChartSvg(replay));
    expect(markLabels(markGroup(svg, 'chg_qty'))).toHaveLength(replay.days.length);
    expect(markLabels(markGroup(svg, 'chg_qty_thresholds')).sort()).toEqual(['threshold chg_qty +30000', 'threshold chg_qty -30000']);
  });

  it('still marks an alert on a day Kiwoom gave no rate', () => {
    const spec = JSON.stringify(replayChartSpec(result(settings({ aboveBp: [], belowBp: [], chgQtyAbs: null, frgnrLimitChange: true }))));
    expect(spec).not.toContain('"rate":null,"rule"');
  });
});

describe('chartFormatOf', () => {
  it('takes the format from the extension: .svg or .png', () => {
    expect(chartFormatOf('out/replay.SVG')).toBe('svg');
    expect(chartFormatOf('out/replay.png')).toBe('png');
  });

  it('refuses a path without a known extension, naming both', () => {
    expect(() => chartFormatOf('replay')).toThrow(ReplayRequestError);
    expect(() => chartFormatOf('replay.jpg')).toThrow(/\.svg or \.png/);
  });
});
