// One ka10008 `stk_frgnr` row → a typed Snapshot in exact units. A row that
// cannot be read exactly is rejected as a whole, with the field, raw value and
// code named; the other rows of the response still parse.
import {
  parseBasisPoints,
  parseKiwoomInteger,
  parseKiwoomPrice,
  RowError,
  RowValueError,
  type IntegerOptions,
} from './numbers.ts';
import { RAW_ROW_FIELDS, type RawRow, type Snapshot, type TradingDay } from './types.ts';

export { RowError, RowValueError } from './numbers.ts';

/** The row is not an object, or a field is missing or not a string. */
export class RowShapeError extends RowError {
  override readonly name = 'RowShapeError';
  /** The missing or mistyped field; null when the row itself is not an object. */
  readonly field: string | null;

  constructor(details: { stkCd: string; field: string | null; problem: string; dt?: TradingDay | null }) {
    super(details.stkCd, details.dt ?? null, details.field ? `${details.field} ${details.problem}` : details.problem);
    this.field = details.field;
  }
}

/**
 * `YYYYMMDD` naming a real calendar date. Weekdays are not checked: KRX
 * traded on Saturdays until 2000, and ka10008 only lists days that traded.
 */
export function isTradingDay(s: unknown): s is TradingDay {
  if (typeof s !== 'string' || !/^[0-9]{8}$/.test(s)) return false;
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(4, 6));
  const day = Number(s.slice(6, 8));
  // "00000000"-style placeholders are not days; the exchange postdates 1900.
  if (year < 1900) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Every field present and a string, copied without any extra attributes. */
function readRawRow(stkCd: string, raw: unknown): RawRow {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new RowShapeError({ stkCd, field: null, problem: `row is ${describe(raw)}, not an object` });
  }
  const record = raw as Record<string, unknown>;
  const dt = typeof record.dt === 'string' && isTradingDay(record.dt) ? record.dt : null;
  const row: Partial<RawRow> = {};
  for (const field of RAW_ROW_FIELDS) {
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    if (value === undefined) throw new RowShapeError({ stkCd, field, problem: 'is missing', dt });
    if (typeof value !== 'string') {
      throw new RowShapeError({ stkCd, field, problem: `is ${describe(value)}, not a string`, dt });
    }
    row[field] = value;
  }
  return row as RawRow;
}

const UNSIGNED: IntegerOptions = { unsigned: true };

/** One row → a Snapshot. Throws only RowError (RowValueError or RowShapeError). */
export function parseRow(stkCd: string, raw: unknown): Snapshot {
  const row = readRawRow(stkCd, raw);
  if (!isTradingDay(row.dt)) {
    throw new RowValueError({ stkCd, field: 'dt', raw: row.dt, reason: 'is not a trading day (YYYYMMDD)' });
  }
  const dt = row.dt;
  try {
    const close = parseKiwoomPrice(row.close_pric, 'close_pric', stkCd);
    return {
      stkCd,
      dt,
      closePrice: close?.price ?? null,
      closeDirection: close?.direction ?? null,
      predPre: parseKiwoomInteger(row.pred_pre, 'pred_pre', stkCd),
      tradeQty: parseKiwoomInteger(row.trde_qty, 'trde_qty', stkCd, UNSIGNED),
      chgQty: parseKiwoomInteger(row.chg_qty, 'chg_qty', stkCd),
      possStkcnt: parseKiwoomInteger(row.poss_stkcnt, 'poss_stkcnt', stkCd, UNSIGNED),
      // Signed: "-900.00" weights occur in real rows; nothing reads wght for a decision.
      wghtBp: parseBasisPoints(row.wght, 'wght', stkCd),
      // Signed: holdings can exceed a lowered limit, leaving negative room.
      gainPosStkcnt: parseKiwoomInteger(row.gain_pos_stkcnt, 'gain_pos_stkcnt', stkCd),
      frgnrLimit: parseKiwoomInteger(row.frgnr_limit, 'frgnr_limit', stkCd, UNSIGNED),
      frgnrLimitIrds: parseKiwoomInteger(row.frgnr_limit_irds, 'frgnr_limit_irds', stkCd),
      limitExhRtBp: parseBasisPoints(row.limit_exh_rt, 'limit_exh_rt', stkCd),
      row,
    };
  } catch (error) {
    if (error instanceof RowValueError) throw error.onDay(dt);
    throw error;
  }
}

/** Every row of a response, in input order (newest first); bad rows become errors. */
export function parseRows(stkCd: string, rows: readonly unknown[]): { snapshots: Snapshot[]; errors: RowError[] } {
  const snapshots: Snapshot[] = [];
  const errors: RowError[] = [];
  for (const raw of rows) {
    try {
      snapshots.push(parseRow(stkCd, raw));
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      errors.push(error);
    }
  }
  return { snapshots, errors };
}
