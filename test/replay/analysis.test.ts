// The replay's reading of a series: alerts from the scan's engine, flaps, the verdict.
import { describe, expect, it } from 'vitest';
import type { Alert, Snapshot, WatchSettings } from '../../functions/domain/types.ts';
import {
  compareHysteresis,
  findFlaps,
  replayAlerts,
  verdict,
  type DaySeries,
} from '../../functions/replay/analysis.ts';
import { replaySettings } from '../../functions/replay/settings.ts';
import { watchSettings } from '../support/domain-fixtures.ts';
import { snapshot } from '../support/fixtures.ts';

const STK_CD = 'AN0001';

function settings(overrides: Partial<WatchSettings> = {}): WatchSettings {
  return watchSettings({ stkCd: STK_CD, aboveBp: [4900], belowBp: [4900], ...overrides });
}

/** Consecutive weekdays from 2025-03-03 with these rates (bp). */
function days(rates: number[]): Snapshot[] {
  const out: Snapshot[] = [];
  const date = new Date(Date.UTC(2025, 2, 3));
  for (const rate of rates) {
    while (date.getUTCDay() === 0 || date.getUTCDay() === 6) date.setUTCDate(date.getUTCDate() + 1);
    const dt = date.toISOString().slice(0, 10).replaceAll('-', '');
    out.push(snapshot({ stkCd: STK_CD, dt, limitExhRtBp: rate, chgQty: 0 }));
    date.setUTCDate(date.getUTCDate() + 1);
  }
  return out;
}

function series(rates: number[]): DaySeries {
  const [baseline, ...rest] = days(rates);
  return { context: [], baseline: baseline ?? null, days: rest };
}

function crossing(dt: string, rule: Alert['rule'], thresholdBp = 4900): Alert {
  return {
    rule,
    direction: rule === 'limit_exh_rt_cross_up' ? 'up' : 'down',
    severity: 'critical',
    threshold: thresholdBp,
    thresholdsCrossed: [thresholdBp],
    value: 0,
    previousValue: 0,
    alertId: `${STK_CD}-${dt}-${rule}`,
    stkCd: STK_CD,
    dt,
    previousDt: dt,
    revision: false,
  };
}

const WEEK = ['20250303', '20250304', '20250305', '20250306', '20250307', '20250310', '20250311', '20250312'];

describe('replayAlerts', () => {
  it('fires once when the rate crosses 49% upward between two trading days', () => {
    const alerts = replayAlerts(settings({ belowBp: [] }), series([4890, 4895, 4905, 4910]));
    expect(alerts.map((a) => [a.dt, a.rule, a.previousValue, a.value])).toEqual([
      ['20250305', 'limit_exh_rt_cross_up', 4895, 4905],
    ]);
  });

  it('compares the first day with the baseline before --from', () => {
    const alerts = replayAlerts(settings({ belowBp: [] }), series([4890, 4905]));
    expect(alerts.map((a) => [a.dt, a.previousDt])).toEqual([['20250304', '20250303']]);
  });

  it('uses the first day only as the baseline when there is none before it', () => {
    const [first, ...rest] = days([4890, 4905]);
    const alerts = replayAlerts(settings({ belowBp: [] }), { context: [], baseline: null, days: [first!, ...rest] });
    expect(alerts.map((a) => a.dt)).toEqual(['20250304']);
  });

  it('starts the hysteresis memory empty at the first day, whatever the context days did', () => {
    // In the context the rate crossed 49% up; a scan starting at the baseline would not remember it.
    const [c1, c2, baseline, ...rest] = days([4890, 4905, 4890, 4905]);
    const alerts = replayAlerts(settings({ belowBp: [], hysteresisBp: 50 }), { context: [c1!, c2!], baseline: baseline!, days: rest });
    expect(alerts.map((a) => a.rule)).toEqual(['limit_exh_rt_cross_up']);
  });
});

