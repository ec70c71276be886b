// The harness's oracle on issue 10's own cases: what a correction makes due,
// what an earlier alert still stands for, and what counts as a duplicate.
import { describe, expect, it } from 'vitest';
import { parseRow } from '../../functions/domain/parse.ts';
import { resolveWatchSettings } from '../../functions/domain/watchlist.ts';
import { judge, type CodeHistory, type Delivery } from '../../chaos/oracle.ts';
import { rowsAtRates } from '../../chaos/stories.ts';

const CODE = '017670';
const DAYS = ['20250303', '20250304', '20250305', '20250306', '20250307'];

/** The final history: one rate per day (basis points), the first day the baseline. */
function history(item: Record<string, unknown>, ratesBp: number[]): CodeHistory {
  const resolved = resolveWatchSettings({ stk_cd: CODE, ...item }, undefined);
  if (!resolved.ok) throw new Error('bad item');
  const dts = DAYS.slice(0, ratesBp.length);
  return { settings: resolved.settings, days: rowsAtRates(CODE, dts, ratesBp, 7).map((row) => parseRow(CODE, row)) };
}

let order = 0;
function delivered(dt: string, rule: string, extra: Partial<Delivery> = {}): Delivery {
  const direction = rule.endsWith('down') ? 'down' : 'up';
  return {
    order: order++,
    alertId: `${CODE}-${dt}-${rule}`,
    stkCd: CODE,
    dt,
    rule,
    direction,
    thresholdsBp: rule.startsWith('limit_exh_rt_cross') ? [4900] : [],
    corrects: null,
    content: `${dt}-${rule}`,
    ...extra,
  };
}

function notice(of: Delivery): Delivery {
  return delivered(of.dt, 'correction', { alertId: `${CODE}-${of.dt}-correction`, corrects: of.alertId, content: `notice ${of.alertId}` });
}

