// The embedded run's story: a few real codes over about three weeks of
// trading, scripted so that every rule has something to say: SK Telecom
// (foreign-capped at 49% of its shares) climbs through 99% of its foreign
// limit, flaps under hysteresis, and drops below 98% the day its limit is
// raised; Samsung Electronics crosses 51% on heavy foreign buying; SK hynix
// has a day Kiwoom first serves as a copy of the day before and corrects the
// next evening; KT's foreign room shrinks at a pace that brings the
// days-to-exhaustion forecast under ten trading days. One evening is missed
// and one weekday is a market holiday.
import type { RawRow, TradingDay } from '../../functions/domain/types.ts';
import {
  formatKiwoomRate,
  formatSignedInteger,
  formatSignedPrice,
  mulberry32,
  ratioBp,
  tradingDaysBackFrom,
} from '../kiwoom-simulator/dataset.ts';

export interface DemoCode {
  stkCd: string;
  name: string;
  /** Watchlist item as a user would type it in the console. */
  item: Record<string, unknown>;
  listedShares: number;
  startPrice: number;
  /** Foreign limit per evening index (shares); a change shows in frgnr_limit_irds. */
  limitOn: (index: number) => number;
  /** Limit exhaustion target per evening index (basis points). */
  ratePath: number[];
}

const EVENINGS = 16;

export const DEMO_CODES: DemoCode[] = [
  {
    stkCd: '017670',
    name: 'SK텔레콤',
    item: { stk_cd: '017670', name: 'SK텔레콤', limit_exh_rt_above: 99, limit_exh_rt_below: 98, hysteresis_pp: 0.2 },
    listedShares: 214_790_053,
    startPrice: 54_300,
    // Raised on evening 11 (a buyback cancellation moves the cap).
    limitOn: (i) => (i >= 11 ? 106_500_000 : 105_247_126),
    ratePath: [9860, 9872, 9885, 9893, 9904, 9911, 9897, 9908, 9875, 9902, 9890, 9785, 9791, 9812, 9823, 9806],
  },
  {
    stkCd: '005930',
    name: '삼성전자',
    item: { stk_cd: '005930', name: '삼성전자', limit_exh_rt_above: [51, 52], chg_qty_abs: 10_000_000, limit_exh_rt_move_pp: 0.3 },
    listedShares: 5_919_637_922,
    startPrice: 61_200,
    limitOn: () => 5_919_637_922,
    ratePath: [5062, 5065, 5071, 5068, 5080, 5089, 5093, 5110, 5131, 5127, 5095, 5098, 5101, 5105, 5097, 5102],
  },
  {
    stkCd: '000660',
    name: 'SK하이닉스',
    item: { stk_cd: '000660', name: 'SK하이닉스', chg_qty_abs: '2,000,000', frgnr_limit_change: true },
    listedShares: 728_002_365,
    startPrice: 171_500,
    limitOn: () => 728_002_365,
    ratePath: [5420, 5425, 5418, 5431, 5428, 5433, 5393, 5398, 5405, 5401, 5409, 5411, 5404, 5400, 5407, 5368],
  },
  {
    stkCd: '030200',
    name: 'KT',
    item: { stk_cd: '030200', name: 'KT', exhaustion_days: 10, limit_exh_rt_above: 99.9 },
    listedShares: 257_868_180,
    startPrice: 41_850,
    // Capped at 49% of its shares; foreign buyers take about 0.2% of the limit a day.
    limitOn: () => 126_355_408,
    ratePath: Array.from({ length: 16 }, (_, i) => 9700 + 20 * i),
  },
];

/** A watchlist item with a typo, to show that one bad item is reported and skipped. */
export const DEMO_INVALID_ITEM = { stk_cd: '035720', name: '카카오', limit_exh_rt_above: '49.123' };

/** Defaults every code inherits unless it says otherwise. */
export const DEMO_DEFAULTS = { stk_cd: '*', frgnr_limit_change: true, hysteresis_pp: 0 };

