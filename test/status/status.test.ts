import { describe, expect, it } from 'vitest';
import { EMPTY_RULE_STATE, type RuleState, type Snapshot, type WatchSettings } from '../../functions/domain/types.ts';
import { statusJson } from '../../functions/status/json.ts';
import { buildStatus, type CodeStatusInput, type StatusInput } from '../../functions/status/status.ts';
import { statusText } from '../../functions/status/text.ts';
import { knownClosedWeekdays } from '../../functions/status/trading-days.ts';
import { snapshot, watchSettings } from '../support/domain-fixtures.ts';

// 2026-11-23 is a Monday. 10:00Z is 19:00 KST, after the 18:00 cut-off.
const TUESDAY_EVENING = new Date('2026-11-24T10:00:00Z');
const TUESDAY_AFTERNOON = new Date('2026-11-24T08:00:00Z');

function day(dt: string, overrides: Partial<Snapshot> = {}, ruleState: RuleState = EMPTY_RULE_STATE) {
  return { snapshot: snapshot({ stkCd: '017670', dt, ...overrides }), ruleState };
}

function code(settings: Partial<WatchSettings>, days: CodeStatusInput['days'], extra: Partial<CodeStatusInput> = {}): CodeStatusInput {
  return {
    settings: watchSettings({ stkCd: '017670', name: 'SK텔레콤', ...settings }),
    listed: true,
    days,
    lastAlert: null,
    lastCheckedAt: null,
    ...extra,
  };
}

function status(codes: CodeStatusInput[], now = TUESDAY_EVENING, extra: Partial<StatusInput> = {}) {
  return buildStatus({ codes, invalid: [], now, dayCutoffKst: '18:00', ...extra });
}

function only(codes: CodeStatusInput[], now = TUESDAY_EVENING) {
  const report = status(codes, now);
  return report.codes[0]!;
}

describe('threshold distances', () => {
  it('is T − rate for an above threshold and rate − T for a below one: positive while not crossed', () => {
    const c = only([code({ aboveBp: [4900], belowBp: [4800] }, [day('20261124', { limitExhRtBp: 4862 })])]);
    expect(c.thresholds.map((t) => [t.direction, t.thresholdBp, t.distanceBp, t.crossed])).toEqual([
      ['above', 4900, 38, false],
      ['below', 4800, 62, false],
    ]);
  });

  it('counts a rate exactly at an above threshold as crossed (distance 0) and below T as crossed down', () => {
    const c = only([code({ aboveBp: [4900], belowBp: [5000] }, [day('20261124', { limitExhRtBp: 4900 })])]);
    const byDirection = Object.fromEntries(c.thresholds.map((t) => [t.direction, t]));
    expect(byDirection.above).toMatchObject({ distanceBp: 0, crossed: true });
    expect(byDirection.below).toMatchObject({ distanceBp: -100, crossed: true });
  });

  it('lists a code\'s thresholds nearest first, and has no distance without a rate', () => {
    const near = only([code({ aboveBp: [4900, 5100], belowBp: [4700] }, [day('20261124', { limitExhRtBp: 5080 })])]);
    expect(near.thresholds.map((t) => t.thresholdBp)).toEqual([5100, 4900, 4700]);
    const unknown = only([code({ aboveBp: [4900] }, [day('20261124', { limitExhRtBp: null })])]);
    expect(unknown.thresholds[0]).toMatchObject({ distanceBp: null, crossed: false });
  });
});

