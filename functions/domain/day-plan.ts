// Which trading days a scan evaluates for one code: pure bookkeeping over the
// rows Kiwoom returned and the snapshots already stored. Kept apart from the
// scan so every calendar case (first run, catch-up, holiday, provisional
// today, revisions, the per-run cap) is tested without I/O.
import { isFinalAt } from './calendar.ts';
import { parseRow, RowError } from './parse.ts';
import type { RawRow, RuleState, Snapshot, TradingDay } from './types.ts';

/** A stored day as the scan needs it: the snapshot and the rule state after it. */
export interface StoredDay {
  snapshot: Snapshot;
  ruleState: RuleState;
  revision: number;
  previousRows: RawRow[];
  /** 'replay' when replay/backfill stored the day: the scan never evaluated it. */
  storedBy?: string;
}

export interface NewDay {
  current: Snapshot;
  previous: Snapshot;
}

export interface RevisedDay {
  current: Snapshot;
  stored: StoredDay;
}

export interface DayPlan {
  /** Days newer than the last stored one, oldest first, at most `maxDays`. */
  newDays: NewDay[];
  /** Newer days beyond the cap, left for the next run (oldest first). */
  deferredDays: TradingDay[];
  /** Stored days whose values Kiwoom has since changed, oldest first. */
  revisedDays: RevisedDay[];
  /** First scan (or a fresh start after a gap): the row the newest day is compared with, stored as history. */
  baseline: Snapshot | null;
  /**
   * The rows fetched do not reach back to the last stored day (a code
   * re-enabled after a long pause): the days between are unknown, so the
   * code starts afresh as on its first scan, and this is the stored day it
   * would otherwise have been compared with.
   */
  rebaselinedFrom: TradingDay | null;
  /** Today's row, held back because the cut-off has not passed. */
  provisional: TradingDay | null;
  /** Invalid rows among the days to evaluate: the code cannot go on past them. */
  blockingErrors: RowError[];
  /** Invalid rows among older, already stored days: reported, otherwise harmless. */
  ignoredErrors: RowError[];
}

export interface DayPlanInput {
  stkCd: string;
  /** Rows as fetched, newest first (pages concatenated). */
  rows: readonly unknown[];
  /** Stored days, newest first (at least those the fetched rows overlap). */
  stored: readonly StoredDay[];
  now: Date;
  cutoffKst: string;
  maxDays: number;
}

const COMPARED_FIELDS = [
  'closePrice',
  'closeDirection',
  'predPre',
  'tradeQty',
  'chgQty',
  'possStkcnt',
  'wghtBp',
  'gainPosStkcnt',
  'frgnrLimit',
  'frgnrLimitIrds',
  'limitExhRtBp',
] as const satisfies readonly (keyof Snapshot)[];

/** Same figures, whatever the spelling ("+26.10" and "26.10" are one value). */
export function sameFigures(a: Snapshot, b: Snapshot): boolean {
  return COMPARED_FIELDS.every((field) => a[field] === b[field]);
}

function rawDt(row: unknown): string | undefined {
  if (typeof row === 'object' && row !== null && 'dt' in row) {
    const dt = (row as { dt: unknown }).dt;
    return typeof dt === 'string' ? dt.trim() : undefined;
  }
  return undefined;
}

