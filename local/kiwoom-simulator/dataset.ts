// Synthetic ka10008 histories for tests, the local run and the benchmark.
// Each history is self-consistent the way live rows are meant to be (unlike
// the specification's own example): chg_qty is the day's change of
// poss_stkcnt, gain_pos_stkcnt = frgnr_limit − poss_stkcnt, limit_exh_rt =
// poss_stkcnt / frgnr_limit rounded to two decimals, and every value is a
// string signed the way Kiwoom signs it.
import type { RawRow, TradingDay } from '../../functions/domain/types.ts';

export interface SyntheticHistoryOptions {
  /** Number of trading days (rows). */
  days: number;
  /** The newest day; when it is not a trading day, the trading day before it. */
  lastDt: TradingDay;
  /** Foreign ownership limit in shares (default 25,526,706, the specification's). */
  frgnrLimit?: number;
  /** Limit exhaustion on the oldest day, basis points (default 2600). */
  startRateBp?: number;
  /** Largest daily move of the holdings, basis points of the limit (default 30). */
  maxDailyMoveBp?: number;
  /** Listed shares, the denominator of `wght` (default: the limit, so wght equals limit_exh_rt). */
  listedShares?: number;
  /** Closing price on the oldest day, won (default 65,000). */
  startPrice?: number;
  /** PRNG seed; the same seed and options give the same rows (default: derived from stkCd). */
  seed?: number;
  /** Weekdays without trading, `YYYYMMDD`. */
  holidays?: readonly TradingDay[];
  /** From each given day on, the foreign limit is this many shares (frgnr_limit_irds shows the change that day). */
  limitChanges?: Readonly<Record<TradingDay, number>>;
}

/** Rows newest first, as ka10008 serves them. */
export function syntheticHistory(stkCd: string, options: SyntheticHistoryOptions): RawRow[] {
  const days = tradingDaysBackFrom(options.lastDt, options.days, new Set(options.holidays ?? [])).reverse();
  const random = mulberry32(options.seed ?? hashSeed(stkCd));
  const maxMoveBp = options.maxDailyMoveBp ?? 30;
  let limit = options.frgnrLimit ?? 25_526_706;
  const listedOverride = options.listedShares;
  let poss = Math.round((limit * (options.startRateBp ?? 2600)) / 10_000);
  let close = options.startPrice ?? 65_000;

  const oldestFirst: RawRow[] = [];
  for (const dt of days) {
    const newLimit = options.limitChanges?.[dt];
    const limitIrds = newLimit === undefined ? 0 : newLimit - limit;
    if (newLimit !== undefined) limit = newLimit;

    const moveBp = Math.round((random() * 2 - 1) * maxMoveBp);
    const nextPoss = clamp(poss + Math.round((limit * moveBp) / 10_000), 0, limit);
    const chgQty = nextPoss - poss;
    poss = nextPoss;

    // Prices move in 100-won steps, up to about ±3% a day.
    const nextClose = Math.max(100, close + Math.round((close * (random() * 0.06 - 0.03)) / 100) * 100);
    const predPre = nextClose - close;
    close = nextClose;

    const listed = listedOverride ?? limit;
    oldestFirst.push({
      dt,
      close_pric: formatSignedPrice(close, predPre),
      pred_pre: formatSignedInteger(predPre),
      trde_qty: String(Math.floor(random() * 2_000_000)),
      chg_qty: formatSignedInteger(chgQty),
      poss_stkcnt: String(poss),
      wght: formatKiwoomRate(ratioBp(poss, listed)),
      gain_pos_stkcnt: String(limit - poss),
      frgnr_limit: String(limit),
      frgnr_limit_irds: formatSignedInteger(limitIrds),
      limit_exh_rt: formatKiwoomRate(ratioBp(poss, limit)),
    });
  }
  return oldestFirst.reverse();
}

/** `part / whole` in basis points, rounded half up (as Kiwoom's two decimals show). */
export function ratioBp(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.floor((part * 20_000 + whole) / (2 * whole));
}

/** Basis points in Kiwoom's rate form: `"+26.10"`, `"-0.05"`, `"0.00"`. */
export function formatKiwoomRate(bp: number): string {
  if (!Number.isInteger(bp)) throw new RangeError(`basis points must be an integer, got ${bp}`);
  const abs = Math.abs(bp);
  const text = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  if (bp > 0) return `+${text}`;
  if (bp < 0) return `-${text}`;
  return text;
}

/** A signed quantity as Kiwoom writes it: `"+100"`, `"-3441"`, unsigned `"0"`. */
export function formatSignedInteger(value: number): string {
  if (value > 0) return `+${value}`;
  return String(value);
}

/** A price carrying its direction against the previous close: `"+65100"`, `"-65000"`, `"65100"`. */
export function formatSignedPrice(price: number, change: number): string {
  if (change > 0) return `+${price}`;
  if (change < 0) return `-${price}`;
  return String(price);
}

/** `count` trading days (Mon–Fri, not holidays) ending at or before `lastDt`, newest first. */
export function tradingDaysBackFrom(lastDt: TradingDay, count: number, holidays: ReadonlySet<string>): TradingDay[] {
  if (!/^\d{8}$/.test(lastDt)) throw new RangeError(`lastDt must be YYYYMMDD, got ${lastDt}`);
  const day = new Date(Date.UTC(Number(lastDt.slice(0, 4)), Number(lastDt.slice(4, 6)) - 1, Number(lastDt.slice(6, 8))));
  const out: TradingDay[] = [];
  while (out.length < count) {
    const dt = formatDt(day);
    const weekday = day.getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !holidays.has(dt)) out.push(dt);
    day.setUTCDate(day.getUTCDate() - 1);
  }
  return out;
}

function formatDt(day: Date): TradingDay {
  return `${day.getUTCFullYear()}${String(day.getUTCMonth() + 1).padStart(2, '0')}${String(day.getUTCDate()).padStart(2, '0')}`;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** A tiny deterministic PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hashSeed(text: string): number {
  let hash = 2_166_136_261;
  for (const char of text) hash = Math.imul(hash ^ char.charCodeAt(0), 16_777_619);
  return hash >>> 0;
}
