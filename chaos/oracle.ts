// What subscribers should have received, computed apart from the runs under
// test, and how what they did receive measures against it. Pure.
//
// Expected alerts: the rule engine (`evaluateHistory`, the engine `kfa
// replay` runs) over each code's FINAL history — the rows Kiwoom settled on
// after every correction — from the day before the code's first scan, with
// the code's settings. A clean control run of the scan itself would share
// the scan's bugs (a correction not carried forward would be missed by the
// control too, and "lost" would read 0); the final history is what a user
// who trusts the alerts believes happened.
//
// With corrections, "one crossing, one alert" (issue 10) means an expected
// crossing need not arrive under its own alert_id:
// - A crossing of threshold T on day E is COVERED by a standing (not
//   retracted) delivered crossing alert for the same code, direction and T
//   on day D, when D = E, or when D is later and T stays disarmed (no re-arm
//   by hysteresis) in the final history from E through D: the alert came
//   late, but it announced this crossing (D1 corrected to 49.10 after D2
//   alerted at 49%: nothing more is due).
// - An alert on a day BEFORE the crossing it could stand for never covers
//   it: it announced something that had not happened yet (D2 49.05 corrected
//   to 48.70 re-arms 49%, so D3's 49.30 must alert, and D2's alert needs a
//   correction notice).
// - Each threshold counts: an alert naming 99% does not cover a day that
//   crossed 99% and 99.5% (the 99.5% crossing must be announced).
// - A limit change is one event, whichever day announced it: covered by a
//   standing alert naming the same new limit.
// - Other rules (move, chg_qty, reminders, forecast) are covered by an alert
//   for the same day, rule and direction, under the expected alert_id or the
//   variant a correction sent once the day's first alert went the other way
//   (`-r1`); two such alerts standing are one finding announced twice.
// A correction notice (rule `correction`, naming the original alert_id)
// retracts the deliveries of that alert_id published before it: all of it,
// or (`withdrawn: partial`) only the thresholds it names.
//
// Figures: LOST = expected alerts some threshold of which no standing alert
// covers; DUPLICATES = deliveries repeating an earlier one exactly (same
// alert_id, same message); UNCORRECTED = standing alerts that cover nothing
// the final history holds and that no notice retracts; ANNOUNCED TWICE = an
// expected crossing covered by standing alerts with different alert_ids.
import { evaluateHistory, toAlert } from '../functions/domain/rules.ts';
import type { AlertDirection, RuleId, RuleState, Snapshot, TradingDay, WatchSettings } from '../functions/domain/types.ts';

export const CORRECTION_RULE = 'correction';
const CROSSING_RULES: ReadonlySet<string> = new Set<RuleId>(['limit_exh_rt_cross_up', 'limit_exh_rt_cross_down']);

export interface CodeHistory {
  settings: WatchSettings;
  /** The final history, oldest first, from the first scan's baseline day. */
  days: readonly Snapshot[];
}

export interface ExpectedAlert {
  alertId: string;
  stkCd: string;
  dt: TradingDay;
  rule: string;
  direction: AlertDirection;
  /** Crossings: every threshold crossed that day (basis points). */
  thresholdsBp: number[];
  /** The finding's value in domain units (a limit change: the new limit). */
  value: number;
}

/** One message a subscriber received, in publish order. */
export interface Delivery {
  /** Publish order (0-based). */
  order: number;
  alertId: string;
  stkCd: string;
  dt: TradingDay;
  rule: string;
  direction: string;
  /** Crossings: the thresholds it names (basis points); empty otherwise. */
  thresholdsBp: number[];
  /** Correction notices: the alert_id they retract. */
  corrects: string | null;
  /** Correction notices: the thresholds withdrawn (basis points), or all of the alert. */
  withdraws?: number[] | 'all';
  /** The payload's value (a limit change: the new limit); null when it has none. */
  value?: number | null;
  /** The message exactly as received: equal content means an exact repeat. */
  content: string;
}

export interface Judgement {
  expected: ExpectedAlert[];
  /** Distinct alert_ids delivered (correction notices excluded). */
  deliveredAlerts: number;
  /** Expected alerts with at least one threshold no standing alert covers. */
  lost: { alert: ExpectedAlert; uncoveredBp: number[] }[];
  /** Exact repeats: alert_id → extra copies. */
  duplicates: { alertId: string; copies: number }[];
  correctionNotices: number;
  /** Delivered, not retracted, and backed by nothing in the final history. */
  uncorrected: Delivery[];
  /** Expected crossings announced by more than one alert_id. */
  announcedTwice: { alert: ExpectedAlert; alertIds: string[] }[];
}

interface Evaluated {
  expected: ExpectedAlert[];
  /** State after each day of the final history, per code. */
  stateAfter: Map<string, Map<TradingDay, RuleState>>;
  /** Each code's days in order. */
  daysOf: Map<string, TradingDay[]>;
}

