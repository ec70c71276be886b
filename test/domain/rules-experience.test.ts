// confirm_days, remind_every_days, exhaustion_days and snooze_until: the
// rule-engine side of "alerts people can live with".
import { describe, expect, it } from 'vitest';
import {
  evaluateDay,
  evaluateHistory,
  exhaustionForecast,
  FORECAST_WINDOW_DAYS,
  isSnoozed,
} from '../../functions/domain/rules.ts';
import { EMPTY_RULE_STATE } from '../../functions/domain/types.ts';
import type { Finding, RuleId, Snapshot, WatchSettings } from '../../functions/domain/types.ts';
import { kiwoomRow, snapshot as fixtureSnapshot, watchSettings } from '../support/domain-fixtures.ts';

/** The i-th trading day of the fixtures (calendar days; the engine only orders them). */
function dtOf(i: number): string {
  return new Date(Date.UTC(2025, 2, 3) + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
}

function snapshot(i: number, overrides: Partial<Snapshot> = {}): Snapshot {
  const dt = dtOf(i);
  return fixtureSnapshot({
    stkCd: '017670',
    dt,
    closePrice: 50000,
    possStkcnt: 49_000_000,
    wghtBp: 4900,
    gainPosStkcnt: 51_000_000,
    frgnrLimit: 100_000_000,
    limitExhRtBp: 4900,
    row: kiwoomRow({
      dt,
      close_pric: '50000',
      poss_stkcnt: '49000000',
      wght: '+49.00',
      gain_pos_stkcnt: '51000000',
      frgnr_limit: '100000000',
      limit_exh_rt: '+49.00',
    }),
    ...overrides,
  });
}

function settings(overrides: Partial<WatchSettings> = {}): WatchSettings {
  return watchSettings({ stkCd: '017670', ...overrides });
}

/** Consecutive trading days with the given limit exhaustion rates (bp). */
function rates(values: (number | null)[]): Snapshot[] {
  return values.map((limitExhRtBp, i) => snapshot(i, { limitExhRtBp }));
}

/** Every finding of `rule` with the day it fired on. */
function fired(rule: RuleId, s: WatchSettings, days: Snapshot[]): (Finding & { dt: string })[] {
  return evaluateHistory(s, days, EMPTY_RULE_STATE).flatMap((d) =>
    d.findings.filter((f) => f.rule === rule).map((f) => ({ ...f, dt: d.dt })),
  );
}

describe('confirm_days', () => {
  const confirm3 = settings({ aboveBp: [4900], confirmDays: 3 });

  it('a crossing that reverts before confirm_days sends nothing', () => {
    const days = rates([4850, 4920, 4930, 4890, 4880]);
    expect(evaluateHistory(confirm3, days, EMPTY_RULE_STATE).flatMap((d) => d.findings)).toEqual([]);
  });

  it('confirms a crossing on the third trading day past the threshold, dated that day', () => {
    const days = rates([4850, 4920, 4930, 4940]);
    expect(fired('limit_exh_rt_cross_up', confirm3, days).map((f) => f.dt)).toEqual([dtOf(3)]);
  });

  it('says since which day the rate has been past the threshold', () => {
    const [finding] = fired('limit_exh_rt_cross_up', confirm3, rates([4850, 4920, 4930, 4940]));
    expect([finding?.since, finding?.threshold, finding?.value, finding?.previousValue]).toEqual([dtOf(1), 4900, 4940, 4930]);
  });

  it('confirms only once while the rate stays above the threshold', () => {
    const days = rates([4850, 4920, 4930, 4940, 4950, 4960, 4970]);
    expect(fired('limit_exh_rt_cross_up', confirm3, days)).toHaveLength(1);
  });

  it('starts counting again after a crossing that reverted', () => {
    const days = rates([4850, 4920, 4880, 4910, 4920, 4930]);
    expect(fired('limit_exh_rt_cross_up', confirm3, days).map((f) => [f.dt, f.since])).toEqual([[dtOf(5), dtOf(3)]]);
  });

  it('neither counts nor breaks the run on a day without a rate', () => {
    const days = rates([4850, 4920, null, 4930, 4940]);
    expect(fired('limit_exh_rt_cross_up', confirm3, days).map((f) => f.dt)).toEqual([dtOf(4)]);
  });

  it('confirms a downward crossing the same way', () => {
    const below = settings({ belowBp: [4500], confirmDays: 2 });
    const days = rates([4550, 4490, 4480]);
    expect(fired('limit_exh_rt_cross_down', below, days).map((f) => [f.dt, f.since, f.direction])).toEqual([
      [dtOf(2), dtOf(1), 'down'],
    ]);
  });

  it('disarms the threshold at confirmation, so hovering does not alert again until hysteresis re-arms it', () => {
    const s = settings({ aboveBp: [4900], confirmDays: 2, hysteresisBp: 50 });
    // confirmed on day 2; dips to 48.8 (not re-armed: needs ≤ 48.5), back over; re-armed at 48.4, then confirmed again.
    const days = rates([4850, 4910, 4920, 4880, 4910, 4920, 4840, 4910, 4920]);
    expect(fired('limit_exh_rt_cross_up', s, days).map((f) => f.dt)).toEqual([dtOf(2), dtOf(8)]);
  });

  it('keeps the pending crossing in the rule state between days', () => {
    const [, second] = evaluateHistory(confirm3, rates([4850, 4920, 4930]), EMPTY_RULE_STATE);
    expect(second?.state.pendingCrossings).toEqual([{ direction: 'up', thresholdBp: 4900, sinceDt: dtOf(1), days: 2 }]);
  });

  describe('lowered while a crossing is pending', () => {
    /** Days 0–2 under confirm_days 3 (crossing on day 1, pending 2 days), then day 3 under `after`. */
    function loweredOnDay3(after: WatchSettings, day3Bp = 4940) {
      const before = evaluateHistory(confirm3, rates([4850, 4920, 4930]), EMPTY_RULE_STATE);
      const state = before.at(-1)?.state ?? EMPTY_RULE_STATE;
      return evaluateDay({ settings: after, previous: snapshot(2, { limitExhRtBp: 4930 }), current: snapshot(3, { limitExhRtBp: day3Bp }), state });
    }

    it('confirms the crossing on the next evaluation when confirm_days drops to 1', () => {
      const day3 = loweredOnDay3(settings({ aboveBp: [4900], confirmDays: 1 }));
      expect(day3.findings).toMatchObject([{ rule: 'limit_exh_rt_cross_up', threshold: 4900, since: dtOf(1) }]);
      expect(day3.state.pendingCrossings ?? []).toEqual([]);
    });

    it('confirms it on the next evaluation when the days already past reach the new confirm_days', () => {
      const day3 = loweredOnDay3(settings({ aboveBp: [4900], confirmDays: 2 }));
      expect(day3.findings).toMatchObject([{ rule: 'limit_exh_rt_cross_up', since: dtOf(1) }]);
    });

    it('confirms it even if the rate has just fallen back: it stayed past long enough under the new setting', () => {
      const day3 = loweredOnDay3(settings({ aboveBp: [4900], confirmDays: 1 }), 4880);
      expect(day3.findings.map((f) => f.rule)).toEqual(['limit_exh_rt_cross_up']);
    });

    it('alerts once: the confirmed threshold is disarmed for the days after', () => {
      const lowered = settings({ aboveBp: [4900], confirmDays: 1 });
      const day3 = loweredOnDay3(lowered);
      const day4 = evaluateDay({
        settings: lowered,
        previous: snapshot(3, { limitExhRtBp: 4940 }),
        current: snapshot(4, { limitExhRtBp: 4950 }),
        state: day3.state,
      });
      expect(day4.findings).toEqual([]);
    });
  });

  it('alerts on the crossing day itself, without since, when confirm_days is 1', () => {
    const [finding] = fired('limit_exh_rt_cross_up', settings({ aboveBp: [4900], confirmDays: 1 }), rates([4850, 4920]));
    expect([finding?.dt, finding?.since]).toEqual([dtOf(1), undefined]);
  });
});

describe('remind_every_days', () => {
  const remind2 = settings({ aboveBp: [4900], remindEveryDays: 2 });

  it('reminds every 2 trading days while the rate stays past the crossed threshold', () => {
    const days = rates([4850, 4920, 4930, 4940, 4950, 4960, 4970]);
    expect(fired('limit_exh_rt_still_beyond', remind2, days).map((f) => f.dt)).toEqual([dtOf(3), dtOf(5)]);
  });

  it('reminders stop after the crossing back', () => {
    const days = rates([4850, 4920, 4930, 4880, 4870, 4860, 4850]);
    expect(fired('limit_exh_rt_still_beyond', settings({ aboveBp: [4900], remindEveryDays: 1 }), days).map((f) => f.dt)).toEqual([
      dtOf(2),
    ]);
  });

  it('is a warning naming the threshold, the direction and the first day past it', () => {
    const [reminder] = fired('limit_exh_rt_still_beyond', remind2, rates([4850, 4920, 4930, 4940]));
    expect(reminder).toMatchObject({
      rule: 'limit_exh_rt_still_beyond',
      severity: 'warning',
      direction: 'up',
      threshold: 4900,
      value: 4940,
      previousValue: 4930,
      since: dtOf(1),
    });
  });

  it('reminds below a downward-crossed threshold', () => {
    const below = settings({ belowBp: [4500], remindEveryDays: 1 });
    const [reminder] = fired('limit_exh_rt_still_beyond', below, rates([4550, 4490, 4480]));
    expect([reminder?.dt, reminder?.direction, reminder?.threshold]).toEqual([dtOf(2), 'down', 4500]);
  });

  it('counts from the confirmed alert and reports the first day past the threshold', () => {
    const s = settings({ aboveBp: [4900], confirmDays: 2, remindEveryDays: 2 });
    const days = rates([4850, 4920, 4930, 4940, 4950]);
    expect(fired('limit_exh_rt_still_beyond', s, days).map((f) => [f.dt, f.since])).toEqual([[dtOf(4), dtOf(1)]]);
  });

  it('sends no reminder when remind_every_days is off', () => {
    const days = rates([4850, 4920, 4930, 4940, 4950]);
    expect(fired('limit_exh_rt_still_beyond', settings({ aboveBp: [4900] }), days)).toEqual([]);
  });
});

describe('exhaustion_days', () => {
  /** 20 trading days of +50,000 net buying ending with 1,000,000 shares of room, then `more` days. */
  function pace(chgQty: number[], room: number[]): Snapshot[] {
    return chgQty.map((q, i) => snapshot(i, { chgQty: q, gainPosStkcnt: room[i] ?? room.at(-1) ?? 0 }));
  }

  it('forecasts 20 days left for room 1,000,000 shares at a 20-day average of +50,000', () => {
    const days = pace(Array(21).fill(50_000), [...Array(20).fill(2_000_000), 1_000_000]);
    const [alert] = fired('limit_exhaustion_forecast', settings({ exhaustionDays: 20 }), days);
    expect(alert).toMatchObject({
      rule: 'limit_exhaustion_forecast',
      severity: 'critical',
      direction: 'up',
      threshold: 20,
      value: 20,
      previousValue: 40,
      forecast: { roomShares: 1_000_000, avgDailyNetBuying: 50_000, daysLeft: 20, windowDays: 20 },
    });
  });

  it('fires the first day the forecast falls to N days and not the days after', () => {
    const room = [...Array(20).fill(3_000_000), 2_000_000, 900_000, 800_000, 700_000];
    const days = pace(Array(room.length).fill(50_000), room);
    expect(fired('limit_exhaustion_forecast', settings({ exhaustionDays: 20 }), days).map((f) => f.dt)).toEqual([dtOf(21)]);
  });

  it('alerts again only after the forecast has risen above 2N days', () => {
    // N = 10: 10 days (fire) → 15 (still within 2N) → 8 (quiet) → 25 (re-armed) → 9 (fire).
    const room = [...Array(19).fill(500_000), 500_000, 750_000, 400_000, 1_250_000, 450_000];
    const days = pace(Array(room.length).fill(50_000), room);
    expect(fired('limit_exhaustion_forecast', settings({ exhaustionDays: 10 }), days).map((f) => [f.dt, f.value])).toEqual([
      [dtOf(19), 10],
      [dtOf(23), 9],
    ]);
  });

  it('re-arms when foreigners stop net buying on average', () => {
    const chg = [...Array(20).fill(50_000), -2_000_000, 2_100_000];
    const days = pace(chg, Array(chg.length).fill(400_000));
    // day 19: 8 days → fire; day 20: the 20-day sum turns negative → re-armed; day 21: back to 8 days → fire.
    expect(fired('limit_exhaustion_forecast', settings({ exhaustionDays: 10 }), days).map((f) => f.dt)).toEqual([
      dtOf(19),
      dtOf(21),
    ]);
  });

  it('makes no forecast with fewer than 20 trading days of history', () => {
    const days = pace(Array(19).fill(50_000), Array(19).fill(100_000));
    expect(fired('limit_exhaustion_forecast', settings({ exhaustionDays: 10 }), days)).toEqual([]);
  });

  it('makes no forecast when a day in the window has no chg_qty', () => {
    const chg: (number | null)[] = [...Array(20).fill(50_000)];
    chg[5] = null;
    const days = chg.map((q, i) => snapshot(i, { chgQty: q, gainPosStkcnt: 100_000 }));
    expect(fired('limit_exhaustion_forecast', settings({ exhaustionDays: 10 }), days)).toEqual([]);
  });

  it('rounds the days left up', () => {
    const window = Array.from({ length: FORECAST_WINDOW_DAYS }, (_, i) => snapshot(i, { chgQty: 30_000, gainPosStkcnt: 100_000 }));
    expect(exhaustionForecast(window)?.daysLeft).toBe(4);
  });

  it('gives no forecast while foreigners are net selling on average', () => {
    const window = Array.from({ length: FORECAST_WINDOW_DAYS }, (_, i) => snapshot(i, { chgQty: -1, gainPosStkcnt: 100_000 }));
    expect(exhaustionForecast(window)).toBeNull();
  });

  it('uses the days handed in as recent by evaluateDay', () => {
    const history = pace(Array(21).fill(50_000), Array(21).fill(1_000_000));
    const current = history[20] as Snapshot;
    const result = evaluateDay({
      settings: settings({ exhaustionDays: 20 }),
      previous: history[19] as Snapshot,
      current,
      state: EMPTY_RULE_STATE,
      recent: history.slice(0, 20),
    });
    expect(result.findings.map((f) => [f.rule, f.value])).toEqual([['limit_exhaustion_forecast', 20]]);
    expect(result.state.forecastDisarmed).toBe(true);
  });
});

describe('snooze_until', () => {
  it('snoozes alerts for trading days through the snooze day', () => {
    const s = settings({ snoozeUntil: '20250310' });
    expect([isSnoozed(s, '20250307'), isSnoozed(s, '20250310'), isSnoozed(s, '20250311')]).toEqual([true, true, false]);
  });

  it('snoozes nothing when no snooze is set', () => {
    expect(isSnoozed(settings(), '20250310')).toBe(false);
  });
});

describe('without any of the newer settings', () => {
  it('leaves the rule state exactly as it always was', () => {
    const results = evaluateHistory(settings({ aboveBp: [4900], chgQtyAbs: 1 }), rates([4850, 4920, 4930]), EMPTY_RULE_STATE);
    expect(results.map((r) => r.state)).toEqual([
      { disarmedUpBp: [4900], disarmedDownBp: [] },
      { disarmedUpBp: [4900], disarmedDownBp: [] },
    ]);
    expect(results.every((r) => Object.keys(r.state).length === 2)).toBe(true);
  });
});
