// Corrections carried forward. When Kiwoom changes a stored day, that day
// and every later one are re-evaluated in order from the corrected history
// (rule state included: hysteresis arming, confirmation counts, reminders),
// and the new days of the run continue from there. What the corrected
// history says is then compared with what the ledger already announced
// from the first corrected day on, so that one crossing makes one alert:
//
// - a crossing of the same threshold in the same direction that was already
//   announced is not announced again because the correction moved it to
//   another day within the same spell past the threshold (an alert sent on
//   a day that really closed on the other side told of a rate that was not
//   there: it is withdrawn, and the real crossing is announced);
// - a crossing (or any other finding) the corrected history reveals and
//   nothing announced is a new alert, marked as following a correction;
// - an alert the corrected history no longer supports is withdrawn: people
//   who saw it get one correction notice; one not yet published is never
//   published.
//
// Pure: the scan hands in the days, the ledger's announcements, and stores
// and publishes what comes out.
import { evaluateDay, toAlert } from './rules.ts';
import type { Alert, Finding, RuleState, Snapshot, TradingDay, WatchSettings } from './types.ts';

/** A day of the re-evaluated span, oldest first. */
export interface SpanDay {
  /** The day as Kiwoom serves it now (corrected where it was corrected). */
  snapshot: Snapshot;
  /** The rule state stored after this day; kept as is for a day the scan never evaluated. */
  storedState: RuleState;
  /** The scan evaluated this day (not replay or backfill history, not a first scan's baseline). */
  evaluable: boolean;
  /** False for a day this run sees for the first time. */
  stored: boolean;
}

/** Where the ledger stands on one alert. */
export type AnnouncementStatus = 'sent' | 'pending' | 'failed' | 'suppressed';

/** An alert the ledger holds for a day of the span. */
export interface Announcement {
  /** The alert as recorded (its payload read back), in domain units. */
  alert: Alert;
  status: AnnouncementStatus;
  /** Crossing thresholds a correction notice has already withdrawn from it. */
  withdrawnBp: readonly number[];
  /** Already withdrawn as a whole: it announces nothing any more. */
  withdrawn: boolean;
}

export interface CarryForwardInput {
  settings: WatchSettings;
  /** The stored day before the first corrected one, as stored; null when none is stored. */
  anchor: { snapshot: Snapshot; ruleState: RuleState } | null;
  /** The stored days from the first corrected one on, then this run's new days. */
  days: readonly SpanDay[];
  /** Stored days before the span, oldest first, for the rules that look back. */
  lookback: readonly Snapshot[];
  /**
   * Stored days before the span with their rule states, oldest first, the
   * anchor last: where the spells past a threshold and the foreign limit
   * that last into the span began (an earlier correction may have moved
   * their announcement into the span).
   */
  earlier?: readonly { snapshot: Snapshot; ruleState: RuleState }[];
  /** Everything the ledger holds for the days of the span, and for the days of `earlier`. */
  announced: readonly Announcement[];
  /** The newest stored day as it was before the correction: what this run's new days would otherwise follow. */
  uncorrected: { snapshot: Snapshot; ruleState: RuleState } | null;
}

/** An announcement the corrected history no longer (fully) supports. */
export interface Withdrawal {
  announcement: Announcement;
  /** Crossings: the thresholds withdrawn (all of them when `all`). */
  thresholdsBp: number[];
  /** Nothing of it stands (always so for rules without thresholds, and for one not yet published). */
  all: boolean;
}

export interface CarriedForward {
  /** Every day of the span with the rule state after it, oldest first. */
  states: { dt: TradingDay; state: RuleState }[];
  /** The rule state after the last day of the span. */
  finalState: RuleState;
  /** Alerts to record: what the corrected history reveals that nothing announced. */
  alerts: Alert[];
  withdrawn: Withdrawal[];
  /** Announced, still supported, not yet published: due as before. */
  stillDue: Announcement[];
}

const LOOKBACK_DAYS = 40;

interface DayResult {
  dt: TradingDay;
  previousDt: TradingDay | null;
  stored: boolean;
  findings: Finding[];
}

/** One thing said: a threshold crossed, a reminder, a day's move. Matched by `key`, in day order. */
interface Occurrence {
  key: string;
  dt: TradingDay;
  thresholdBp: number | null;
}