/** The alerts the final histories call for, and the rule state after each day. */
export function expectedAlerts(histories: readonly CodeHistory[]): Evaluated {
  const expected: ExpectedAlert[] = [];
  const stateAfter = new Map<string, Map<TradingDay, RuleState>>();
  const daysOf = new Map<string, TradingDay[]>();
  for (const { settings, days } of histories) {
    const states = new Map<TradingDay, RuleState>();
    for (const day of evaluateHistory(settings, days, { disarmedUpBp: [], disarmedDownBp: [] })) {
      states.set(day.dt, day.state);
      for (const finding of day.findings) {
        const alert = toAlert(finding, { stkCd: settings.stkCd, dt: day.dt, previousDt: day.previousDt, revision: false });
        expected.push({
          alertId: alert.alertId,
          stkCd: alert.stkCd,
          dt: alert.dt,
          rule: alert.rule,
          direction: alert.direction,
          thresholdsBp: alert.thresholdsCrossed ?? [],
          value: alert.value,
        });
      }
    }
    stateAfter.set(settings.stkCd, states);
    daysOf.set(settings.stkCd, days.map((d) => d.dt));
  }
  return { expected, stateAfter, daysOf };
}

export function judge(histories: readonly CodeHistory[], deliveries: readonly Delivery[]): Judgement {
  const { expected, stateAfter, daysOf } = expectedAlerts(histories);
  const ordered = [...deliveries].sort((a, b) => a.order - b.order);
  const notices = ordered.filter((d) => d.rule === CORRECTION_RULE);
  const alerts = ordered.filter((d) => d.rule !== CORRECTION_RULE);
  // What a delivery still says once the notices after it are read: nothing, or fewer thresholds.
  const remaining = (d: Delivery): Delivery | null => {
    let thresholdsBp = d.thresholdsBp;
    for (const n of notices) {
      if (n.corrects !== d.alertId || n.order < d.order) continue;
      const withdraws = n.withdraws ?? 'all';
      if (withdraws === 'all') return null;
      thresholdsBp = thresholdsBp.filter((t) => !withdraws.includes(t));
      if (thresholdsBp.length === 0) return null;
    }
    return thresholdsBp === d.thresholdsBp ? d : { ...d, thresholdsBp };
  };
  const standing = distinctByContent(alerts).flatMap((d) => remaining(d) ?? []);

  /** T stays disarmed in `direction` from `from` through `to` in the code's final history. */
  const disarmedThrough = (stkCd: string, direction: string, t: number, from: TradingDay, to: TradingDay): boolean => {
    const states = stateAfter.get(stkCd);
    const days = (daysOf.get(stkCd) ?? []).filter((dt) => dt >= from && dt <= to);
    if (!states || days.at(-1) !== to) return false;
    return days.every((dt) => {
      const state = states.get(dt);
      return (direction === 'up' ? state?.disarmedUpBp : state?.disarmedDownBp)?.includes(t) ?? false;
    });
  };

  const covers = (d: Delivery, e: ExpectedAlert, t: number | null): boolean => {
    if (d.stkCd !== e.stkCd || d.rule !== e.rule || d.direction !== e.direction) return false;
    if (e.rule === 'frgnr_limit_change') return d.value === e.value;
    if (t === null) return d.dt === e.dt;
    if (!d.thresholdsBp.includes(t)) return false;
    return d.dt === e.dt || (d.dt > e.dt && disarmedThrough(e.stkCd, e.direction, t, e.dt, d.dt));
  };

  const lost: Judgement['lost'] = [];
  const announcedTwice: Judgement['announcedTwice'] = [];
  const supporting = new Set<Delivery>();
  for (const e of expected) {
    const thresholds: (number | null)[] = CROSSING_RULES.has(e.rule) ? e.thresholdsBp : [null];
    const uncoveredBp: number[] = [];
    const ids = new Set<string>();
    for (const t of thresholds) {
      const by = standing.filter((d) => covers(d, e, t));
      for (const d of by) supporting.add(d);
      if (by.length === 0) uncoveredBp.push(t ?? 0);
      const distinct = new Set(by.map((d) => d.alertId));
      if (distinct.size > 1) for (const id of distinct) ids.add(id);
    }
    if (uncoveredBp.length > 0) lost.push({ alert: e, uncoveredBp: thresholds[0] === null ? [] : uncoveredBp });
    if (ids.size > 1) announcedTwice.push({ alert: e, alertIds: [...ids].sort() });
  }

  return {
    expected,
    deliveredAlerts: new Set(alerts.map((d) => d.alertId)).size,
    lost,
    duplicates: exactRepeats(ordered),
    correctionNotices: distinctByContent(notices).length,
    uncorrected: standing.filter((d) => !supporting.has(d)),
    announcedTwice,
  };
}

/** The first delivery of each (alert_id, content). */
function distinctByContent(deliveries: readonly Delivery[]): Delivery[] {
  const seen = new Set<string>();
  return deliveries.filter((d) => {
    const key = `${d.alertId}\u0000${d.content}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function exactRepeats(deliveries: readonly Delivery[]): { alertId: string; copies: number }[] {
  const counts = new Map<string, { alertId: string; copies: number }>();
  for (const d of deliveries) {
    const key = `${d.alertId}\u0000${d.content}`;
    const entry = counts.get(key) ?? { alertId: d.alertId, copies: -1 };
    entry.copies += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].filter((c) => c.copies > 0);
}
