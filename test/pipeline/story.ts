// Row fixtures for the pipeline tests: a code's ka10008 history written as a
// path of limit exhaustion rates, turned into rows that are consistent the
// way live rows are meant to be (chg_qty is the day's change of poss_stkcnt,
// gain_pos_stkcnt = frgnr_limit − poss_stkcnt, limit_exh_rt = poss / limit).
// With the default limit of 100,000,000 shares one basis point is exactly
// 10,000 shares, so a path of rates reads as the alerts it should produce.
import type { RawRow, TradingDay } from '../../functions/domain/types.ts';
import {
  formatKiwoomRate,
  formatSignedInteger,
  formatSignedPrice,
  ratioBp,
} from '../../local/kiwoom-simulator/dataset.ts';

export const DEFAULT_LIMIT = 100_000_000;

export interface StoryDay {
  dt: TradingDay;
  rateBp: number;
  /** Foreign limit that day (default DEFAULT_LIMIT); a change shows in frgnr_limit_irds. */
  limit?: number;
}

/** Weekdays from `first` on (inclusive), skipping `holidays`, oldest first. */
export function tradingDays(first: TradingDay, count: number, holidays: readonly TradingDay[] = []): TradingDay[] {
  const day = new Date(Date.UTC(Number(first.slice(0, 4)), Number(first.slice(4, 6)) - 1, Number(first.slice(6, 8))));
  const out: TradingDay[] = [];
  while (out.length < count) {
    const dt = day.toISOString().slice(0, 10).replaceAll('-', '');
    const weekday = day.getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !holidays.includes(dt)) out.push(dt);
    day.setUTCDate(day.getUTCDate() + 1);
  }
  return out;
}

/** Rows newest first, as ka10008 serves them, for days given oldest first. */
export function storyRows(days: readonly StoryDay[]): RawRow[] {
  const rows: RawRow[] = [];
  let previousPoss: number | null = null;
  let previousLimit = days[0]?.limit ?? DEFAULT_LIMIT;
  let close = 54_300;
  for (const [index, day] of days.entries()) {
    const limit = day.limit ?? DEFAULT_LIMIT;
    const poss = Math.round((day.rateBp * limit) / 10_000);
    const chg = previousPoss === null ? 0 : poss - previousPoss;
    // Prices only need to look like prices: a small deterministic zig-zag.
    const change = index % 2 === 0 ? 300 : -200;
    close += change;
    rows.push({
      dt: day.dt,
      close_pric: formatSignedPrice(close, change),
      pred_pre: formatSignedInteger(change),
      trde_qty: String(1_000_000 + index * 1_000),
      chg_qty: formatSignedInteger(chg),
      poss_stkcnt: String(poss),
      wght: formatKiwoomRate(ratioBp(poss, 2 * DEFAULT_LIMIT)),
      gain_pos_stkcnt: String(limit - poss),
      frgnr_limit: String(limit),
      frgnr_limit_irds: formatSignedInteger(limit - previousLimit),
      limit_exh_rt: formatKiwoomRate(ratioBp(poss, limit)),
    });
    previousPoss = poss;
    previousLimit = limit;
  }
  return rows.reverse();
}

/** A story over consecutive trading days from `first`: one rate (basis points) per day. */
export function rateStory(first: TradingDay, ratesBp: readonly number[], holidays: readonly TradingDay[] = []): RawRow[] {
  const dts = tradingDays(first, ratesBp.length, holidays);
  return storyRows(dts.map((dt, i) => ({ dt, rateBp: ratesBp[i] as number })));
}

/** The trading days of a story, oldest first. */
export function daysOf(rows: readonly RawRow[]): TradingDay[] {
  return rows.map((r) => r.dt).reverse();
}

/** A copy of `rows` with one day's fields replaced (Kiwoom's odd values, revisions). */
export function patchRow(rows: readonly RawRow[], dt: TradingDay, patch: Partial<RawRow>): RawRow[] {
  if (!rows.some((r) => r.dt === dt)) throw new Error(`no row for ${dt} to patch`);
  return rows.map((r) => (r.dt === dt ? { ...r, ...patch, dt } : { ...r }));
}

/** 18:30 KST on `dt`: the evening scan's clock. */
export function eveningOf(dt: TradingDay, timeKst = '18:30'): Date {
  return new Date(`${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)}T${timeKst}:00+09:00`);
}