export function carryCorrectionsForward(input: CarryForwardInput): CarriedForward {
  const { settings } = input;
  const results: DayResult[] = [];
  const states: { dt: TradingDay; state: RuleState }[] = [];
  let previous = input.anchor?.snapshot ?? null;
  let state = input.anchor?.ruleState ?? { disarmedUpBp: [], disarmedDownBp: [] };
  const history = [...input.lookback];
  for (const day of input.days) {
    let findings: Finding[] = [];
    if (day.evaluable && previous !== null) {
      const evaluated = evaluateDay({ settings, previous, current: day.snapshot, state, recent: history.slice(-LOOKBACK_DAYS) });
      findings = evaluated.findings;
      state = evaluated.state;
    } else {
      state = day.storedState;
    }
    results.push({ dt: day.snapshot.dt, previousDt: previous?.dt ?? null, stored: day.stored, findings });
    states.push({ dt: day.snapshot.dt, state });
    history.push(day.snapshot);
    previous = day.snapshot;
  }

  // What the days before the span still say takes part in the matching, so
  // that an announcement a correction moved into the span keeps standing for
  // it; it is never withdrawn, resent or announced again from here.
  const spanStart = input.days[0]?.snapshot.dt ?? '';
  const before = standingBefore(input.earlier ?? []);
  const live = input.announced.filter((a) => !a.withdrawn);
  const fresh = results.flatMap((r) => r.findings.flatMap((f) => occurrencesOf({ ...f, dt: r.dt }, [])));
  const said = live.flatMap((a) => {
    const occurrences = occurrencesOf(a.alert, a.withdrawnBp);
    if (a.alert.dt >= spanStart) return [{ announcement: a, occurrences }];
    const earlierSaid = occurrences.filter((o) => before.some((b) => b.key === o.key));
    return earlierSaid.length > 0 ? [{ announcement: a, occurrences: earlierSaid, earlier: true }] : [];
  });
  const match = matchInDayOrder(
    said.flatMap((s) => s.occurrences),
    [...before, ...fresh],
    announcementCovers(states, input.days),
  );

  // One not yet published that the corrected history contradicts in part is
  // withdrawn whole (its message names what did not happen); what of it
  // still stands is announced afresh.
  const inSpan = said.filter((s) => !('earlier' in s));
  for (const s of inSpan) {
    const unsent = s.announcement.status === 'pending' || s.announcement.status === 'failed';
    if (!unsent || !s.occurrences.some((o) => match.unsupported.has(o))) continue;
    for (const o of s.occurrences) {
      const pairedWith = match.pairs.get(o);
      if (pairedWith) match.revealed.add(pairedWith);
      match.unsupported.add(o);
      match.pairs.delete(o);
    }
  }

  const withdrawn: Withdrawal[] = [];
  const stillDue: Announcement[] = [];
  for (const s of inSpan) {
    const gone = s.occurrences.filter((o) => match.unsupported.has(o));
    if (gone.length === 0) {
      if (s.announcement.status === 'pending' || s.announcement.status === 'failed') stillDue.push(s.announcement);
      continue;
    }
    withdrawn.push({
      announcement: s.announcement,
      thresholdsBp: gone.flatMap((o) => (o.thresholdBp === null ? [] : [o.thresholdBp])),
      all: gone.length === s.occurrences.length,
    });
  }

  const counterfactual = uncorrectedFindings(input);
  const alerts = results.flatMap((r) =>
    r.findings.flatMap((finding) => {
      const revealed = fresh.filter((o) => o.dt === r.dt && o.key.startsWith(`${finding.rule}:`) && match.revealed.has(o));
      if (revealed.length === 0 || r.previousDt === null) return [];
      const announced = narrowTo(finding, revealed);
      const revision = r.stored || !counterfactual.some((c) => c.dt === r.dt && sameFinding(c.finding, announced));
      return [toAlert(announced, { stkCd: settings.stkCd, name: settings.name, dt: r.dt, previousDt: r.previousDt, revision })];
    }),
  );
  // A crossing before the span that only a withdrawn alert stood for (an
  // earlier correction had moved its announcement into the span) is
  // announced afresh on its own day, ahead of the span's.
  const orphaned = before.filter(
    (b) => match.revealed.has(b) && said.some((x) => !('earlier' in x) && x.occurrences.some((o) => o.key === b.key && match.unsupported.has(o))),
  );
  alerts.unshift(...orphaned.flatMap((b) => announcedBefore(input, b)));
  return { states, finalState: state, alerts, withdrawn, stillDue };
}

