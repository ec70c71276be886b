import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateDay, evaluateHistory, toAlert } from '../../functions/domain/rules.ts';
import { EMPTY_RULE_STATE } from '../../functions/domain/types.ts';
import type { Finding, RuleState, Snapshot, WatchSettings } from '../../functions/domain/types.ts';
import { snapshot, watchSettings as settings } from '../support/domain-fixtures.ts';

/** Consecutive trading days with the given rates (bp), oldest first. */
function days(rates: (number | null)[]): Snapshot[] {
  return rates.map((limitExhRtBp, i) =>
    snapshot({ dt: `202411${String(i + 1).padStart(2, '0')}`, limitExhRtBp }),
  );
}

function day(s: WatchSettings, previousBp: number | null, currentBp: number | null, state: RuleState = EMPTY_RULE_STATE) {
  return evaluateDay({
    settings: s,
    previous: snapshot({ dt: '20241104', limitExhRtBp: previousBp }),
    current: snapshot({ dt: '20241105', limitExhRtBp: currentBp }),
    state,
  });
}

function findingsOf(rule: Finding['rule'], results: { findings: Finding[] }[]): Finding[] {
  return results.flatMap((r) => r.findings.filter((f) => f.rule === rule));
}

describe('limit_exh_rt_cross_up', () => {
  const at49 = settings({ aboveBp: [4900] });

  it('fires once when the rate crosses 49% upward between two trading days', () => {
    expect(day(at49, 4895, 4912).findings).toEqual([
      {
        rule: 'limit_exh_rt_cross_up',
        direction: 'up',
        severity: 'critical',
        threshold: 4900,
        thresholdsCrossed: [4900],
        value: 4912,
        previousValue: 4895,
      },
    ]);
  });

  it('fires when the rate lands exactly on the threshold', () => {
    expect(day(at49, 4899, 4900).findings.map((f) => f.rule)).toEqual(['limit_exh_rt_cross_up']);
  });

  it('does not fire when the previous day was already at the threshold', () => {
    expect(day(at49, 4900, 4950).findings).toEqual([]);
  });

  it('does not fire while the rate stays below the threshold', () => {
    expect(day(at49, 4800, 4899).findings).toEqual([]);
  });

  it('names the furthest threshold and lists every threshold crossed on one day, ascending', () => {
    const [finding] = day(settings({ aboveBp: [4800, 4900, 5000, 5100] }), 4750, 5020).findings;
    expect(finding).toMatchObject({ threshold: 5000, thresholdsCrossed: [4800, 4900, 5000] });
  });

  it('disarms every threshold it crossed', () => {
    const { state } = day(settings({ aboveBp: [4800, 4900, 5000] }), 4750, 4950);
    expect(state).toEqual({ disarmedUpBp: [4800, 4900], disarmedDownBp: [] });
  });

  it('does not fire for a threshold that is disarmed', () => {
    const disarmed = { disarmedUpBp: [4900], disarmedDownBp: [] };
    expect(day(settings({ aboveBp: [4900], hysteresisBp: 30 }), 4880, 4910, disarmed).findings).toEqual([]);
  });

  it('leaves a disarmed threshold out of a multi-threshold crossing', () => {
    const disarmed = { disarmedUpBp: [4800], disarmedDownBp: [] };
    const [finding] = day(settings({ aboveBp: [4800, 4900], hysteresisBp: 30 }), 4790, 4910, disarmed).findings;
    expect(finding).toMatchObject({ threshold: 4900, thresholdsCrossed: [4900] });
  });
});

describe('limit_exh_rt_cross_down', () => {
  const at49 = settings({ belowBp: [4900] });

  it('fires when the previous day was exactly at the threshold and the rate falls below it', () => {
    expect(day(at49, 4900, 4899).findings).toEqual([
      {
        rule: 'limit_exh_rt_cross_down',
        direction: 'down',
        severity: 'critical',
        threshold: 4900,
        thresholdsCrossed: [4900],
        value: 4899,
        previousValue: 4900,
      },
    ]);
  });

  it('does not fire when the rate falls onto the threshold', () => {
    expect(day(at49, 4950, 4900).findings).toEqual([]);
  });

  it('names the lowest threshold crossed and lists them in crossing order, descending', () => {
    const [finding] = day(settings({ belowBp: [4700, 4800, 4900, 5000] }), 4950, 4750).findings;
    expect(finding).toMatchObject({ threshold: 4800, thresholdsCrossed: [4900, 4800] });
  });

  it('re-arms only once the rate closes at or above T + hysteresis', () => {
    const s = settings({ belowBp: [4900], hysteresisBp: 30 });
    const results = evaluateHistory(s, days([4910, 4890, 4920, 4895, 4930, 4890]), EMPTY_RULE_STATE);
    expect(results.map((r) => r.findings.length)).toEqual([1, 0, 0, 0, 1]);
  });
});