describe('the oracle', () => {
  it('counts a crossing of the final history that nothing announced as lost', () => {
    const j = judge([history({ limit_exh_rt_above: 49 }, [4880, 4890, 4910])], []);
    expect(j.lost.map((l) => l.alert.alertId)).toEqual([`${CODE}-20250305-limit_exh_rt_cross_up`]);
  });

  it('takes a later alert for the same crossing, the threshold never re-armed, as the announcement (nothing more is due)', () => {
    // D1 was first a copy of D0 (48.70); D2's 49.20 alerted; D1 is corrected to 49.10.
    const final = history({ limit_exh_rt_above: 49 }, [4860, 4870, 4910, 4920]);
    const j = judge([final], [delivered('20250306', 'limit_exh_rt_cross_up')]);
    expect([j.lost, j.uncorrected, j.announcedTwice]).toEqual([[], [], []]);
  });

  it('does not take a later alert for an earlier crossing when the threshold re-armed in between', () => {
    // 49.10 crosses, 48.50 re-arms, 49.20 crosses again: two crossings, one alert.
    const final = history({ limit_exh_rt_above: 49 }, [4880, 4910, 4850, 4920]);
    const j = judge([final], [delivered('20250306', 'limit_exh_rt_cross_up')]);
    expect(j.lost.map((l) => l.alert.dt)).toEqual(['20250304']);
  });

  it('never lets an alert stand for a crossing that happened after it', () => {
    // 0.2pp hysteresis: D2 alerted at 49.05, is corrected to 48.70 (re-arms 49%), so D3's 49.30 crosses.
    const final = history({ limit_exh_rt_above: 49, hysteresis_pp: 0.2 }, [4885, 4890, 4870, 4930]);
    const j = judge([final], [delivered('20250305', 'limit_exh_rt_cross_up')]);
    expect(j.lost.map((l) => l.alert.dt)).toEqual(['20250306']);
    expect(j.uncorrected.map((d) => d.dt)).toEqual(['20250305']);
  });

  it('accepts a withdrawn alert once a correction notice names it, and the crossing the correction revealed', () => {
    const final = history({ limit_exh_rt_above: 49, hysteresis_pp: 0.2 }, [4885, 4890, 4870, 4930]);
    const wrong = delivered('20250305', 'limit_exh_rt_cross_up');
    const j = judge([final], [wrong, notice(wrong), delivered('20250306', 'limit_exh_rt_cross_up')]);
    expect([j.lost, j.uncorrected, j.correctionNotices]).toEqual([[], [], 1]);
  });

  it('does not let a notice retract what was delivered after it', () => {
    const final = history({ limit_exh_rt_above: 49 }, [4880, 4890, 4910]);
    const alert = delivered('20250305', 'limit_exh_rt_cross_up');
    const early = { ...notice(alert), order: -1 };
    expect(judge([final], [early, alert]).lost).toEqual([]);
  });

  it('requires every threshold a day crossed: an alert naming 99% does not announce 99.5%', () => {
    const final = history({ limit_exh_rt_above: [99, 99.5] }, [9880, 9890, 9960]);
    const j = judge([final], [delivered('20250305', 'limit_exh_rt_cross_up', { thresholdsBp: [9900] })]);
    expect(j.lost.map((l) => l.uncoveredBp)).toEqual([[9950]]);
  });

  it('flags one crossing announced under two alert_ids', () => {
    const final = history({ limit_exh_rt_above: 49 }, [4860, 4870, 4910, 4920]);
    const j = judge([final], [delivered('20250306', 'limit_exh_rt_cross_up'), delivered('20250305', 'limit_exh_rt_cross_up')]);
    expect(j.announcedTwice.map((a) => a.alertIds.length)).toEqual([2]);
  });

  it('matches other rules by day, rule and direction: a move that now goes the other way is lost and uncorrected', () => {
    // Final: 50.10 → 49.70 (a 0.40pp move down); delivered: the same day as a move up.
    const final = history({ limit_exh_rt_move_pp: 0.3 }, [5010, 4970]);
    const j = judge([final], [delivered('20250304', 'limit_exh_rt_move', { direction: 'up' })]);
    expect([j.lost.length, j.uncorrected.length]).toEqual([1, 1]);
  });

  it('takes the -r1 alert a correction sent for the same day, rule and new direction, once the old one is withdrawn', () => {
    // `npm run chaos -- --seed 7`: the day first arrived as a copy of the day before (a move down, alerted),
    // then as a move up: the scan withdrew the down alert and sent the up one under a variant id.
    const final = history({ limit_exh_rt_move_pp: 0.3 }, [5010, 4970]);
    const wrong = delivered('20250304', 'limit_exh_rt_move', { direction: 'up' });
    const right = delivered('20250304', 'limit_exh_rt_move', { alertId: `${wrong.alertId}-r1`, direction: 'down', content: 'r1' });
    expect(judge([final], [wrong, notice(wrong), right])).toMatchObject({ lost: [], uncorrected: [], announcedTwice: [] });
    // Left standing beside it, the old id for the same direction is one move announced twice.
    const twice = judge([final], [{ ...wrong, direction: 'down' }, right]);
    expect(twice.announcedTwice.map((a) => a.alertIds)).toEqual([[wrong.alertId, right.alertId]]);
  });

  it('reads a partial notice as withdrawing only the thresholds it names', () => {
    // `npm run chaos -- --seed 15`: the day first crossed 49% and 50%, is corrected to cross 49% alone.
    const final = history({ limit_exh_rt_above: [49, 50] }, [4880, 4890, 4950]);
    const sent = delivered('20250305', 'limit_exh_rt_cross_up', { thresholdsBp: [4900, 5000] });
    const partial = { ...notice(sent), withdraws: [5000] };
    expect(judge([final], [sent, partial])).toMatchObject({ lost: [], uncorrected: [] });
    // Withdrawn whole, the 49% crossing it also announced is lost.
    expect(judge([final], [sent, { ...partial, withdraws: 'all' as const }]).lost.map((l) => l.uncoveredBp)).toEqual([[4900]]);
  });

  it('takes a limit change announced on another day as that change, by the new limit it names', () => {
    // `npm run chaos -- --seed 9`: the day of the change first arrived as a copy of the day before.
    const final = history({}, [4880, 4890, 4890]);
    const rows = final.days.map((d, i) => (i === 0 ? d : { ...d, frgnrLimit: 101_000_000 }));
    const changed = { ...final, days: rows };
    const late = delivered('20250305', 'frgnr_limit_change', { value: 101_000_000 });
    expect(judge([changed], [late])).toMatchObject({ lost: [], uncorrected: [] });
    expect(judge([changed], [{ ...late, value: 102_000_000 }]).lost.map((l) => l.alert.dt)).toEqual(['20250304']);
  });

  it('counts exact repeats as duplicates, and a changed message under the same alert_id as none', () => {
    const final = history({ limit_exh_rt_above: 49 }, [4880, 4910]);
    const first = delivered('20250304', 'limit_exh_rt_cross_up');
    const j = judge([final], [first, { ...first, order: 90 }, { ...first, order: 91 }, { ...first, order: 92, content: 'updated' }]);
    expect(j.duplicates).toEqual([{ alertId: first.alertId, copies: 2 }]);
    expect(j.deliveredAlerts).toBe(1);
  });
});