/** SK hynix's evening-6 row is first served as a copy of evening 5 and corrected on evening 7. */
export const REVISED = { stkCd: '000660', index: 6 };

export interface DemoCalendar {
  /** Trading days of the story, oldest first (EVENINGS of them). */
  tradingDays: TradingDay[];
  /** The weekday without trading inside the story. */
  holiday: TradingDay;
  /** The trading day whose evening run is skipped. */
  missedEvening: TradingDay;
  /** Every weekday evening the schedule fires on, oldest first (the missed one included). */
  evenings: TradingDay[];
}

/** The story ends on the last weekday before `today`, so the demo never goes stale. */
export function demoCalendar(today: Date): DemoCalendar {
  const yesterday = new Date(today.getTime() - 24 * 60 * 60 * 1000);
  const lastDt = yesterday.toISOString().slice(0, 10).replaceAll('-', '');
  // Pick the holiday as the 6th weekday from the end, then lay trading days around it.
  const weekdays = tradingDaysBackFrom(lastDt, EVENINGS + 1, new Set()).reverse();
  const holiday = weekdays[weekdays.length - 6] as TradingDay;
  const tradingDays = weekdays.filter((d) => d !== holiday);
  return {
    tradingDays,
    holiday,
    missedEvening: tradingDays[3] as TradingDay,
    evenings: weekdays,
  };
}

const HISTORY_BEFORE = 30;

/** Every row the code will ever have in the story, newest first, with some quiet history before it. */
export function demoRows(code: DemoCode, calendar: DemoCalendar): RawRow[] {
  const random = mulberry32(Number(code.stkCd) + 7);
  const before = tradingDaysBackFrom(calendar.tradingDays[0] as TradingDay, HISTORY_BEFORE + 1, new Set([calendar.holiday]))
    .slice(1)
    .reverse();
  const start = code.ratePath[0] as number;
  const path = [
    ...before.map((dt) => ({ dt, rateBp: start + Math.round((random() * 2 - 1) * 6), limit: code.limitOn(0) })),
    ...calendar.tradingDays.map((dt, i) => ({ dt, rateBp: code.ratePath[i] as number, limit: code.limitOn(i) })),
  ];
  const rows: RawRow[] = [];
  let previousPoss: number | null = null;
  let previousLimit = path[0]?.limit ?? 0;
  let close = code.startPrice;
  for (const day of path) {
    const poss = Math.round((day.rateBp * day.limit) / 10_000);
    const chg = previousPoss === null ? 0 : poss - previousPoss;
    const change = Math.round((close * (random() * 0.04 - 0.02)) / 100) * 100;
    close += change;
    rows.push({
      dt: day.dt,
      close_pric: formatSignedPrice(close, change),
      pred_pre: formatSignedInteger(change),
      trde_qty: String(Math.floor(2_000_000 + random() * 8_000_000)),
      chg_qty: formatSignedInteger(chg),
      poss_stkcnt: String(poss),
      wght: formatKiwoomRate(ratioBp(poss, code.listedShares)),
      gain_pos_stkcnt: String(day.limit - poss),
      frgnr_limit: String(day.limit),
      frgnr_limit_irds: formatSignedInteger(day.limit - previousLimit),
      limit_exh_rt: formatKiwoomRate(ratioBp(poss, day.limit)),
    });
    previousPoss = poss;
    previousLimit = day.limit;
  }
  return rows.reverse();
}

/**
 * What Kiwoom serves on the evening of `evening`: rows up to that day, and on
 * the revised code's first evening its newest row as a copy of the day before.
 */
export function rowsServedOn(code: DemoCode, all: RawRow[], calendar: DemoCalendar, evening: TradingDay): RawRow[] {
  const served = all.filter((row) => row.dt <= evening);
  const revisedDay = calendar.tradingDays[REVISED.index];
  if (code.stkCd === REVISED.stkCd && evening === revisedDay && served.length >= 2) {
    const [newest, dayBefore] = served as [RawRow, RawRow];
    served[0] = { ...dayBefore, dt: newest.dt };
  }
  return served;
}