describe('hysteresis', () => {
  const at49 = settings({ aboveBp: [4900], hysteresisBp: 30 });

  it('does not alert again after a dip that stays above T − hysteresis', () => {
    const results = evaluateHistory(at49, days([4890, 4910, 4880, 4920]), EMPTY_RULE_STATE);
    expect(findingsOf('limit_exh_rt_cross_up', results).length).toBe(1);
    expect(results.at(-1)?.state.disarmedUpBp).toEqual([4900]);
  });

  it('re-arms when the rate closes exactly at T − hysteresis, so the next crossing fires', () => {
    const results = evaluateHistory(at49, days([4890, 4910, 4870, 4920]), EMPTY_RULE_STATE);
    expect(results.map((r) => r.findings.length)).toEqual([1, 0, 1]);
  });

  it('records the re-arming in the state of the day that closed low enough', () => {
    const results = evaluateHistory(at49, days([4890, 4910, 4870]), EMPTY_RULE_STATE);
    expect(results.map((r) => r.state.disarmedUpBp)).toEqual([[4900], []]);
  });

  it('checks crossings with the state from before the day, not the one the day re-arms', () => {
    // With h = 0 a close at exactly T both re-arms and crosses T; only a
    // threshold armed before the day may fire.
    const disarmed = { disarmedUpBp: [4900], disarmedDownBp: [] };
    expect(day(settings({ aboveBp: [4900] }), 4890, 4900, disarmed).findings).toEqual([]);
  });

  it('follows the 0.3pp scenario: cross 49, dip to 48.8, back up (silent), dip to 48.7, cross again (alert)', () => {
    const results = evaluateHistory(at49, days([4890, 4910, 4880, 4920, 4870, 4910]), EMPTY_RULE_STATE);
    expect(results.map((r) => r.findings.length)).toEqual([1, 0, 0, 0, 1]);
  });

  it('behaves like plain crossing with hysteresis 0', () => {
    const plain = settings({ aboveBp: [4900] });
    const results = evaluateHistory(plain, days([4890, 4910, 4900, 4950, 4899, 4900]), EMPTY_RULE_STATE);
    expect(results.map((r) => r.findings.length)).toEqual([1, 0, 0, 0, 1]);
  });

  it('drops thresholds that are no longer configured from the state', () => {
    const stale = { disarmedUpBp: [4800, 4900], disarmedDownBp: [3000] };
    const { state } = day(settings({ aboveBp: [4900], hysteresisBp: 30 }), 4950, 4960, stale);
    expect(state).toEqual({ disarmedUpBp: [4900], disarmedDownBp: [] });
  });

  it('keeps the state unchanged when the day’s rate is unknown', () => {
    const disarmed = { disarmedUpBp: [4900], disarmedDownBp: [] };
    expect(day(at49, 4910, null, disarmed).state).toEqual(disarmed);
  });

  it('still re-arms from a known close when only the previous rate is unknown', () => {
    const disarmed = { disarmedUpBp: [4900], disarmedDownBp: [] };
    expect(day(at49, null, 4800, disarmed).state).toEqual(EMPTY_RULE_STATE);
  });
});

describe('unknown rates', () => {
  const everything = settings({ aboveBp: [4900], belowBp: [4900], moveBp: 10 });

  it('fires no rate rule when the previous rate is unknown', () => {
    expect(day(everything, null, 4950).findings).toEqual([]);
  });

  it('fires no rate rule when the current rate is unknown', () => {
    expect(day(everything, 4950, null).findings).toEqual([]);
  });
});

