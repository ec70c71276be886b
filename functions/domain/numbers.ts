// Kiwoom's number strings, read exactly. Every ka10008 field is a string that
// may carry a sign ("+26.10", "-3441"), zero padding ("000123"), nothing at
// all ("") or the saturated 4294967295 (also signed, "-4294967295", and with
// decimals, "4294967295.00"). Parsing never goes through a float and never
// turns "unknown" into 0: "" is null, not Number("") === 0.
import type { PriceDirection, TradingDay } from './types.ts';

/** The unsigned 32-bit maximum: Kiwoom's placeholder for a value it does not have. */
export const SATURATED = '4294967295';

/** Longest raw value quoted in an error message; rows are data, not logs. */
const MAX_QUOTED = 40;

function quote(raw: string): string {
  const shown = raw.length > MAX_QUOTED ? `${raw.slice(0, MAX_QUOTED)}…` : raw;
  return JSON.stringify(shown);
}

/** Base of every reason a ka10008 row is rejected; callers branch on the class. */
export abstract class RowError extends Error {
  readonly stkCd: string;
  /** The row's trading day when it was readable, else null. */
  readonly dt: TradingDay | null;

  protected constructor(stkCd: string, dt: TradingDay | null, message: string, options?: ErrorOptions) {
    super(`${stkCd}${dt ? ` ${dt}` : ''}: ${message}`, options);
    this.stkCd = stkCd;
    this.dt = dt;
  }
}

/** One field's string is not a value of that field's kind. */
export class RowValueError extends RowError {
  override readonly name = 'RowValueError';
  readonly field: string;
  readonly raw: string;
  /** What is wrong with the value, e.g. "is not a number". */
  readonly reason: string;

  constructor(
    details: { stkCd: string; field: string; raw: string; reason: string; dt?: TradingDay | null },
    options?: ErrorOptions,
  ) {
    super(details.stkCd, details.dt ?? null, `${details.field} ${quote(details.raw)} ${details.reason}`, options);
    this.field = details.field;
    this.raw = details.raw;
    this.reason = details.reason;
  }

  /** The same error, placed on its row's day once the caller knows it. */
  onDay(dt: TradingDay): RowValueError {
    return new RowValueError(
      { stkCd: this.stkCd, field: this.field, raw: this.raw, reason: this.reason, dt },
      { cause: this },
    );
  }
}

export interface IntegerOptions {
  /**
   * Fields that cannot be negative (holdings, volume, the limit). A minus
   * sign there is rejected, not ignored: README "Data quality" reports
   * historic negative holdings, and guessing their meaning would be silent.
   */
  unsigned?: boolean;
}

const INTEGER = /^([+-]?)([0-9]+)$/;
// Kiwoom writes percentages with two decimals; one is tolerated ("26.1").
const DECIMAL = /^([+-]?)([0-9]+)(?:\.([0-9]+))?$/;

/** Digits → a safe integer, or null when out of the safe range. */
function safeFromDigits(digits: string): number | null {
  const stripped = digits.replace(/^0+(?=[0-9])/, '');
  // Number() of a digit string is exact up to 2^53 and rounds monotonically
  // beyond, so anything unsafe still fails isSafeInteger.
  const value = Number(stripped);
  return Number.isSafeInteger(value) ? value : null;
}

function isSaturated(digits: string): boolean {
  return digits.replace(/^0+(?=[0-9])/, '') === SATURATED;
}

/** Builds the error for a bad `raw` in `field`. */
function failure(raw: string, field: string, stkCd: string): (reason: string) => RowValueError {
  return (reason) => new RowValueError({ stkCd, field, raw: String(raw), reason });
}

/** The sign and digits of a whole number; null for "". Anything else throws. */
function integerParts(raw: string, fail: (reason: string) => RowValueError): { sign: string; digits: string } | null {
  if (typeof raw !== 'string') throw fail('is not a string');
  if (raw === '') return null;
  const match = INTEGER.exec(raw);
  if (!match) {
    throw DECIMAL.test(raw) ? fail('is not a whole number') : fail('is not a number');
  }
  const [, sign = '', digits = ''] = match;
  return { sign, digits };
}

function signed(sign: string, magnitude: number): number {
  // -0 would compare equal but print and serialise oddly; zero has no sign.
  return sign === '-' && magnitude !== 0 ? -magnitude : magnitude;
}

