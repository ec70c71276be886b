// Which trading days the History table is known to hold for one code, and
// whether a replay can be answered from it without asking Kiwoom.
//
// ka10008 has no date parameter: history comes only by paging back from the
// newest day, and Kiwoom lists every trading day. So one fetch always yields
// a contiguous run of trading days ending at the newest final day, and the
// cache is described by one contiguous range per code (`CachedRange`, stored
// as the `REPLAY#<stk_cd>` / `RANGE` item): "every trading day from `fromDt`
// to `toDt` is stored as a snapshot". Stored days cannot be told apart from
// holidays by looking at them, which is why the range is recorded rather than
// inferred. A range only grows by merging with a fetched run that overlaps it;
// a run that does not overlap replaces it (the older days stay stored, they
// are just no longer vouched for).
import { isFinalAt, isWeekday, kstDay, nextCalendarDay, previousCalendarDay } from '../domain/calendar.ts';
import type { TradingDay } from '../domain/types.ts';

export interface CachedRange {
  /** Oldest day of the contiguous range. */
  fromDt: TradingDay;
  /** Newest day of the contiguous range. */
  toDt: TradingDay;
  /** Kiwoom has no row older than `fromDt` (its last page said `cont-yn: N`). */
  listingStart: boolean;
  /**
   * An ISO instant at which `toDt` was the newest final day Kiwoom served;
   * null when the range stops short of that (see ReplayStore.storeCeiling).
   */
  newestAt: string | null;
}

/** The days a replay evaluates: `fromDt` to `toDt` (null: up to the newest final day). */
export interface ReplayWindow {
  fromDt: TradingDay;
  toDt: TradingDay | null;
}

/**
 * The range holds the baseline for `fromDt`: the trading day before it (the
 * range is contiguous and starts earlier), or there is nothing older at all.
 */
export function coversStart(range: CachedRange, fromDt: TradingDay): boolean {
  return range.fromDt < fromDt || range.listingStart;
}

/**
 * The range reaches `toDt`, or (`toDt` null or beyond the range) no trading
 * day can have become final since the range was last seen to be the newest.
 *
 * A weekday after `toDt` that is final now counts as a known non-trading day
 * only if the range was confirmed on a later calendar day: a fetch on the
 * evening of a holiday cannot tell the holiday from a row Kiwoom has not
 * published yet, a fetch the next day can. KRX has not traded on weekends
 * since 2000, so weekends are never missing.
 */
export function coversEnd(range: CachedRange, toDt: TradingDay | null, now: Date, cutoffKst: string): boolean {
  if (toDt !== null && toDt <= range.toDt) return true;
  if (range.newestAt === null) return false;
  const today = kstDay(now);
  const upper = toDt === null || toDt > today ? today : toDt;
  const confirmedOn = kstDay(new Date(range.newestAt));
  for (let day = nextCalendarDay(range.toDt); day <= upper; day = nextCalendarDay(day)) {
    if (!isWeekday(day) || !isFinalAt(day, now, cutoffKst)) continue;
    if (!(confirmedOn > day)) return false;
  }
  return true;
}

export function coversWindow(
  range: CachedRange | null,
  window: ReplayWindow,
  now: Date,
  cutoffKst: string,
): boolean {
  return range !== null && coversStart(range, window.fromDt) && coversEnd(range, window.toDt, now, cutoffKst);
}

/**
 * How far back to page (ka10008Pages' `oldestDt`: stop after the first page
 * whose oldest row is at or before it). With the start of the window cached,
 * only until the pages meet the cached range, so the two join into one; else
 * until a row before `fromDt`, the baseline.
 */
export function fetchStopDt(range: CachedRange | null, window: ReplayWindow): TradingDay {
  const beforeFrom = previousCalendarDay(window.fromDt);
  if (range !== null && coversStart(range, window.fromDt) && range.toDt > beforeFrom) return range.toDt;
  return beforeFrom;
}

/** One range from two that overlap; else the newer one (a fresh fetch). */
export function mergeRanges(cached: CachedRange | null, fresh: CachedRange): CachedRange {
  if (cached === null || fresh.fromDt > cached.toDt || cached.fromDt > fresh.toDt) return fresh;
  const older = fresh.fromDt <= cached.fromDt ? fresh : cached;
  const newer = fresh.toDt >= cached.toDt ? fresh : cached;
  // Equal ends: both claims are true, keep the stronger one.
  const listingStart = fresh.fromDt === cached.fromDt ? fresh.listingStart || cached.listingStart : older.listingStart;
  const newestAt = fresh.toDt === cached.toDt ? laterInstant(fresh.newestAt, cached.newestAt) : newer.newestAt;
  return { fromDt: older.fromDt, toDt: newer.toDt, listingStart, newestAt };
}

function laterInstant(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export function sameRange(a: CachedRange | null, b: CachedRange | null): boolean {
  if (a === null || b === null) return a === b;
  return a.fromDt === b.fromDt && a.toDt === b.toDt && a.listingStart === b.listingStart && a.newestAt === b.newestAt;
}

export { calendarDaysFrom, nextCalendarDay, previousCalendarDay } from '../domain/calendar.ts';
