// Korean market time. KST is UTC+9 all year (no daylight saving), so a
// fixed offset is exact and needs no time-zone database.
import type { TradingDay } from './types.ts';

const KST_OFFSET_MS = 9 * 60 * 60 * 1000;

function kstParts(now: Date): { day: TradingDay; time: string } {
  const iso = new Date(now.getTime() + KST_OFFSET_MS).toISOString();
  return { day: iso.slice(0, 10).replaceAll('-', ''), time: iso.slice(11, 16) };
}

/** The calendar day in Korea at `now`, as `YYYYMMDD`. */
export function kstDay(now: Date): TradingDay {
  return kstParts(now).day;
}

/** The wall-clock time in Korea at `now`, as `HH:MM`. */
export function kstTime(now: Date): string {
  return kstParts(now).time;
}

/**
 * Whether a row for `dt` holds final figures at `now`: any earlier day is
 * final; today's row only after the cut-off (intraday rows show chg_qty 0 and
 * provisional holdings); a future day never.
 */
export function isFinalAt(dt: TradingDay, now: Date, cutoffKst: string): boolean {
  const { day, time } = kstParts(now);
  if (dt < day) return true;
  if (dt > day) return false;
  return time >= cutoffKst;
}

/** `YYYYMMDD` → `YYYY-MM-DD` for people. */
export function formatDay(dt: TradingDay): string {
  return `${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)}`;
}

function toUtcDate(dt: TradingDay): Date {
  return new Date(Date.UTC(Number(dt.slice(0, 4)), Number(dt.slice(4, 6)) - 1, Number(dt.slice(6, 8))));
}

/** `dt` moved by whole calendar days (negative: back). */
export function calendarDaysFrom(dt: TradingDay, days: number): TradingDay {
  const date = toUtcDate(dt);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

export function nextCalendarDay(dt: TradingDay): TradingDay {
  return calendarDaysFrom(dt, 1);
}

export function previousCalendarDay(dt: TradingDay): TradingDay {
  return calendarDaysFrom(dt, -1);
}

/** KRX has not traded on a Saturday or Sunday since 2000. */
export function isWeekday(dt: TradingDay): boolean {
  const weekday = toUtcDate(dt).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The newest weekday whose row is final at `now`: today after the cut-off,
 * else the weekday before. Market holidays are not known here (KRX announces
 * them yearly), so this is the newest day a trading day *could* be final.
 */
export function newestFinalWeekday(now: Date, cutoffKst: string): TradingDay {
  let day = kstDay(now);
  while (!isWeekday(day) || !isFinalAt(day, now, cutoffKst)) day = previousCalendarDay(day);
  return day;
}
