// The Watchlist table's items → effective WatchSettings. People edit these
// items by hand in the DynamoDB console, so numbers arrive as numbers or as
// typed strings ("49", "49,49.5"), sets as JS Sets, and booleans as "true".
// One schema validates every item; every problem names its attribute, so one
// bad item is skipped with a reason instead of stopping a scan.
import { z } from 'zod';
import type { WatchSettings } from './types.ts';

/** The reserved item whose attributes every code inherits. */
export const DEFAULTS_KEY = '*';

export const STK_CD_PATTERN = /^[0-9A-Z]{6}(_NX|_AL)?$/;

export const NAME_MAX_LENGTH = 40;

/** Attributes a code inherits from `*` when its own item leaves them out. */
export const INHERITED_ATTRIBUTES = [
  'enabled',
  'limit_exh_rt_above',
  'limit_exh_rt_below',
  'limit_exh_rt_move_pp',
  'chg_qty_abs',
  'hysteresis_pp',
  'frgnr_limit_change',
  'confirm_days',
  'remind_every_days',
  'snooze_until',
  'exhaustion_days',
  'subject_template',
] as const;

/**
 * Rule attributes where an explicit null or "" means "off here", overriding
 * `*` (deleting the attribute would inherit instead). Elsewhere null is just
 * "not set".
 */
const OFF_WHEN_EMPTY: ReadonlySet<string> = new Set([
  'limit_exh_rt_above',
  'limit_exh_rt_below',
  'limit_exh_rt_move_pp',
  'chg_qty_abs',
  'remind_every_days',
  'snooze_until',
  'exhaustion_days',
  'subject_template',
]);

/** Placeholders a `subject_template` may use. */
export const SUBJECT_PLACEHOLDERS = ['stk_cd', 'name', 'rule', 'value', 'dt'] as const;

export const SUBJECT_TEMPLATE_MAX_LENGTH = 200;

export interface WatchProblem {
  attribute: string;
  message: string;
}

export type WatchResult =
  | { ok: true; settings: WatchSettings }
  | { ok: false; stkCd: string; problems: WatchProblem[] };

export type WatchFailure = Extract<WatchResult, { ok: false }>;

/** A rejected item, for callers that write (the CLI): same problems as WatchResult. */
export class WatchItemError extends Error {
  override readonly name = 'WatchItemError';
  readonly stkCd: string;
  readonly problems: WatchProblem[];

  constructor(failure: WatchFailure) {
    super(formatWatchProblems(failure));
    this.stkCd = failure.stkCd;
    this.problems = failure.problems;
  }
}

// ---------------------------------------------------------------- readers

class Invalid {
  constructor(readonly message: string) {}
}

function show(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function readBoolean(value: unknown, fallback: boolean): boolean | Invalid {
  if (isEmpty(value)) return fallback;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
  }
  return new Invalid(`${show(value)} is not true or false`);
}

const DECIMAL = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/;

/**
 * A percentage → integer basis points, exactly, from its decimal text:
 * 0.29 → 29 and 49.12 → 4912 with no float multiplication in between.
 */
function readPercentBp(value: unknown, range: { min: number; minInclusive: boolean }): number | Invalid {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return new Invalid(`${show(value)} is not a number`);
    // String() is the shortest text that reads back as the same double, i.e.
    // what the person typed; it only uses exponents below 1e-6 or above 1e21.
    text = String(value);
    if (/e/i.test(text)) {
      return Math.abs(value) < 1
        ? new Invalid(`${show(value)} has more than two decimals`)
        : new Invalid(`${show(value)} ${rangeText(range)}`);
    }
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return new Invalid(`${show(value)} is not a number`);
  }
  const match = DECIMAL.exec(text);
  const [, sign = '', whole = '', fraction = ''] = match ?? [];
  if (!match || whole + fraction === '') return new Invalid(`${show(value)} is not a number`);
  if (fraction.length > 2) return new Invalid(`${show(value)} has more than two decimals`);
  const magnitude = Number((whole + fraction.padEnd(2, '0')).replace(/^0+(?=[0-9])/, ''));
  const bp = sign === '-' && magnitude !== 0 ? -magnitude : magnitude;
  const aboveMin = range.minInclusive ? bp >= range.min : bp > range.min;
  if (!aboveMin || bp > 10_000) return new Invalid(`${show(value)} ${rangeText(range)}`);
  return bp;
}