describe('limit_exh_rt_move', () => {
  const halfPoint = settings({ moveBp: 50 });

  it('fires upward when the rate rises by at least the setting', () => {
    expect(day(halfPoint, 4800, 4862).findings).toEqual([
      { rule: 'limit_exh_rt_move', direction: 'up', severity: 'warning', threshold: 50, value: 4862, previousValue: 4800 },
    ]);
  });

  it('fires downward when the rate falls by at least the setting', () => {
    expect(day(halfPoint, 4862, 4800).findings).toMatchObject([{ rule: 'limit_exh_rt_move', direction: 'down' }]);
  });

  it('fires when the move equals the setting exactly', () => {
    expect(day(halfPoint, 4800, 4850).findings.map((f) => f.rule)).toEqual(['limit_exh_rt_move']);
  });

  it('does not fire for a move just under the setting', () => {
    expect(day(halfPoint, 4800, 4849).findings).toEqual([]);
  });

  it('does not fire when the rule is off', () => {
    expect(day(settings({ moveBp: null }), 4000, 5000).findings).toEqual([]);
  });
});

describe('chg_qty_abs', () => {
  const million = settings({ chgQtyAbs: 1_000_000 });
  const evaluate = (previousChgQty: number | null, chgQty: number | null) =>
    evaluateDay({
      settings: million,
      previous: snapshot({ dt: '20241104', chgQty: previousChgQty }),
      current: snapshot({ dt: '20241105', chgQty }),
      state: EMPTY_RULE_STATE,
    }).findings;

  it('fires upward on net buying of at least N shares', () => {
    expect(evaluate(-3441, 1_234_567)).toEqual([
      { rule: 'chg_qty_abs', direction: 'up', severity: 'warning', threshold: 1_000_000, value: 1_234_567, previousValue: -3441 },
    ]);
  });

  it('fires downward on net selling of at least N shares', () => {
    expect(evaluate(0, -1_500_000)).toMatchObject([{ direction: 'down', value: -1_500_000 }]);
  });

  it('fires when |chg_qty| equals N exactly', () => {
    expect(evaluate(0, -1_000_000).map((f) => f.rule)).toEqual(['chg_qty_abs']);
  });

  it('does not fire just under N', () => {
    expect(evaluate(0, 999_999)).toEqual([]);
  });

  it('does not fire when chg_qty is unknown', () => {
    expect(evaluate(0, null)).toEqual([]);
  });

  it('reports an unknown previous chg_qty as 0', () => {
    expect(evaluate(null, 2_000_000)).toMatchObject([{ previousValue: 0 }]);
  });
});

describe('frgnr_limit_change', () => {
  const watching = settings({ frgnrLimitChange: true });
  const evaluate = (s: WatchSettings, oldLimit: number | null, newLimit: number | null) =>
    evaluateDay({
      settings: s,
      previous: snapshot({ dt: '20241104', frgnrLimit: oldLimit }),
      current: snapshot({ dt: '20241105', frgnrLimit: newLimit }),
      state: EMPTY_RULE_STATE,
    }).findings;

  it('fires upward when the limit was raised', () => {
    expect(evaluate(watching, 25_526_706, 26_000_000)).toEqual([
      { rule: 'frgnr_limit_change', direction: 'up', severity: 'info', threshold: null, value: 26_000_000, previousValue: 25_526_706 },
    ]);
  });

  it('fires downward when the limit was lowered', () => {
    expect(evaluate(watching, 26_000_000, 25_526_706)).toMatchObject([{ direction: 'down' }]);
  });

  it('does not fire when the limit is unchanged', () => {
    expect(evaluate(watching, 25_526_706, 25_526_706)).toEqual([]);
  });

  it('does not fire when either limit is unknown', () => {
    expect([...evaluate(watching, null, 26_000_000), ...evaluate(watching, 26_000_000, null)]).toEqual([]);
  });

  it('does not fire when the rule is off', () => {
    expect(evaluate(settings({ frgnrLimitChange: false }), 25_526_706, 26_000_000)).toEqual([]);
  });
});