export function planDays(input: DayPlanInput): DayPlan {
  const { stkCd, now, cutoffKst, maxDays } = input;
  const lastStored = input.stored[0];
  const lastDt = lastStored?.snapshot.dt ?? null;

  // Parse every row, newest first, keeping the first occurrence of each day
  // (overlapping pages must not double a day).
  const parsed: Snapshot[] = [];
  const seen = new Set<string>();
  const blockingErrors: RowError[] = [];
  const blockedDays: string[] = [];
  const ignoredErrors: RowError[] = [];
  let provisional: TradingDay | null = null;
  for (const row of input.rows) {
    // Only a YYYYMMDD day can be ordered against stored days: "2025-03-10"
    // sorts before every YYYYMMDD string and would pass for an old day.
    const text = rawDt(row);
    const dt = text !== undefined && /^\d{8}$/.test(text) ? text : undefined;
    let snapshot: Snapshot;
    try {
      snapshot = parseRow(stkCd, row);
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      // Provisional intraday rows are not used anyway.
      if (dt !== undefined && !isFinalAt(dt, now, cutoffKst)) continue;
      // A bad row for a day we already stored is only a failed revision check;
      // a bad row for a day still to evaluate (or of unknown day) blocks the code.
      if (dt !== undefined && lastDt !== null && dt <= lastDt) ignoredErrors.push(error);
      else {
        blockingErrors.push(error);
        blockedDays.push(dt ?? '');
      }
      continue;
    }
    if (seen.has(snapshot.dt)) continue;
    seen.add(snapshot.dt);
    if (!isFinalAt(snapshot.dt, now, cutoffKst)) {
      provisional = snapshot.dt;
      continue;
    }
    parsed.push(snapshot);
  }
  parsed.sort((a, b) => (a.dt < b.dt ? 1 : a.dt > b.dt ? -1 : 0));

  const storedByDt = new Map(input.stored.map((day) => [day.snapshot.dt, day]));
  const revisedDays: RevisedDay[] = [];
  for (const current of parsed) {
    const stored = storedByDt.get(current.dt);
    if (stored && !sameFigures(stored.snapshot, current)) revisedDays.push({ current, stored });
  }
  revisedDays.reverse();

  // The fetch pages back until it reaches the last stored day; rows that
  // still stop short of it leave days unknown in between.
  const oldestRow = input.rows.map(rawDt).filter((dt): dt is string => dt !== undefined && /^\d{8}$/.test(dt)).sort()[0];
  const gap = lastDt !== null && oldestRow !== undefined && oldestRow > lastDt;
  const empty = { revisedDays, provisional, blockingErrors, ignoredErrors, rebaselinedFrom: gap ? lastDt : null };
  if (lastStored === undefined || gap) {
    // First scan: only the newest final day, against the row before it.
    const [newest, previous] = parsed;
    if (!newest || !previous) return { ...empty, newDays: [], deferredDays: [], baseline: null };
    // Older rows are never evaluated: an invalid one there must not keep the
    // code from ever getting its first snapshot, so it is only reported.
    const older = (i: number) => (blockedDays[i] ?? '') !== '' && (blockedDays[i] ?? '') < previous.dt;
    const firstScan = {
      ...empty,
      blockingErrors: blockingErrors.filter((_, i) => !older(i)),
      ignoredErrors: [...ignoredErrors, ...blockingErrors.filter((_, i) => older(i))],
    };
    if (firstScan.blockingErrors.length > 0) return { ...firstScan, newDays: [], deferredDays: [], baseline: null };
    return {
      ...firstScan,
      newDays: [{ current: newest, previous }],
      deferredDays: [],
      baseline: previous,
    };
  }

  const newer = parsed.filter((s) => lastDt !== null && s.dt > lastDt).reverse();
  // Never evaluate past an invalid row: its day would silently vanish and the
  // next day would be compared with the wrong "previous".
  // An error row of unknown day ('') blocks everything.
  const firstBlocked = [...blockedDays].sort()[0];
  const usable =
    firstBlocked === undefined ? newer : newer.filter((s) => s.dt < firstBlocked);
  const taken = usable.slice(0, maxDays);
  const deferredDays = usable.slice(maxDays).map((s) => s.dt);
  const newDays: NewDay[] = [];
  let previous = lastStored.snapshot;
  for (const current of taken) {
    // A revised last-stored day is compared in its corrected form.
    const revised = revisedDays.find((r) => r.current.dt === previous.dt);
    newDays.push({ current, previous: revised ? revised.current : previous });
    previous = current;
  }
  return { ...empty, newDays, deferredDays, baseline: null };
}