function rangeText(range: { min: number; minInclusive: boolean }): string {
  return range.minInclusive ? 'must be between 0 and 100' : 'must be more than 0 and at most 100';
}

const THRESHOLD = { min: 0, minInclusive: true };
const POSITIVE = { min: 0, minInclusive: false };

/** One percentage or several: 49, "49", [49, "49.5"], "49,49.5", a number set. */
function readThresholdsBp(value: unknown): number[] | Invalid {
  if (isEmpty(value)) return [];
  let parts: unknown[];
  if (Array.isArray(value)) parts = value;
  else if (value instanceof Set) parts = [...value]; // a DynamoDB number set (NS)
  else if (typeof value === 'string') parts = value.split(',');
  else parts = [value];
  const bps: number[] = [];
  for (const part of parts) {
    const bp = readPercentBp(part, THRESHOLD);
    if (bp instanceof Invalid) return bp;
    bps.push(bp);
  }
  return [...new Set(bps)].sort((a, b) => a - b);
}

function readOptionalPercentBp(value: unknown): number | null | Invalid {
  return isEmpty(value) ? null : readPercentBp(value, POSITIVE);
}

function readHysteresisBp(value: unknown): number | Invalid {
  return isEmpty(value) ? 0 : readPercentBp(value, THRESHOLD);
}

/** Shares: a positive safe integer; "1,000,000" as typed is fine. */
function readShares(value: unknown): number | null | Invalid {
  if (isEmpty(value)) return null;
  let shares: number;
  if (typeof value === 'number') {
    shares = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (!/^[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)$/.test(text)) {
      return new Invalid(`${show(value)} is not a whole number of shares`);
    }
    shares = Number(text.replace(/[+,]/g, ''));
  } else {
    return new Invalid(`${show(value)} is not a whole number of shares`);
  }
  if (!Number.isInteger(shares)) return new Invalid(`${show(value)} is not a whole number of shares`);
  if (!Number.isSafeInteger(shares)) return new Invalid(`${show(value)} is too large`);
  if (shares <= 0) return new Invalid(`${show(value)} must be positive`);
  return shares;
}

/** A count of trading days: a positive whole number, as a number or typed text ("3"). */
function readDays(value: unknown): number | null | Invalid {
  if (isEmpty(value)) return null;
  let days: number;
  if (typeof value === 'number') days = value;
  else if (typeof value === 'string' && /^\+?[0-9]+$/.test(value.trim())) days = Number(value.trim());
  else return new Invalid(`${show(value)} is not a whole number of trading days`);
  if (!Number.isInteger(days)) return new Invalid(`${show(value)} is not a whole number of trading days`);
  if (days < 1) return new Invalid(`${show(value)} must be at least 1`);
  if (days > MAX_SETTING_DAYS) return new Invalid(`${show(value)} is more than ${MAX_SETTING_DAYS} trading days`);
  return days;
}

/** About four years of trading days: beyond it a setting is surely a typo. */
const MAX_SETTING_DAYS = 1000;

/** `YYYYMMDD` (dashes allowed as typed), a real calendar day. */
function readDay(value: unknown): string | null | Invalid {
  if (isEmpty(value)) return null;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim().replaceAll('-', '') : undefined;
  const m = text === undefined ? null : /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!m || text === undefined) return new Invalid(`${show(value)} is not a day (YYYYMMDD)`);
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (date.toISOString().slice(0, 10).replaceAll('-', '') !== text) {
    return new Invalid(`${show(value)} is not a calendar day`);
  }
  return text;
}

