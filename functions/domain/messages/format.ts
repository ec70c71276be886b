// The shared forms every channel writes: shares and won with thousands
// separators, basis points as percentages, trading days, and lines that must
// stay one line of a bounded length.
import type { Alert, TradingDay } from '../types.ts';

/** 1234567 → "1,234,567"; integers only (shares, won). */
export function formatShares(n: number): string {
  const digits = String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

export function formatSignedShares(n: number): string {
  return n > 0 ? `+${formatShares(n)}` : formatShares(n);
}

/** `chg_qty` is the day's change in foreign-held shares (변동수량), not net buying or selling. */
export function holdingsChangeText(chgQty: number): string {
  return `${formatShares(Math.abs(chgQty))}주 ${chgQty > 0 ? '증가' : '감소'}`;
}

/** 4912 → "49.12%", from integer arithmetic so no float rounding can show. */
export function formatPercentBp(bp: number): string {
  return `${percentDigits(bp)}%`;
}

/** A change in percentage points: 17 → "+0.17%p". */
export function formatPointsBp(bp: number): string {
  return `${bp > 0 ? '+' : ''}${percentDigits(bp)}%p`;
}

function percentDigits(bp: number): string {
  const rounded = Math.round(bp);
  const abs = Math.abs(rounded);
  const whole = formatShares(Math.trunc(abs / 100));
  const cents = String(abs % 100).padStart(2, '0');
  return `${rounded < 0 ? '-' : ''}${whole}.${cents}`;
}

/** Thresholds read better without trailing zeros: 4900 → "49", 4950 → "49.5". */
export function formatCompactPercentBp(bp: number): string {
  return `${percentDigits(bp).replace(/\.?0+$/, '')}%`;
}

/** "20241105" → "2024-11-05". */
export function formatTradingDay(dt: TradingDay): string {
  return /^\d{8}$/.test(dt) ? `${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)}` : dt;
}

/** "20241105" → "11/05", for the SMS. */
export function shortTradingDay(dt: TradingDay): string {
  return /^\d{8}$/.test(dt) ? `${dt.slice(4, 6)}/${dt.slice(6, 8)}` : dt;
}

/**
 * Names come from people editing the watchlist (and from ledger entries
 * written before the schema refused such names): control characters (CR/LF
 * above all) would break a subject line or an SMS into several, and
 * invisible formatting characters (a right-to-left override, zero-width
 * marks) would make it read as something else. Controls and line separators
 * become a space; every other `\p{C}` character is dropped.
 */
export function singleLine(text: string): string {
  return text
    .replace(/[\p{Cc}\u2028\u2029]+/gu, ' ')
    .replace(/\p{C}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The alert's name as one line, else its code. */
export function displayName(alert: Pick<Alert, 'name' | 'stkCd'>): string {
  return singleLine(alert.name ?? '') || singleLine(alert.stkCd);
}

/**
 * Builds a line with `name` in it and, if it is too long, shortens the name
 * (whole code points, ending in "…") until it fits; as a last resort cuts the
 * line itself. Lengths are JS string lengths, as SMS counts UCS-2 units.
 */
export function fitWithName(build: (name: string) => string, name: string, max: number): string {
  const full = build(name);
  if (full.length <= max) return full;
  const chars = Array.from(name).slice(0, max);
  for (let keep = chars.length - 1; keep >= 0; keep--) {
    const line = build(`${chars.slice(0, keep).join('')}…`);
    if (line.length <= max) return line;
  }
  return cutTo(build(''), max);
}

function cutTo(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = '';
  for (const ch of text) {
    if (cut.length + ch.length > max - 1) break;
    cut += ch;
  }
  return `${cut}…`;
}

/**
 * A rule this version does not know (a ledger entry written by a newer one):
 * still one short line rather than a crash while building the message.
 */
export function unknownRule(rule: never): string {
  return `알림 ${String(rule ?? '')}`.trim();
}