describe('evaluateDay', () => {
  it('returns findings in the order of RULE_IDS', () => {
    const s = settings({ aboveBp: [4900], moveBp: 10, chgQtyAbs: 100, frgnrLimitChange: true });
    const { findings } = evaluateDay({
      settings: s,
      previous: snapshot({ dt: '20241104', limitExhRtBp: 4800, frgnrLimit: 100 }),
      current: snapshot({ dt: '20241105', limitExhRtBp: 4950, chgQty: -500, frgnrLimit: 200 }),
      state: EMPTY_RULE_STATE,
    });
    expect(findings.map((f) => f.rule)).toEqual(['limit_exh_rt_cross_up', 'limit_exh_rt_move', 'chg_qty_abs', 'frgnr_limit_change']);
  });

  it('does not modify the state it was given', () => {
    const state = { disarmedUpBp: [4900], disarmedDownBp: [] };
    day(settings({ aboveBp: [4800, 4900] }), 4700, 4800, state);
    expect(state).toEqual({ disarmedUpBp: [4900], disarmedDownBp: [] });
  });
});

describe('evaluateHistory', () => {
  it('evaluates each day against the one before and threads the state', () => {
    const results = evaluateHistory(settings({ aboveBp: [4900] }), days([4890, 4910, 4920]), EMPTY_RULE_STATE);
    expect(results.map(({ dt, previousDt, findings, state }) => ({ dt, previousDt, n: findings.length, state }))).toEqual([
      { dt: '20241102', previousDt: '20241101', n: 1, state: { disarmedUpBp: [4900], disarmedDownBp: [] } },
      { dt: '20241103', previousDt: '20241102', n: 0, state: { disarmedUpBp: [4900], disarmedDownBp: [] } },
    ]);
  });

  it('starts from the initial state', () => {
    const initial = { disarmedUpBp: [4900], disarmedDownBp: [] };
    const results = evaluateHistory(settings({ aboveBp: [4900], hysteresisBp: 30 }), days([4890, 4910]), initial);
    expect(results[0]?.findings).toEqual([]);
  });

  it('returns nothing for fewer than two days', () => {
    expect(evaluateHistory(settings({ aboveBp: [4900] }), days([4910]), EMPTY_RULE_STATE)).toEqual([]);
  });

  it('fires cross_up exactly as often as the random walk crosses T upward when hysteresis is 0', () => {
    const T = 4900;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 4850, max: 4950 }), { minLength: 2, maxLength: 60 }), (rates) => {
        const results = evaluateHistory(settings({ aboveBp: [T] }), days(rates), EMPTY_RULE_STATE);
        const expected = rates.filter((r, i) => i > 0 && (rates[i - 1] as number) < T && T <= r).length;
        expect(findingsOf('limit_exh_rt_cross_up', results).length).toBe(expected);
      }),
    );
  });

  it('never fires cross_up twice for T without a close at or below T − hysteresis in between', () => {
    const T = 4900;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.integer({ min: 4800, max: 5000 }), { minLength: 2, maxLength: 60 }),
        (h, rates) => {
          const results = evaluateHistory(settings({ aboveBp: [T], hysteresisBp: h }), days(rates), EMPTY_RULE_STATE);
          const firedAt = results.flatMap((r, i) => (r.findings.length > 0 ? [i + 1] : []));
          for (let k = 1; k < firedAt.length; k++) {
            const between = rates.slice((firedAt[k - 1] as number) + 1, firedAt[k]);
            expect(between.some((r) => r <= T - h)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('toAlert', () => {
  const finding: Finding = {
    rule: 'limit_exh_rt_cross_up',
    direction: 'up',
    severity: 'critical',
    threshold: 4900,
    thresholdsCrossed: [4900],
    value: 4912,
    previousValue: 4895,
  };

  it('binds a finding to its code and day with a stable alert id', () => {
    expect(toAlert(finding, { stkCd: '005930', name: '삼성전자', dt: '20241105', previousDt: '20241104', revision: false })).toEqual({
      ...finding,
      alertId: '005930-20241105-limit_exh_rt_cross_up',
      stkCd: '005930',
      name: '삼성전자',
      dt: '20241105',
      previousDt: '20241104',
      revision: false,
    });
  });

  it('leaves name out when the code has none', () => {
    const alert = toAlert(finding, { stkCd: '005930', dt: '20241105', previousDt: '20241104', revision: true });
    expect('name' in alert).toBe(false);
  });
});