/**
 * A whole number (share count, won) from Kiwoom's string form.
 * `""` and the saturated 4294967295, whatever its sign, are null (unknown).
 */
export function parseKiwoomInteger(
  raw: string,
  field: string,
  stkCd: string,
  options: IntegerOptions = {},
): number | null {
  const fail = failure(raw, field, stkCd);
  const parts = integerParts(raw, fail);
  if (parts === null) return null;
  const { sign, digits } = parts;
  // Signed fields carry the placeholder with a sign too ("-4294967295"): no
  // real holding or daily change is four billion shares, in either direction.
  if (isSaturated(digits)) return null;
  const magnitude = safeFromDigits(digits);
  if (magnitude === null) throw fail('is out of the safe integer range');
  if (options.unsigned && sign === '-' && magnitude !== 0) throw fail('is negative, which this field cannot be');
  return signed(sign, magnitude);
}

/**
 * A percentage with at most two decimals as integer basis points:
 * "+26.10" → 2610, "26.1" → 2610, "-0.05" → -5. `""` and the saturated
 * 4294967295 ("-4294967295", "4294967295.00") are null.
 */
export function parseBasisPoints(raw: string, field: string, stkCd: string): number | null {
  const fail = failure(raw, field, stkCd);
  if (typeof raw !== 'string') throw fail('is not a string');
  if (raw === '') return null;
  const match = DECIMAL.exec(raw);
  if (!match) throw fail('is not a number');
  const [, sign = '', whole = '', fraction] = match;
  if (isSaturated(whole) && /^0*$/.test(fraction ?? '')) return null;
  if (fraction !== undefined && fraction.length > 2) throw fail('has more than two decimals');
  // Concatenating the digit strings is the exact ×100: no float ever holds 26.1.
  const magnitude = safeFromDigits(whole + (fraction ?? '').padEnd(2, '0'));
  if (magnitude === null) throw fail('is out of the safe integer range');
  return signed(sign, magnitude);
}

export interface KiwoomPrice {
  /** Won, always positive. */
  price: number;
  /** The sign Kiwoom put on the price: its direction against the previous close. */
  direction: PriceDirection;
}

/**
 * `close_pric`: the sign is the direction against the previous close, not a
 * negative price ("-65000" is 65,000 won, down). `""`, 4294967295 and a zero
 * price ("0", "+0": no trade printed a close) are null. No rule reads the
 * price, so an unknown one must not cost the day its other figures.
 */
export function parseKiwoomPrice(raw: string, field: string, stkCd: string): KiwoomPrice | null {
  const fail = failure(raw, field, stkCd);
  const parts = integerParts(raw, fail);
  if (parts === null) return null;
  const { sign, digits } = parts;
  if (isSaturated(digits)) return null;
  const price = safeFromDigits(digits);
  if (price === null) throw fail('is out of the safe integer range');
  if (price === 0) return null;
  return { price, direction: sign === '+' ? 'up' : sign === '-' ? 'down' : 'unchanged' };
}

export interface KiwoomFormatOptions {
  /** Prefix positive values with "+", as Kiwoom does; zero never carries a sign. */
  sign?: boolean;
}

function signPrefix(value: number, options: KiwoomFormatOptions): string {
  if (value < 0) return '-';
  return value > 0 && options.sign ? '+' : '';
}

/** Basis points in Kiwoom's percentage form: 2610 → "+26.10", -5 → "-0.05", 0 → "0.00". */
export function formatBasisPoints(bp: number, options: KiwoomFormatOptions = {}): string {
  if (!Number.isSafeInteger(bp)) throw new RangeError(`basis points must be a safe integer, got ${bp}`);
  const magnitude = Math.abs(bp);
  const whole = Math.floor(magnitude / 100);
  const fraction = String(magnitude % 100).padStart(2, '0');
  return `${signPrefix(bp, options)}${whole}.${fraction}`;
}

/** An integer in Kiwoom's form: 3441 → "+3441" with `sign`, -3441 → "-3441", 0 → "0". */
export function formatKiwoomInteger(value: number, options: KiwoomFormatOptions = {}): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`value must be a safe integer, got ${value}`);
  return `${signPrefix(value, options)}${Math.abs(value)}`;
}