describe('findFlaps', () => {
  it('counts a crossing back over the same threshold within five trading days', () => {
    const flaps = findFlaps([crossing(WEEK[0]!, 'limit_exh_rt_cross_up'), crossing(WEEK[5]!, 'limit_exh_rt_cross_down')], WEEK);
    expect(flaps).toEqual([
      {
        thresholdBp: 4900,
        first: { dt: WEEK[0], rule: 'limit_exh_rt_cross_up' },
        second: { dt: WEEK[5], rule: 'limit_exh_rt_cross_down' },
        tradingDaysApart: 5,
      },
    ]);
  });

  it('does not count crossings six trading days apart', () => {
    expect(findFlaps([crossing(WEEK[0]!, 'limit_exh_rt_cross_up'), crossing(WEEK[6]!, 'limit_exh_rt_cross_down')], WEEK)).toEqual([]);
  });

  it('counts up, down, up within a week as two flaps', () => {
    const alerts = ['limit_exh_rt_cross_up', 'limit_exh_rt_cross_down', 'limit_exh_rt_cross_up'] as const;
    expect(findFlaps(alerts.map((rule, i) => crossing(WEEK[i]!, rule)), WEEK)).toHaveLength(2);
  });

  it('counts a re-alert in the same direction (the rate fell back and rose again)', () => {
    expect(findFlaps([crossing(WEEK[0]!, 'limit_exh_rt_cross_up'), crossing(WEEK[2]!, 'limit_exh_rt_cross_up')], WEEK)).toHaveLength(1);
  });

  it('does not pair crossings of different thresholds', () => {
    const alerts = [crossing(WEEK[0]!, 'limit_exh_rt_cross_up', 4900), crossing(WEEK[1]!, 'limit_exh_rt_cross_down', 4800)];
    expect(findFlaps(alerts, WEEK)).toEqual([]);
  });
});

describe('compareHysteresis', () => {
  const hovering = series([4890, 4905, 4895, 4903, 4897, 4906]);

  it('shows flaps thinning out as hysteresis grows', () => {
    const outcomes = compareHysteresis(settings(), hovering);
    const flapsAt = (bp: number) => outcomes.find((o) => o.hysteresisBp === bp)?.flaps;
    // Up, down, up, down, up at 49% without hysteresis; with 0.2pp each
    // direction alerts once and stays quiet, leaving the one up→down pair.
    expect(flapsAt(0)).toBe(4);
    expect(flapsAt(20)).toBe(1);
  });

  it('includes the configured hysteresis among the candidates', () => {
    expect(compareHysteresis(settings({ hysteresisBp: 7 }), hovering).map((o) => o.hysteresisBp)).toContain(7);
  });

  it('has nothing to compare without crossing thresholds', () => {
    expect(compareHysteresis(settings({ aboveBp: [], belowBp: [] }), hovering)).toEqual([]);
  });
});

describe('verdict', () => {
  const hysteresis = [
    { hysteresisBp: 0, alerts: 9, flaps: 2 },
    { hysteresisBp: 10, alerts: 5, flaps: 1 },
    { hysteresisBp: 30, alerts: 3, flaps: 0 },
  ];

  it('reads like the issue’s example with hysteresis set', () => {
    expect(verdict({ alerts: 3, tradingDays: 120, flaps: 0, hysteresisBp: 30, hysteresis })).toBe(
      '3 alerts in 120 trading days; 0 flaps with hysteresis 0.3pp (2 without)',
    );
  });

  it('suggests the smallest hysteresis that leaves no flap', () => {
    expect(verdict({ alerts: 9, tradingDays: 120, flaps: 2, hysteresisBp: 0, hysteresis })).toBe(
      '9 alerts in 120 trading days; 2 flaps without hysteresis; hysteresis 0.3pp would leave 0',
    );
  });

  it('says when nothing can flap', () => {
    expect(verdict({ alerts: 1, tradingDays: 1, flaps: 0, hysteresisBp: 0, hysteresis: [] })).toBe(
      '1 alert in 1 trading day; no crossing thresholds, so nothing can flap',
    );
  });
});

describe('replaySettings', () => {
  const defaults = { stk_cd: '*', hysteresis_pp: 0.2, frgnr_limit_change: true };

  it('uses the watchlist item merged over the defaults when no option is given', () => {
    const resolved = replaySettings(STK_CD, { stk_cd: STK_CD, limit_exh_rt_above: 49 }, defaults, null);
    expect(resolved.ok && [resolved.settings.aboveBp, resolved.settings.hysteresisBp]).toEqual([[4900], 20]);
  });

  it('lets the options replace the item’s settings as `watch add` would', () => {
    const resolved = replaySettings(STK_CD, { stk_cd: STK_CD, limit_exh_rt_above: 49, chg_qty_abs: 1000 }, defaults, {
      stk_cd: STK_CD,
      limit_exh_rt_above: [48, 50],
    });
    expect(resolved.ok && [resolved.settings.aboveBp, resolved.settings.chgQtyAbs]).toEqual([[4800, 5000], 1000]);
  });

  it('replays a code that is not on the watchlist with the defaults', () => {
    const resolved = replaySettings(STK_CD, undefined, defaults, null);
    expect(resolved.ok && resolved.settings.stkCd).toBe(STK_CD);
  });

  it('reports an invalid item the way the scan would', () => {
    const resolved = replaySettings(STK_CD, { stk_cd: STK_CD, limit_exh_rt_above: '49.123' }, defaults, null);
    expect(resolved.ok).toBe(false);
  });
});