/** The alert the stored day `at.dt` before the span makes for the crossing `at`, re-evaluated as stored. */
function announcedBefore(input: CarryForwardInput, at: Occurrence): Alert[] {
  const earlier = input.earlier ?? [];
  const i = earlier.findIndex((d) => d.snapshot.dt === at.dt);
  const previous = earlier[i - 1];
  const day = earlier[i];
  if (previous === undefined || day === undefined) return [];
  const { findings } = evaluateDay({
    settings: input.settings,
    previous: previous.snapshot,
    current: day.snapshot,
    state: previous.ruleState,
    recent: earlier.slice(Math.max(0, i - LOOKBACK_DAYS), i).map((d) => d.snapshot),
  });
  // Settings changed since, so the day no longer makes this crossing: nothing to announce in their name.
  const finding = findings.find((f) => occurrencesOf({ ...f, dt: at.dt }, []).some((o) => o.key === at.key));
  if (finding === undefined) return [];
  const binding = { stkCd: input.settings.stkCd, name: input.settings.name, dt: at.dt, previousDt: previous.snapshot.dt, revision: true };
  return [toAlert(narrowTo(finding, [at]), binding)];
}

/**
 * What the finding says, one occurrence per thing a person would count:
 * each crossed threshold (by direction), a reminder per threshold, the
 * forecast, a limit change by its new limit, a day's move or net trading.
 */
function occurrencesOf(
  alert: Pick<Alert, 'rule' | 'direction' | 'threshold' | 'thresholdsCrossed' | 'value' | 'dt'>,
  withdrawnBp: readonly number[],
): Occurrence[] {
  const { rule, direction, dt } = alert;
  switch (rule) {
    case 'limit_exh_rt_cross_up':
    case 'limit_exh_rt_cross_down': {
      const crossed = alert.thresholdsCrossed ?? (alert.threshold === null ? [] : [alert.threshold]);
      return crossed.filter((t) => !withdrawnBp.includes(t)).map((t) => ({ key: `${rule}:${t}`, dt, thresholdBp: t }));
    }
    case 'limit_exh_rt_still_beyond':
      return [{ key: `${rule}:${direction}:${alert.threshold}`, dt, thresholdBp: null }];
    case 'limit_exhaustion_forecast':
      return [{ key: `${rule}:`, dt, thresholdBp: null }];
    case 'frgnr_limit_change':
      return [{ key: `${rule}:${alert.value}`, dt, thresholdBp: null }];
    case 'limit_exh_rt_move':
    case 'chg_qty_abs':
      return [{ key: `${rule}:${direction}:${dt}`, dt, thresholdBp: null }];
  }
}

interface Match<O, N> {
  /** Said, and said again by the corrected history: old → new. */
  pairs: Map<O, N>;
  unsupported: Set<O>;
  revealed: Set<N>;
}

/** Whether what was said on `said.dt` still speaks for the occurrence `now` of the corrected history. */
type Covers = (said: Occurrence, now: Occurrence) => boolean;

/**
 * A crossing announced on day A covers the corrected history's crossing of
 * the same threshold (and direction) on day C when both belong to one spell
 * past the threshold:
 * - C ≤ A and the threshold stayed disarmed from C through A (the alert
 *   came late, but told the truth), or
 * - A < C and the corrected rate was past the threshold every day from A
 *   through C (a confirmation counted from an earlier day than it should).
 * An alert on a day that really closed on the other side told of a rate
 * that was not there: it is withdrawn, and the real crossing announced.
 * Other occurrences are keyed by what they say and pair in day order.
 */
function announcementCovers(
  states: readonly { dt: TradingDay; state: RuleState }[],
  days: readonly SpanDay[],
): Covers {
  const within = <T extends { dt: TradingDay }>(list: readonly T[], from: TradingDay, to: TradingDay) =>
    list.filter((x) => x.dt >= from && x.dt <= to);
  return (said, now) => {
    const t = said.thresholdBp;
    if (t === null) return true;
    const up = said.key.startsWith('limit_exh_rt_cross_up:');
    if (said.dt >= now.dt) {
      return within(states, now.dt, said.dt).every((s) => (up ? s.state.disarmedUpBp : s.state.disarmedDownBp).includes(t));
    }
    return within(days.map((d) => d.snapshot), said.dt, now.dt).every((d) => {
      const bp = d.limitExhRtBp;
      return bp !== null && (up ? bp >= t : bp < t);
    });
  };
}

/**
 * Pairs what was said with what the corrected history says, key by key in
 * day order: each old occurrence with the first unpaired new one it covers.
 */