describe('armed and pending', () => {
  it('reads hysteresis from the rule state the newest stored day left: disarmed until the re-arm level', () => {
    const disarmed: RuleState = { disarmedUpBp: [4900], disarmedDownBp: [] };
    const c = only([
      code({ aboveBp: [4900, 5000], hysteresisBp: 20 }, [
        day('20261123', { limitExhRtBp: 4950 }), // an older day's state must not be read
        day('20261124', { limitExhRtBp: 4910 }, disarmed),
      ]),
    ]);
    expect(c.thresholds.find((t) => t.thresholdBp === 4900)).toMatchObject({ armed: false, rearmBp: 4880 });
    expect(c.thresholds.find((t) => t.thresholdBp === 5000)).toMatchObject({ armed: true, rearmBp: null });
  });

  it('takes the state of the newest day, not of an older one', () => {
    const c = only([
      code({ aboveBp: [4900] }, [
        day('20261123', {}, { disarmedUpBp: [4900], disarmedDownBp: [] }),
        day('20261124', {}, EMPTY_RULE_STATE),
      ]),
    ]);
    expect(c.thresholds[0]?.armed).toBe(true);
  });

  it('shows a crossing waiting for confirmation as days of confirm_days, with its first day', () => {
    const state: RuleState = {
      disarmedUpBp: [],
      disarmedDownBp: [],
      pendingCrossings: [{ direction: 'down', thresholdBp: 4800, sinceDt: '20261124', days: 1 }],
    };
    const c = only([code({ belowBp: [4800], confirmDays: 3 }, [day('20261124', { limitExhRtBp: 4790 }, state)])]);
    expect(c.thresholds[0]).toMatchObject({ armed: true, pending: { days: 1, confirmDays: 3, sinceDt: '20261124' } });
    expect(c.confirmDays).toBe(3);
  });

  it('shows no pending crossing once confirm_days is back at 1, as the engine forgets them', () => {
    const state: RuleState = {
      disarmedUpBp: [],
      disarmedDownBp: [],
      pendingCrossings: [{ direction: 'up', thresholdBp: 4900, sinceDt: '20261124', days: 1 }],
    };
    const c = only([code({ aboveBp: [4900] }, [day('20261124', { limitExhRtBp: 4910 }, state)])]);
    expect(c.thresholds[0]?.pending).toBeNull();
  });
});

describe('days to exhaustion', () => {
  const twentyDays = (chgQty: number, room: number) =>
    Array.from({ length: 20 }, (_, i) => day(`202611${String(i + 1).padStart(2, '0')}`, { chgQty, gainPosStkcnt: room }));

  it('is foreign room ÷ the 20-day average net buying, rounded up', () => {
    const c = only([code({}, twentyDays(30_000, 1_000_000))]);
    expect(c.forecast).toMatchObject({ daysLeft: 34, roomShares: 1_000_000, avgDailyNetBuying: 30_000, windowDays: 20 });
  });

  it('is absent while foreigners are net selling, or before 20 stored days', () => {
    expect(only([code({}, twentyDays(-30_000, 1_000_000))]).forecast).toBeNull();
    expect(only([code({}, twentyDays(30_000, 1_000_000).slice(1))]).forecast).toBeNull();
  });
});

describe('the stale-day warning', () => {
  it('warns when the newest stored day is older than the newest final weekday', () => {
    const c = only([code({}, [day('20261123')], { lastCheckedAt: '2026-11-23T09:31:00.000Z' })]);
    expect(c.stale).toEqual({ expectedDt: '20261124', tradingDaysBehind: 1, lastCheckedAt: '2026-11-23T09:31:00.000Z' });
  });

  it('does not expect today\'s row before the cut-off', () => {
    expect(only([code({}, [day('20261123')])], TUESDAY_AFTERNOON).stale).toBeNull();
  });

  it('follows SCAN_DAY_CUTOFF', () => {
    const report = status([code({}, [day('20261123')])], TUESDAY_EVENING, { dayCutoffKst: '20:00' });
    expect(report.codes[0]?.stale).toBeNull();
  });

  it('expects Friday over a weekend', () => {
    const sunday = new Date('2026-11-22T03:00:00Z');
    expect(only([code({}, [day('20261120')])], sunday).stale).toBeNull();
    expect(only([code({}, [day('20261119')])], sunday).stale).toMatchObject({ expectedDt: '20261120', tradingDaysBehind: 1 });
  });

  it('leaves out a market holiday another code\'s history reveals when counting the days behind', () => {
    // Another code has Monday and Wednesday but no Tuesday: Tuesday was a holiday.
    const other = code({ stkCd: '005930' }, [day('20261123'), day('20261125')]);
    const behind = code({}, [day('20261120')]);
    const thursdayEvening = new Date('2026-11-26T10:00:00Z');
    const report = status([behind, other], thursdayEvening);
    expect(report.codes.find((c) => c.stkCd === '017670')?.stale).toMatchObject({ expectedDt: '20261126', tradingDaysBehind: 3 });
  });

  it('warns for a code with no stored day yet, and never for a disabled code', () => {
    expect(only([code({}, [])]).stale).toEqual({ expectedDt: '20261124', tradingDaysBehind: null, lastCheckedAt: null });
    expect(only([code({ enabled: false }, [day('20261117')])]).stale).toBeNull();
  });
});