/** Known placeholders only, braces balanced, short enough to stay a subject once filled. */
function readSubjectTemplate(value: unknown): string | null | Invalid {
  if (isEmpty(value)) return null;
  if (typeof value !== 'string') return new Invalid(`${show(value)} is not text`);
  const template = value.trim();
  if ([...template].length > SUBJECT_TEMPLATE_MAX_LENGTH) {
    return new Invalid(`is longer than ${SUBJECT_TEMPLATE_MAX_LENGTH} characters`);
  }
  const known: readonly string[] = SUBJECT_PLACEHOLDERS;
  const unknown: string[] = [];
  const rest = template.replace(/\{([^{}]*)\}/g, (whole, key: string) => {
    if (!known.includes(key)) unknown.push(whole);
    return '';
  });
  if (unknown.length > 0) {
    return new Invalid(
      `has unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${known.map((k) => `{${k}}`).join(' ')})`,
    );
  }
  if (/[{}]/.test(rest)) return new Invalid('has an unmatched { or }');
  return template;
}

function readName(value: unknown): string | undefined | Invalid {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return new Invalid(`${show(value)} is not text`);
  const name = value.trim();
  if ([...name].length > NAME_MAX_LENGTH) {
    return new Invalid(`${show(name)} is longer than ${NAME_MAX_LENGTH} characters`);
  }
  return name === '' ? undefined : name;
}

function readStkCd(value: unknown): string | Invalid {
  if (value === undefined || value === null) return new Invalid('is missing');
  if (typeof value !== 'string') return new Invalid(`${show(value)} is not text`);
  if (value === DEFAULTS_KEY || STK_CD_PATTERN.test(value)) return value;
  return new Invalid(
    `${show(value)} is not a stock code (6 digits or capital letters, optionally _NX or _AL)`,
  );
}

/** A zod schema around a reader, so every message stays in one voice. */
function attribute<T>(read: (value: unknown) => T | Invalid) {
  // `.optional()` first: zod 4 reports an absent key as "nonoptional" unless
  // the schema says undefined is acceptable input (the reader decides).
  return z.unknown().optional().transform((value, ctx): T => {
    const result = read(value);
    if (result instanceof Invalid) {
      ctx.addIssue({ code: 'custom', message: result.message, input: value });
      return z.NEVER;
    }
    return result;
  });
}

// ---------------------------------------------------------------- schema

/**
 * A raw Watchlist item (after DynamoDB unmarshalling) → its WatchSettings.
 * Attributes it does not know are ignored: later features add their own.
 * `stk_cd` may be the defaults key `*`.
 */
export const watchItemSchema = z
  .object({
    stk_cd: attribute(readStkCd),
    enabled: attribute((v) => readBoolean(v, true)),
    name: attribute(readName),
    limit_exh_rt_above: attribute(readThresholdsBp),
    limit_exh_rt_below: attribute(readThresholdsBp),
    limit_exh_rt_move_pp: attribute(readOptionalPercentBp),
    chg_qty_abs: attribute(readShares),
    hysteresis_pp: attribute(readHysteresisBp),
    frgnr_limit_change: attribute((v) => readBoolean(v, true)),
    confirm_days: attribute(readDays),
    remind_every_days: attribute(readDays),
    snooze_until: attribute(readDay),
    exhaustion_days: attribute(readDays),
    subject_template: attribute(readSubjectTemplate),
  })
  .transform(
    (item): WatchSettings => ({
      stkCd: item.stk_cd,
      enabled: item.enabled,
      ...(item.name === undefined ? {} : { name: item.name }),
      aboveBp: item.limit_exh_rt_above,
      belowBp: item.limit_exh_rt_below,
      moveBp: item.limit_exh_rt_move_pp,
      chgQtyAbs: item.chg_qty_abs,
      hysteresisBp: item.hysteresis_pp,
      frgnrLimitChange: item.frgnr_limit_change,
      // Only what is set: an item without the newer attributes keeps exactly
      // the settings it always had.
      ...(item.confirm_days === null ? {} : { confirmDays: item.confirm_days }),
      ...(item.remind_every_days === null ? {} : { remindEveryDays: item.remind_every_days }),
      ...(item.snooze_until === null ? {} : { snoozeUntil: item.snooze_until }),
      ...(item.exhaustion_days === null ? {} : { exhaustionDays: item.exhaustion_days }),
      ...(item.subject_template === null ? {} : { subjectTemplate: item.subject_template }),
    }),
  );

