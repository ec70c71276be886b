// What Kiwoom serves the chaos scenarios, evening by evening. A story is a
// code's true history (the rows Kiwoom finally settles on) plus, for some
// days, a wrong version served for a few evenings before Kiwoom corrects it
// (a copy of the day before, or different figures). Evening e serves the
// days up to `newestAt[e]`, each in the version current that evening; the
// last evening serves the true history, which is what the oracle judges by.
import { kstDay } from '../functions/domain/calendar.ts';
import type { RawRow, TradingDay } from '../functions/domain/types.ts';
import { formatKiwoomRate, formatSignedInteger, ratioBp, syntheticHistory, tradingDaysBackFrom } from '../local/kiwoom-simulator/dataset.ts';
import type { Seeded } from './random.ts';

/** A row Kiwoom serves instead of the true one from evening `from` until (not including) evening `until`. */
export interface WrongVersion {
  dt: TradingDay;
  from: number;
  until: number;
  row: RawRow;
  kind: 'stale-copy' | 'revised-figures';
}

export class Story {
  readonly wrong: WrongVersion[] = [];

  constructor(
    readonly stkCd: string,
    /** The watchlist item, as a user would type it. */
    readonly item: Record<string, unknown>,
    /** The true history, oldest first. */
    readonly days: readonly RawRow[],
    /** Per evening, the index in `days` of the newest day served. */
    readonly newestAt: readonly number[],
  ) {}

  get evenings(): number {
    return this.newestAt.length;
  }

  /** Rows newest first, as ka10008 answers on evening `e`. */
  servedAt(e: number): RawRow[] {
    const newest = this.newestAt[e] ?? -1;
    return this.days
      .slice(0, newest + 1)
      .map((row) => this.wrong.find((w) => w.dt === row.dt && w.from <= e && e < w.until)?.row ?? row)
      .reverse();
  }

  /** The first scan evaluates the first evening's newest day against the day before: the oracle starts there. */
  get baselineIndex(): number {
    return (this.newestAt[0] ?? 1) - 1;
  }

  /** The true history from the first scan's baseline to the last evening's newest day, oldest first. */
  finalHistory(): RawRow[] {
    return this.days.slice(this.baselineIndex, (this.newestAt.at(-1) ?? 0) + 1);
  }

  /** Kiwoom first serves day `index` as a copy of the day before, and corrects it on evening `until`. */
  staleCopy(index: number, until: number): this {
    const previous = this.days[index - 1];
    const day = this.days[index];
    if (!previous || !day) throw new RangeError(`no day ${index} with a day before it in ${this.stkCd}`);
    this.wrong.push({ dt: day.dt, from: this.firstServed(index), until, row: { ...previous, dt: day.dt }, kind: 'stale-copy' });
    return this;
  }

  /** Kiwoom first serves day `index` at `rateBp` (holdings to match), and corrects it on evening `until`. */
  revisedFigures(index: number, rateBp: number, until: number): this {
    const day = this.days[index];
    if (!day) throw new RangeError(`no day ${index} in ${this.stkCd}`);
    const previousPoss = Number(this.days[index - 1]?.poss_stkcnt ?? day.poss_stkcnt);
    this.wrong.push({ dt: day.dt, from: this.firstServed(index), until, row: atRate(day, rateBp, previousPoss), kind: 'revised-figures' });
    return this;
  }

  private firstServed(index: number): number {
    const evening = this.newestAt.findIndex((newest) => newest >= index);
    return evening < 0 ? this.evenings : evening;
  }
}

/** `row` with the holdings that give `rateBp` of its foreign limit; chg_qty against `previousPoss`. */
export function atRate(row: RawRow, rateBp: number, previousPoss: number): RawRow {
  const limit = Number(row.frgnr_limit);
  const poss = Math.round((limit * rateBp) / 10_000);
  const rate = formatKiwoomRate(ratioBp(poss, limit));
  return {
    ...row,
    chg_qty: formatSignedInteger(poss - previousPoss),
    poss_stkcnt: String(poss),
    gain_pos_stkcnt: String(limit - poss),
    limit_exh_rt: rate,
    wght: rate,
  };
}

/** A limit of 10^8 shares: one basis point is exactly 10,000 shares, so a rate path reads as written. */
const ROUND_LIMIT = 100_000_000;

/** Rows (oldest first) on `dts` whose limit exhaustion follows `ratesBp` exactly. */
export function rowsAtRates(stkCd: string, dts: readonly TradingDay[], ratesBp: readonly number[], seed: number): RawRow[] {
  const lastDt = dts.at(-1);
  if (!lastDt || dts.length !== ratesBp.length) throw new RangeError('one rate per trading day');
  const prices = syntheticHistory(stkCd, { days: dts.length, lastDt, frgnrLimit: ROUND_LIMIT, seed }).reverse();
  let previousPoss = Math.round((ROUND_LIMIT * (ratesBp[0] ?? 0)) / 10_000);
  return prices.map((row, i) => {
    const next = atRate({ ...row, dt: dts[i] as string }, ratesBp[i] as number, previousPoss);
    previousPoss = Number(next.poss_stkcnt);
    return next;
  });
}

/**
 * `count` trading days (weekdays) ending two days before today in Korea,
 * oldest first. The scan and the CLI read the real clock, and every day
 * served must already be final.
 */
export function chaosCalendar(count: number, now: Date = new Date()): TradingDay[] {
  return tradingDaysBackFrom(kstDay(new Date(now.getTime() - 2 * 86_400_000)), count, new Set()).reverse();
}

/** Evening 0 serves `firstNewest`; each later evening adds 1 or 2 days (seeded). */
export function eveningSchedule(firstNewest: number, evenings: number, random: Seeded): number[] {
  const newestAt = [firstNewest];
  for (let e = 1; e < evenings; e++) newestAt.push((newestAt[e - 1] as number) + random.int(1, 2));
  return newestAt;
}

/**
 * A code whose rate wanders around its thresholds (seeded random walk), with
 * settings that make most evenings alert: two thresholds above, one below,
 * hysteresis, a day-over-day move, net buying and selling, and sometimes a
 * change of the foreign limit.
 */
export function wanderingStory(stkCd: string, dts: readonly TradingDay[], newestAt: readonly number[], random: Seeded): Story {
  const startRateBp = random.int(4_900, 5_000);
  const limit = random.pick([25_526_706, 100_000_000, 5_919_637_922]);
  const lastDt = dts.at(-1) as string;
  const changeAt = random.chance(0.5) ? dts[random.int(Math.floor(dts.length / 2), dts.length - 1)] : undefined;
  const rows = syntheticHistory(stkCd, {
    days: dts.length,
    lastDt,
    frgnrLimit: limit,
    startRateBp,
    maxDailyMoveBp: 30,
    seed: random.int(1, 2 ** 31),
    ...(changeAt ? { limitChanges: { [changeAt]: Math.round(limit * 1.01) } } : {}),
  }).reverse();
  const pct = (bp: number) => bp / 100;
  const item = {
    stk_cd: stkCd,
    limit_exh_rt_above: [pct(startRateBp + 10), pct(startRateBp + 40)],
    limit_exh_rt_below: pct(startRateBp - 20),
    hysteresis_pp: 0.1,
    limit_exh_rt_move_pp: 0.25,
    chg_qty_abs: Math.round((limit * 20) / 10_000),
  };
  return new Story(stkCd, item, rows, newestAt);
}
