// The evaluate step of one code: the rule engine over the planned days, in
// order, threading the rule state. Pure: stored days and the plan in, the
// alerts and the days to store out.
import type { DayPlan, StoredDay } from '../domain/day-plan.ts';
import { evaluateDay, toAlert } from '../domain/rules.ts';
import { EMPTY_RULE_STATE, type Alert, type Finding, type RuleState, type Snapshot, type WatchSettings } from '../domain/types.ts';
import type { StoredSnapshot } from './ports.ts';

/** An alert and the snapshot of its day (its message shows the day's row). */
export interface Outcome {
  alert: Alert;
  current: Snapshot;
}

export interface CodeEvaluation {
  outcomes: Outcome[];
  /** New and revised days with the rule state after each, oldest first. */
  toStore: StoredSnapshot[];
  /** New days evaluated. */
  days: number;
  revisions: number;
}

export interface EvaluateInput {
  settings: WatchSettings;
  /** Stored days, newest first. */
  stored: readonly StoredSnapshot[];
  plan: DayPlan;
  storedAt: string;
}

const LOOKBACK_DAYS = 40;

export function evaluateCode(input: EvaluateInput): CodeEvaluation {
  const { settings, stored, plan, storedAt } = input;
  const stkCd = settings.stkCd;
  const outcomes: Outcome[] = [];
  const toStore: StoredSnapshot[] = [];
  const storedNewestFirst: StoredDay[] = [...stored];
  const history = [...stored].reverse().map((s) => s.snapshot);

  const keep = (findings: Finding[], current: Snapshot, previousDt: string, revision: boolean): void => {
    for (const finding of findings) {
      const alert = toAlert(finding, { stkCd, name: settings.name, dt: current.dt, previousDt, revision });
      outcomes.push({ alert, current });
    }
  };

  // Revisions: re-evaluate each corrected day against its previous trading day.
  const revisedStates = new Map<string, RuleState>();
  const revisedSnapshots = new Map<string, Snapshot>();
  for (const revised of plan.revisedDays) {
    const index = storedNewestFirst.findIndex((s) => s.snapshot.dt === revised.current.dt);
    const before = storedNewestFirst[index + 1];
    let ruleState = revised.stored.ruleState;
    // A correction of history that replay/backfill stored is kept, but not
    // alerted on: the scan never evaluated that day in the first place.
    const evaluatedByScan = revised.stored.storedBy !== 'replay';
    if (before && evaluatedByScan) {
      const evaluated = evaluateDay({
        settings,
        previous: revisedSnapshots.get(before.snapshot.dt) ?? before.snapshot,
        current: revised.current,
        state: revisedStates.get(before.snapshot.dt) ?? before.ruleState,
        recent: daysBefore(history, toStore, revised.current.dt),
      });
      ruleState = evaluated.state;
      keep(evaluated.findings, revised.current, before.snapshot.dt, true);
    }
    revisedStates.set(revised.current.dt, ruleState);
    revisedSnapshots.set(revised.current.dt, revised.current);
    toStore.push({
      snapshot: revised.current,
      ruleState,
      revision: revised.stored.revision + 1,
      previousRows: [...revised.stored.previousRows, revised.stored.snapshot.row],
      storedAt,
    });
  }

  if (plan.baseline) {
    toStore.push({ snapshot: plan.baseline, ruleState: EMPTY_RULE_STATE, revision: 0, previousRows: [], storedAt });
  }
  // After a gap the code starts afresh: no rule state carries over the unknown days.
  const latest = plan.rebaselinedFrom === null ? stored[0] : undefined;
  let state: RuleState = latest ? (revisedStates.get(latest.snapshot.dt) ?? latest.ruleState) : EMPTY_RULE_STATE;
  for (const day of plan.newDays) {
    const evaluated = evaluateDay({
      settings,
      previous: day.previous,
      current: day.current,
      state,
      recent: daysBefore(history, toStore, day.current.dt),
    });
    state = evaluated.state;
    keep(evaluated.findings, day.current, day.previous.dt, false);
    toStore.push({ snapshot: day.current, ruleState: state, revision: 0, previousRows: [], storedAt });
  }
  return { outcomes, toStore, days: plan.newDays.length, revisions: plan.revisedDays.length };
}

/** Trading days before `dt`, oldest first, for rules that look back (the 20-day forecast). */
function daysBefore(stored: Snapshot[], fresh: StoredSnapshot[], dt: string): Snapshot[] {
  const byDay = new Map<string, Snapshot>();
  for (const s of stored) byDay.set(s.dt, s);
  for (const s of fresh) byDay.set(s.snapshot.dt, s.snapshot);
  return [...byDay.values()]
    .filter((s) => s.dt < dt)
    .sort((a, b) => (a.dt < b.dt ? -1 : 1))
    .slice(-LOOKBACK_DAYS);
}