function stkCdOf(item: unknown): string {
  const value = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).stk_cd : undefined;
  return typeof value === 'string' ? value : '(no stk_cd)';
}

function validate(
  item: Record<string, unknown>,
  inherited: ReadonlySet<string> = new Set(),
  extraProblems: WatchProblem[] = [],
): WatchResult {
  const parsed = watchItemSchema.safeParse(item);
  const problems = [...extraProblems];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const attribute = issue.path.length > 0 ? issue.path.map(String).join('.') : '(item)';
      const key = String(issue.path[0] ?? '');
      problems.push({
        attribute,
        message: inherited.has(key)
          ? `${issue.message} (inherited from watchlist item ${DEFAULTS_KEY})`
          : issue.message,
      });
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, stkCd: stkCdOf(item), problems };
  return { ok: true, settings: parsed.data };
}

/**
 * A code's effective settings: `defaults` (the `*` item) merged under `item`
 * attribute by attribute, then validated. `name` and `stk_cd` are never
 * inherited: they describe one code.
 */
export function resolveWatchSettings(
  item: Record<string, unknown>,
  defaults?: Record<string, unknown>,
): WatchResult {
  const merged: Record<string, unknown> = { ...item };
  const inherited = new Set<string>();
  for (const key of INHERITED_ATTRIBUTES) {
    const own = item[key];
    const ownIsSet = own !== undefined && (own !== null || OFF_WHEN_EMPTY.has(key));
    if (!ownIsSet && defaults !== undefined && defaults[key] !== undefined) {
      merged[key] = defaults[key];
      inherited.add(key);
    }
  }
  const extra: WatchProblem[] =
    item.stk_cd === DEFAULTS_KEY
      ? [{ attribute: 'stk_cd', message: `"${DEFAULTS_KEY}" holds defaults, not a stock code` }]
      : [];
  return validate(merged, inherited, extra);
}

/** The `*` item on its own: its settings as a code would inherit them all. */
export function validateDefaultsItem(item: Record<string, unknown>): WatchResult {
  const extra: WatchProblem[] =
    item.stk_cd === DEFAULTS_KEY
      ? []
      : [{ attribute: 'stk_cd', message: `${show(item.stk_cd)} is not the defaults item "${DEFAULTS_KEY}"` }];
  return validate(item, new Set(), extra);
}

/** One log line: `watchlist item 005930: limit_exh_rt_above "49.123" has more than two decimals`. */
export function formatWatchProblems(result: WatchFailure): string {
  const details = result.problems.map((p) => `${p.attribute} ${p.message}`).join('; ');
  return `watchlist item ${result.stkCd}: ${details}`;
}

// ---------------------------------------------------------------- writing

/**
 * What the CLI writes, percentages as numbers (49.5 = 49.5 %). `undefined`
 * leaves the attribute out (the code inherits it from `*`); `null` on a rule
 * switches that rule off for this code even when `*` sets it.
 */
export interface WatchItemInput {
  stkCd: string;
  enabled?: boolean;
  name?: string;
  limitExhRtAbove?: number | readonly number[] | null;
  limitExhRtBelow?: number | readonly number[] | null;
  limitExhRtMovePp?: number | null;
  chgQtyAbs?: number | null;
  hysteresisPp?: number;
  frgnrLimitChange?: boolean;
  confirmDays?: number | null;
  remindEveryDays?: number | null;
  /** `YYYYMMDD`. */
  snoozeUntil?: string | null;
  exhaustionDays?: number | null;
  subjectTemplate?: string | null;
}

