// Corrections carried forward, on the scenarios of issue 10: what the
// corrected history announces against what the ledger already announced.
import { describe, expect, it } from 'vitest';
import { carryCorrectionsForward, type Announcement, type SpanDay } from '../../functions/domain/corrections.ts';
import { evaluateHistory, toAlert } from '../../functions/domain/rules.ts';
import { EMPTY_RULE_STATE, type Alert, type RuleState, type Snapshot, type WatchSettings } from '../../functions/domain/types.ts';
import { snapshot as fixtureSnapshot, watchSettings } from '../support/domain-fixtures.ts';

const STK = '017670';
const dtOf = (i: number) => new Date(Date.UTC(2025, 2, 3) + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
const day = (i: number, rateBp: number): Snapshot => fixtureSnapshot({ stkCd: STK, dt: dtOf(i), limitExhRtBp: rateBp });
const settings = (overrides: Partial<WatchSettings>) => watchSettings({ stkCd: STK, ...overrides });

/** Stored days i = first … as the scan stored them: evaluated in order from `initial`, with their states. */
function storedHistory(s: WatchSettings, rates: number[]): { snapshot: Snapshot; ruleState: RuleState }[] {
  const days = rates.map((bp, i) => day(i, bp));
  const evaluated = evaluateHistory(s, days, EMPTY_RULE_STATE);
  return days.map((snapshot, i) => ({ snapshot, ruleState: i === 0 ? EMPTY_RULE_STATE : (evaluated[i - 1]?.state ?? EMPTY_RULE_STATE) }));
}

/** What the scan sent for days [from …] of a history evaluated in order. */
function sentFor(s: WatchSettings, rates: number[], from: number): Announcement[] {
  const days = rates.map((bp, i) => day(i, bp));
  return evaluateHistory(s, days, EMPTY_RULE_STATE)
    .filter((d) => d.dt >= dtOf(from))
    .flatMap((d) => d.findings.map((f) => announcement(toAlert(f, { stkCd: STK, dt: d.dt, previousDt: d.previousDt, revision: false }))));
}

function announcement(alert: Alert, status: Announcement['status'] = 'sent'): Announcement {
  return { alert, status, withdrawnBp: [], withdrawn: false };
}

/**
 * The stored history `before` (day 0 on), day `corrected` now served as
 * `correctedBp`; every stored day from it on is re-evaluated, then `newRates`
 * follow as this run's new days.
 */
function correct(s: WatchSettings, before: number[], corrected: number, correctedBp: number, newRates: number[] = []) {
  const stored = storedHistory(s, before);
  const anchor = stored[corrected - 1] ?? null;
  const days: SpanDay[] = [
    ...stored.slice(corrected).map((d, i) => ({
      snapshot: i === 0 ? day(corrected, correctedBp) : d.snapshot,
      storedState: d.ruleState,
      evaluable: true,
      stored: true,
    })),
    ...newRates.map((bp, i) => ({ snapshot: day(before.length + i, bp), storedState: EMPTY_RULE_STATE, evaluable: true, stored: false })),
  ];
  return carryCorrectionsForward({
    settings: s,
    anchor,
    days,
    lookback: stored.slice(0, Math.max(0, corrected - 1)).map((d) => d.snapshot),
    earlier: stored.slice(0, corrected),
    announced: sentFor(s, before, corrected),
    uncorrected: stored.at(-1) ?? null,
  });
}

const sent = (alerts: Alert[]) => alerts.map((a) => [a.dt, a.rule, a.thresholdsCrossed ?? a.threshold, a.revision]);

describe('one crossing, one alert', () => {
  const at49 = settings({ aboveBp: [4900] });

  it('sends nothing more when a stale copy of D0 served as D1 is corrected and the crossing moves from D2 to D1', () => {
    // D0 48.80, D1 first served as a copy of D0, D2 49.20 alerted; D1 corrected to 49.10.
    const result = correct(at49, [4880, 4880, 4920], 1, 4910);
    expect([result.alerts, result.withdrawn]).toEqual([[], []]);
  });

  it('recomputes the rule state of every later day from the corrected one', () => {
    const result = correct(at49, [4880, 4880, 4920], 1, 4910);
    expect(result.states.map((s) => [s.dt, s.state.disarmedUpBp])).toEqual([
      [dtOf(1), [4900]],
      [dtOf(2), [4900]],
    ]);
  });
});

describe('a crossing the corrected history reveals', () => {
  const hysteresis = settings({ aboveBp: [4900], hysteresisBp: 20 });

  it('alerts on D3 when D2, first 49.05, is corrected to 48.70 and re-arms 49% (D3 already stored)', () => {
    // D0 48.90, D1 49.10 alerts, D2 49.05 (still disarmed), D3 49.30 (nothing then).
    const result = correct(hysteresis, [4890, 4910, 4905, 4930], 2, 4870);
    expect(sent(result.alerts)).toEqual([[dtOf(3), 'limit_exh_rt_cross_up', [4900], true]]);
  });

  it('alerts on D3 arriving with the correction, marked as following it', () => {
    const result = correct(hysteresis, [4890, 4910, 4905], 2, 4870, [4930]);
    expect(sent(result.alerts)).toEqual([[dtOf(3), 'limit_exh_rt_cross_up', [4900], true]]);
  });

  it('does not mark a new day that would have alerted anyway', () => {
    const result = correct(settings({ aboveBp: [4900, 5000] }), [4890, 4880], 1, 4885, [5010]);
    expect(sent(result.alerts)).toEqual([[dtOf(2), 'limit_exh_rt_cross_up', [4900, 5000], false]]);
  });

  it('announces the further threshold the ledger key would hide: D alerted at 99%, corrected to 99.60 with 99 and 99.5', () => {
    const two = settings({ aboveBp: [9900, 9950] });
    const result = correct(two, [9890, 9910], 1, 9960);
    expect(sent(result.alerts)).toEqual([[dtOf(1), 'limit_exh_rt_cross_up', [9950], true]]);
    expect(result.alerts[0]?.threshold).toBe(9950);
    expect(result.withdrawn).toEqual([]);
  });
});

describe('an alert the corrected history no longer supports', () => {
  const at49 = settings({ aboveBp: [4900] });

  it('is withdrawn when D2 49.05 is corrected to 48.95 and nothing after crosses', () => {
    const result = correct(at49, [4890, 4890, 4905, 4897], 2, 4895);
    expect(result.withdrawn.map((w) => [w.announcement.alert.alertId, w.thresholdsBp, w.all])).toEqual([
      [`${STK}-${dtOf(2)}-limit_exh_rt_cross_up`, [4900], true],
    ]);
    expect(result.alerts).toEqual([]);
  });

  it('is withdrawn when it came a day before the real crossing, and the crossing is announced on its day', () => {
    // D2's alert told of 49.05 on a day that closed at 48.95: nobody may act on it.
    const result = correct(at49, [4890, 4890, 4905, 4910], 2, 4895);
    expect(result.withdrawn.map((w) => [w.announcement.alert.dt, w.thresholdsBp, w.all])).toEqual([[dtOf(2), [4900], true]]);
    expect(sent(result.alerts)).toEqual([[dtOf(3), 'limit_exh_rt_cross_up', [4900], true]]);
  });

  it('is not withdrawn when the crossing moved to an earlier day and the rate stayed past it', () => {
    const result = correct(at49, [4890, 4890, 4890, 4910], 2, 4905);
    expect([result.withdrawn, result.alerts]).toEqual([[], []]);
  });

  it('is withdrawn when the rate fell back between the real crossing and the alert', () => {
    // Corrected: D1 crosses (49.05), D2 falls back to 48.80, D3 49.10 is the crossing the D3 alert told of.
    // Served: D1 48.90 was wrong; the alert on D3 still stands for D3's own crossing, D1's is new.
    const result = correct(at49, [4890, 4890, 4880, 4910], 1, 4905);
    expect(result.withdrawn).toEqual([]);
    expect(sent(result.alerts)).toEqual([[dtOf(1), 'limit_exh_rt_cross_up', [4900], true]]);
  });

  it('withdraws only the threshold that did not happen when the rest still stands', () => {
    const two = settings({ aboveBp: [9900, 9950] });
    const result = correct(two, [9890, 9960], 1, 9920);
    expect(result.withdrawn.map((w) => [w.thresholdsBp, w.all])).toEqual([[[9950], false]]);
    expect(result.alerts).toEqual([]);
  });

  it('withdraws a not yet published alert whole and announces what of it still stands', () => {
    const two = settings({ aboveBp: [9900, 9950] });
    const stored = storedHistory(two, [9890, 9960]);
    const pending = sentFor(two, [9890, 9960], 1).map((a) => ({ ...a, status: 'pending' as const }));
    const result = carryCorrectionsForward({
      settings: two,
      anchor: stored[0] ?? null,
      days: [{ snapshot: day(1, 9920), storedState: stored[1]?.ruleState ?? EMPTY_RULE_STATE, evaluable: true, stored: true }],
      lookback: [],
      announced: pending,
      uncorrected: stored[1] ?? null,
    });
    expect(result.withdrawn.map((w) => [w.thresholdsBp, w.all])).toEqual([[[9900, 9950], true]]);
    expect(sent(result.alerts)).toEqual([[dtOf(1), 'limit_exh_rt_cross_up', [9900], true]]);
  });

  it('leaves an already withdrawn alert alone', () => {
    const stored = storedHistory(at49, [4890, 4905]);
    const gone = sentFor(at49, [4890, 4905], 1).map((a) => ({ ...a, withdrawn: true }));
    const result = carryCorrectionsForward({
      settings: at49,
      anchor: stored[0] ?? null,
      days: [{ snapshot: day(1, 4895), storedState: EMPTY_RULE_STATE, evaluable: true, stored: true }],
      lookback: [],
      announced: gone,
      uncorrected: stored[1] ?? null,
    });
    expect([result.withdrawn, result.alerts]).toEqual([[], []]);
  });
});

describe('a correction after an earlier one moved a crossing', () => {
  // `npm run chaos -- --seed 4`: D1 first came as a copy of D0, so D2 announced the fall below 48.88%
  // and the new limit; a correction moved both to D1 and nothing more was sent. Now D2 itself is
  // corrected (48.63 → 48.53): the span starts at D2, but D2's alerts still stand for D1's events.
  const below = settings({ belowBp: [4888], frgnrLimitChange: true });
  const limitFrom = (i: number) => (i >= 1 ? 101_000_000 : 100_000_000);
  const at = (i: number, bp: number) => ({ ...day(i, bp), frgnrLimit: limitFrom(i) });

  function secondCorrection(ledger: Announcement[], d2Bp = 4853) {
    const days = [at(0, 4926), at(1, 4863), at(2, 4863)];
    const states = evaluateHistory(below, days, EMPTY_RULE_STATE);
    const stored = days.map((snapshot, i) => ({ snapshot, ruleState: i === 0 ? EMPTY_RULE_STATE : (states[i - 1]?.state ?? EMPTY_RULE_STATE) }));
    return carryCorrectionsForward({
      settings: below,
      anchor: stored[1] ?? null,
      days: [{ snapshot: at(2, d2Bp), storedState: stored[2]?.ruleState ?? EMPTY_RULE_STATE, evaluable: true, stored: true }],
      lookback: days.slice(0, 1),
      earlier: stored.slice(0, 2),
      announced: ledger,
      uncorrected: stored[2] ?? null,
    });
  }

  /** What D2 announced when it first came after the stale copy of D0. */
  function movedToD2(): Announcement[] {
    const served = [at(0, 4926), { ...at(1, 4926), frgnrLimit: 100_000_000 }, at(2, 4863)];
    return evaluateHistory(below, served, EMPTY_RULE_STATE)
      .filter((d) => d.dt === dtOf(2))
      .flatMap((d) => d.findings.map((f) => announcement(toAlert(f, { stkCd: STK, dt: d.dt, previousDt: d.previousDt, revision: false }))));
  }

  it('leaves standing the alerts that announced, a day late, the crossing and the limit change before the span', () => {
    const ledger = movedToD2();
    expect(ledger.map((a) => a.alert.rule).sort()).toEqual(['frgnr_limit_change', 'limit_exh_rt_cross_down']);
    const result = secondCorrection(ledger);
    expect([result.withdrawn, result.alerts]).toEqual([[], []]);
  });

  it('withdraws a second announcement of a crossing D1 announced itself, and never withdraws or resends D1\'s own', () => {
    const own = secondCorrectionLedgerD1();
    const result = secondCorrection([...own, ...movedToD2().filter((a) => a.alert.rule === 'limit_exh_rt_cross_down')]);
    expect(result.withdrawn.map((w) => [w.announcement.alert.dt, w.announcement.alert.rule])).toEqual([[dtOf(2), 'limit_exh_rt_cross_down']]);
    expect([result.alerts, result.stillDue]).toEqual([[], []]);
  });

  it('announces the crossing afresh on its day when the alert that stood for it is withdrawn (D2 corrected to 49.50)', () => {
    // D2's alert told of 48.63 on a day that really closed at 49.50 (re-armed); D1's fall below 48.88 was real
    // and nothing else announced it.
    const ledger = movedToD2().filter((a) => a.alert.rule === 'limit_exh_rt_cross_down');
    const result = secondCorrection(ledger, 4950);
    expect(result.withdrawn.map((w) => [w.announcement.alert.dt, w.announcement.alert.rule, w.all])).toEqual([
      [dtOf(2), 'limit_exh_rt_cross_down', true],
    ]);
    expect(sent(result.alerts)).toEqual([[dtOf(1), 'limit_exh_rt_cross_down', [4888], true]]);
    expect(result.alerts[0]?.previousDt).toBe(dtOf(0));
  });

  it('announces nothing afresh for a crossing before the span that its own alert announced', () => {
    const result = secondCorrection([...secondCorrectionLedgerD1(), ...movedToD2().filter((a) => a.alert.rule === 'limit_exh_rt_cross_down')], 4950);
    expect(result.withdrawn.map((w) => w.announcement.alert.dt)).toEqual([dtOf(2)]);
    expect(result.alerts).toEqual([]);
  });

  /** D1's own announcements, as an in-order evaluation of the true days sends them (one of them not yet published). */
  function secondCorrectionLedgerD1(): Announcement[] {
    const days = [at(0, 4926), at(1, 4863)];
    return evaluateHistory(below, days, EMPTY_RULE_STATE).flatMap((d) =>
      d.findings.map((f, i) => announcement(toAlert(f, { stkCd: STK, dt: d.dt, previousDt: d.previousDt, revision: false }), i === 0 ? 'pending' : 'sent')),
    );
  }
});

describe('rule state carried forward', () => {
  it('recounts confirmation days: a confirmed crossing that moves a day later is the same crossing', () => {
    const confirm2 = settings({ aboveBp: [4900], confirmDays: 2 });
    // D1 49.05 crosses, D2 49.10 confirms (sent). D1 corrected to 48.95: D2 crosses, D3 confirms.
    const result = correct(confirm2, [4890, 4905, 4910, 4920], 1, 4895);
    expect([result.alerts, result.withdrawn]).toEqual([[], []]);
    expect(result.states.find((s) => s.dt === dtOf(2))?.state.pendingCrossings).toEqual([
      { direction: 'up', thresholdBp: 4900, sinceDt: dtOf(2), days: 1 },
    ]);
  });

  it('continues the new days from the recomputed state: the new day carries the real crossing', () => {
    const at49 = settings({ aboveBp: [4900] });
    // D2 alerted (stored at 49.05); corrected to 48.95; the new D3 at 49.10 is the real crossing.
    const result = correct(at49, [4890, 4890, 4905], 2, 4895, [4910]);
    expect([sent(result.alerts), result.withdrawn.map((w) => w.announcement.alert.dt), result.finalState.disarmedUpBp]).toEqual([
      [[dtOf(3), 'limit_exh_rt_cross_up', [4900], true]],
      [dtOf(2)],
      [4900],
    ]);
  });

  it('keeps the stored state of a day the scan never evaluated (replay history) and alerts nothing for it', () => {
    const at49 = settings({ aboveBp: [4900] });
    const result = carryCorrectionsForward({
      settings: at49,
      anchor: { snapshot: day(0, 4880), ruleState: EMPTY_RULE_STATE },
      days: [
        { snapshot: day(1, 4905), storedState: EMPTY_RULE_STATE, evaluable: false, stored: true },
        { snapshot: day(2, 4910), storedState: EMPTY_RULE_STATE, evaluable: true, stored: true },
      ],
      lookback: [],
      announced: [],
      uncorrected: null,
    });
    expect([result.alerts, result.states.map((s) => s.state.disarmedUpBp)]).toEqual([[], [[], []]]);
  });
});
