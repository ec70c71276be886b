// How many trading days a code is behind. The code knows weekends and the
// SCAN_DAY_CUTOFF, not KRX's holiday list; but the History table reveals past
// holidays: ka10008 lists every trading day and a code's stored days are
// consecutive trading days, so a weekday missing between two stored days of
// one code (and stored for no other) was a day without trading.
import { calendarDaysFrom, isWeekday, nextCalendarDay, previousCalendarDay } from '../domain/calendar.ts';
import type { TradingDay } from '../domain/types.ts';

/**
 * Two stored days further apart than this are not taken as consecutive
 * trading days (history fetched in separate runs can leave a gap); KRX's
 * longest closures (Chuseok, Lunar New Year with a weekend) are shorter.
 */
const LONGEST_CLOSURE_CALENDAR_DAYS = 12;

/** Weekdays `d` with `after < d ≤ through`, oldest first. */
export function weekdaysBetween(after: TradingDay, through: TradingDay): TradingDay[] {
  const days: TradingDay[] = [];
  for (let d = nextCalendarDay(after); d <= through; d = nextCalendarDay(d)) if (isWeekday(d)) days.push(d);
  return days;
}

/**
 * Weekdays the table shows were not trading days: missing between two
 * stored days of some code and stored for no code.
 */
export function knownClosedWeekdays(storedDaysPerCode: readonly (readonly TradingDay[])[]): Set<TradingDay> {
  const stored = new Set(storedDaysPerCode.flat());
  const closed = new Set<TradingDay>();
  for (const days of storedDaysPerCode) {
    const ordered = [...new Set(days)].sort();
    for (let i = 1; i < ordered.length; i++) {
      const before = ordered[i - 1] as TradingDay;
      const after = ordered[i] as TradingDay;
      if (calendarDaysFrom(before, LONGEST_CLOSURE_CALENDAR_DAYS) < after) continue;
      for (const d of weekdaysBetween(before, previousCalendarDay(after))) if (!stored.has(d)) closed.add(d);
    }
  }
  return closed;
}