function matchInDayOrder<O extends Occurrence, N extends Occurrence>(old: readonly O[], fresh: readonly N[], covers: Covers): Match<O, N> {
  const match: Match<O, N> = { pairs: new Map(), unsupported: new Set(), revealed: new Set() };
  const byDay = (a: Occurrence, b: Occurrence) => (a.dt < b.dt ? -1 : a.dt > b.dt ? 1 : 0);
  const keys = new Set([...old.map((o) => o.key), ...fresh.map((o) => o.key)]);
  for (const key of keys) {
    const now = fresh.filter((o) => o.key === key).sort(byDay);
    const taken = new Set<N>();
    for (const o of old.filter((x) => x.key === key).sort(byDay)) {
      const paired = now.find((n) => !taken.has(n) && covers(o, n));
      if (paired) {
        match.pairs.set(o, paired);
        taken.add(paired);
      } else match.unsupported.add(o);
    }
    for (const n of now) if (!taken.has(n)) match.revealed.add(n);
  }
  return match;
}

/**
 * What the stored days before the span still say, that an announcement in
 * the span may stand for: the crossing that began each spell past a
 * threshold lasting into the span (its first day disarmed), and the change
 * to the foreign limit the span starts with.
 */
function standingBefore(earlier: readonly { snapshot: Snapshot; ruleState: RuleState }[]): Occurrence[] {
  const anchor = earlier.at(-1);
  if (anchor === undefined) return [];
  const spellStart = (disarmed: (state: RuleState) => readonly number[], t: number): TradingDay | null => {
    let i = earlier.length - 1;
    while (i > 0 && disarmed((earlier[i - 1] as (typeof earlier)[number]).ruleState).includes(t)) i--;
    // Disarmed through the oldest day we hold: the spell began before it, out of reach of any correction.
    return i === 0 ? null : (earlier[i] as (typeof earlier)[number]).snapshot.dt;
  };
  const out: Occurrence[] = [];
  for (const [rule, disarmed] of [
    ['limit_exh_rt_cross_up', (s: RuleState) => s.disarmedUpBp],
    ['limit_exh_rt_cross_down', (s: RuleState) => s.disarmedDownBp],
  ] as const) {
    for (const t of disarmed(anchor.ruleState)) {
      const dt = spellStart(disarmed, t);
      if (dt !== null) out.push({ key: `${rule}:${t}`, dt, thresholdBp: t });
    }
  }
  const limit = anchor.snapshot.frgnrLimit;
  if (limit === null) return out;
  let i = earlier.length - 1;
  while (i > 0 && (earlier[i - 1] as (typeof earlier)[number]).snapshot.frgnrLimit === limit) i--;
  if (i > 0) out.push({ key: `frgnr_limit_change:${limit}`, dt: (earlier[i] as (typeof earlier)[number]).snapshot.dt, thresholdBp: null });
  return out;
}

/** A crossing finding reduced to the thresholds not announced yet; other findings as they are. */
function narrowTo(finding: Finding, revealed: readonly Occurrence[]): Finding {
  if (finding.rule !== 'limit_exh_rt_cross_up' && finding.rule !== 'limit_exh_rt_cross_down') return finding;
  const kept = (finding.thresholdsCrossed ?? []).filter((t) => revealed.some((o) => o.thresholdBp === t));
  return { ...finding, thresholdsCrossed: kept, threshold: kept.at(-1) ?? finding.threshold };
}

/** The new days' findings had the correction not happened: what the run would have sent anyway. */
function uncorrectedFindings(input: CarryForwardInput): { dt: TradingDay; finding: Finding }[] {
  const start = input.uncorrected;
  if (start === null) return [];
  const out: { dt: TradingDay; finding: Finding }[] = [];
  let previous = start.snapshot;
  let state = start.ruleState;
  const history = [...input.lookback];
  for (const day of input.days) {
    if (day.stored) {
      history.push(day.snapshot);
      continue;
    }
    const evaluated = evaluateDay({ settings: input.settings, previous, current: day.snapshot, state, recent: history.slice(-LOOKBACK_DAYS) });
    out.push(...evaluated.findings.map((finding) => ({ dt: day.snapshot.dt, finding })));
    state = evaluated.state;
    previous = day.snapshot;
    history.push(day.snapshot);
  }
  return out;
}

function sameFinding(a: Finding, b: Finding): boolean {
  if (a.rule !== b.rule || a.direction !== b.direction) return false;
  const thresholds = (f: Finding) => f.thresholdsCrossed ?? [];
  return thresholds(b).every((t) => thresholds(a).includes(t));
}