describe('known market holidays', () => {
  it('are weekdays missing between two stored days of a code and stored for no code', () => {
    expect([...knownClosedWeekdays([['20261123', '20261125'], ['20261120']])]).toEqual(['20261124']);
    expect([...knownClosedWeekdays([['20261123', '20261125'], ['20261124']])]).toEqual([]);
  });

  it('are not inferred across a gap longer than any KRX closure (history fetched in separate runs)', () => {
    expect([...knownClosedWeekdays([['20261102', '20261124']])]).toEqual([]);
  });
});

describe('the report as a whole', () => {
  it('sorts codes by their nearest threshold, codes without one last', () => {
    const report = status([
      code({ stkCd: '000001', aboveBp: [5000] }, [day('20261124', { limitExhRtBp: 4900 })]),
      code({ stkCd: '000002' }, [day('20261124')]),
      code({ stkCd: '000003', belowBp: [4800] }, [day('20261124', { limitExhRtBp: 4790 })]),
      code({ stkCd: '000004', aboveBp: [5000] }, [day('20261124', { limitExhRtBp: 4950 })]),
    ]);
    expect(report.codes.map((c) => c.stkCd)).toEqual(['000003', '000004', '000001', '000002']);
  });

  it('says whether a snooze is still in force today (KST)', () => {
    expect(only([code({ snoozeUntil: '20261124' }, [day('20261124')])])).toMatchObject({ snoozeUntil: '20261124', snoozed: true });
    expect(only([code({ snoozeUntil: '20261123' }, [day('20261124')])]).snoozed).toBe(false);
  });

  it('gives JSON in percent and percentage points under the documented names', () => {
    const state: RuleState = { disarmedUpBp: [4900], disarmedDownBp: [] };
    const report = status([
      code({ aboveBp: [4900], hysteresisBp: 30, snoozeUntil: '20261231' }, [day('20261124', { limitExhRtBp: 4912, chgQty: -3441 }, state)], {
        lastAlert: { alertId: '017670-20261120-limit_exh_rt_cross_up', dt: '20261120', rule: 'limit_exh_rt_cross_up', status: 'sent', sentAt: '2026-11-20T09:31:00Z' },
      }),
    ]);
    const json = statusJson(report) as { codes: Record<string, unknown>[] };
    expect(json.codes[0]).toMatchObject({
      stk_cd: '017670',
      name: 'SK텔레콤',
      dt: '20261124',
      limit_exh_rt: 49.12,
      chg_qty: -3441,
      thresholds: [{ direction: 'above', threshold: 49, distance_pp: -0.12, crossed: true, armed: false, rearm_at: 48.7, pending: null }],
      hysteresis_pp: 0.3,
      snooze_until: '20261231',
      snoozed: true,
      days_to_exhaustion: null,
      last_alert: { alert_id: '017670-20261120-limit_exh_rt_cross_up', dt: '20261120', rule: 'limit_exh_rt_cross_up', status: 'sent' },
      stale: null,
    });
  });

  it('prints one line per code and one per invalid item saying why', () => {
    const report = status([code({ aboveBp: [4900] }, [day('20261124', { limitExhRtBp: 4862 })])], TUESDAY_EVENING, {
      invalid: [{ stkCd: '035720', problems: [], message: 'watchlist item 035720: limit_exh_rt_above "49.123" has more than two decimals' }],
    });
    const lines = statusText(report).trimEnd().split('\n');
    expect(lines.find((l) => l.startsWith('017670'))).toMatch(/SK텔레콤\s+2026-11-24\s+48\.62%.*↑49% \+0\.38pp armed/);
    expect(lines.at(-1)).toBe('035720  INVALID  watchlist item 035720: limit_exh_rt_above "49.123" has more than two decimals');
  });
});

describe('printing stored text', () => {
  it('shows control characters, bidi overrides and line breaks in a name as visible escapes on the terminal', () => {
    const report = status([code({ name: 'SK\u001b[2J\u009b31m\u202eKT\nfake line' }, [day('20261124')])]);
    const text = statusText(report);
    expect([...text].filter((ch) => ['\u001b', '\u009b', '\u202e'].includes(ch))).toEqual([]);
    expect(text).toContain('SK\\u001b[2J\\u009b31m\\u202eKT\\u000afake line');
    expect(text.split('\n').filter((l) => l.startsWith('fake line'))).toEqual([]);
  });
});