/** A DynamoDB-ready Watchlist item, attribute names as stored. */
export interface WatchItemRecord {
  stk_cd: string;
  enabled?: boolean;
  name?: string;
  limit_exh_rt_above?: number | number[] | null;
  limit_exh_rt_below?: number | number[] | null;
  limit_exh_rt_move_pp?: number | null;
  chg_qty_abs?: number | null;
  hysteresis_pp?: number;
  frgnr_limit_change?: boolean;
  confirm_days?: number | null;
  remind_every_days?: number | null;
  snooze_until?: string | null;
  exhaustion_days?: number | null;
  subject_template?: string | null;
}

// bp / 100 is correctly rounded, so 4912 / 100 is the same double as 49.12.
const percentOf = (bp: number): number => bp / 100;

function thresholdsAttribute(bps: number[]): number | number[] {
  return bps.length === 1 ? percentOf(bps[0] as number) : bps.map(percentOf);
}

/**
 * The inverse of resolveWatchSettings for one item: validated by the same
 * schema, normalised (thresholds ascending and distinct). Throws
 * WatchItemError naming every bad attribute.
 */
export function toWatchItem(input: WatchItemInput): WatchItemRecord {
  const draft: Record<string, unknown> = {
    stk_cd: input.stkCd,
    enabled: input.enabled,
    name: input.name,
    limit_exh_rt_above: input.limitExhRtAbove,
    limit_exh_rt_below: input.limitExhRtBelow,
    limit_exh_rt_move_pp: input.limitExhRtMovePp,
    chg_qty_abs: input.chgQtyAbs,
    hysteresis_pp: input.hysteresisPp,
    frgnr_limit_change: input.frgnrLimitChange,
    confirm_days: input.confirmDays,
    remind_every_days: input.remindEveryDays,
    snooze_until: input.snoozeUntil,
    exhaustion_days: input.exhaustionDays,
    subject_template: input.subjectTemplate,
  };
  const result = validate(draft);
  if (!result.ok) throw new WatchItemError(result);
  const s = result.settings;
  const record: WatchItemRecord = { stk_cd: s.stkCd };
  if (input.enabled !== undefined) record.enabled = s.enabled;
  if (s.name !== undefined) record.name = s.name;
  if (input.limitExhRtAbove !== undefined) {
    record.limit_exh_rt_above = input.limitExhRtAbove === null ? null : thresholdsAttribute(s.aboveBp);
  }
  if (input.limitExhRtBelow !== undefined) {
    record.limit_exh_rt_below = input.limitExhRtBelow === null ? null : thresholdsAttribute(s.belowBp);
  }
  if (input.limitExhRtMovePp !== undefined) {
    record.limit_exh_rt_move_pp = s.moveBp === null ? null : percentOf(s.moveBp);
  }
  if (input.chgQtyAbs !== undefined) record.chg_qty_abs = s.chgQtyAbs;
  if (input.hysteresisPp !== undefined) record.hysteresis_pp = percentOf(s.hysteresisBp);
  if (input.frgnrLimitChange !== undefined) record.frgnr_limit_change = s.frgnrLimitChange;
  if (input.confirmDays !== undefined) record.confirm_days = s.confirmDays ?? null;
  if (input.remindEveryDays !== undefined) record.remind_every_days = s.remindEveryDays ?? null;
  if (input.snoozeUntil !== undefined) record.snooze_until = s.snoozeUntil ?? null;
  if (input.exhaustionDays !== undefined) record.exhaustion_days = s.exhaustionDays ?? null;
  if (input.subjectTemplate !== undefined) record.subject_template = s.subjectTemplate ?? null;
  return record;
}
