// The Watchlist table's items → effective WatchSettings. People edit these
// items by hand in the DynamoDB console, so numbers arrive as numbers or as
// typed strings ("49", "49,49.5"), sets as JS Sets, and booleans as "true".
// One schema validates every item; every problem names its attribute, so one
// bad item is skipped with a reason instead of stopping a scan.
import { z } from 'zod';
import { SUBJECT_MAX_CHARS, SUBJECT_TAG, subjectTemplateLongest } from './messages.ts';
import type { TradingDay, WatchSettings } from './types.ts';

/** The reserved item whose attributes every code inherits. */
export const DEFAULTS_KEY = '*';

export const STK_CD_PATTERN = /^[0-9A-Z]{6}(_NX|_AL)?$/;

/** In UTF-16 units, as an SMS and a Subject count them. */
export const NAME_MAX_LENGTH = 40;

/** More thresholds than this on one side is a typo, not a plan. */
export const MAX_THRESHOLDS_PER_SIDE = 20;

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

/** `\uXXXX` for each UTF-16 unit of a character that must not reach a terminal or a subject as itself. */
export function escapeInvisible(text: string): string {
  return text.replace(/\p{C}/gu, (ch) =>
    [...Array(ch.length).keys()].map((i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

function show(value: unknown): string {
  if (typeof value === 'string') {
    // JSON escapes C0 controls only; a bidi override or a C1 control would still act.
    return escapeInvisible(JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value));
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

/**
 * The one form a percentage may take, typed in the CLI or stored: digits,
 * optionally a point and more digits, optionally a sign. "49." and ".5"
 * are refused (in both places) rather than guessed at.
 */
const DECIMAL = /^([+-]?)([0-9]+)(?:\.([0-9]+))?$/;

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
  if (!match) return new Invalid(`${show(value)} is not a number${decimalHint(text)}`);
  const [, sign = '', whole = '', fraction = ''] = match;
  if (fraction.length > 2) return new Invalid(`${show(value)} has more than two decimals`);
  const bp = Number((whole + fraction.padEnd(2, '0')).replace(/^0+(?=[0-9])/, ''));
  // No percentage here is negative, and "-0" is a typo whatever it rounds to.
  const aboveMin = range.minInclusive ? bp >= range.min : bp > range.min;
  if (sign === '-' || !aboveMin || bp > 10_000) return new Invalid(`${show(value)} ${rangeText(range)}`);
  return bp;
}

/** What to write instead of a half-written decimal. */
function decimalHint(text: string): string {
  if (/^[+-]?\.[0-9]+$/.test(text)) return `: write a digit before the point (${text.replace(/^([+-]?)\./, '$10.')})`;
  if (/^[+-]?[0-9]+\.$/.test(text)) return `: write digits after the point or none (${text.slice(0, -1)})`;
  return '';
}

function rangeText(range: { min: number; minInclusive: boolean }): string {
  return range.minInclusive ? 'must be between 0 and 100' : 'must be more than 0 and at most 100';
}

/** A crossing of 0% can never happen (the rate is never below 0), so a threshold is more than 0. */
const POSITIVE = { min: 0, minInclusive: false };
const NON_NEGATIVE = { min: 0, minInclusive: true };

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
    const bp = readPercentBp(part, POSITIVE);
    if (bp instanceof Invalid) return bp;
    bps.push(bp);
  }
  const distinct = [...new Set(bps)].sort((a, b) => a - b);
  if (distinct.length > MAX_THRESHOLDS_PER_SIDE) {
    return new Invalid(`has ${distinct.length} thresholds; an item holds at most ${MAX_THRESHOLDS_PER_SIDE} a side`);
  }
  return distinct;
}

function readOptionalPercentBp(value: unknown): number | null | Invalid {
  return isEmpty(value) ? null : readPercentBp(value, POSITIVE);
}

function readHysteresisBp(value: unknown): number | Invalid {
  return isEmpty(value) ? 0 : readPercentBp(value, NON_NEGATIVE);
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

/** The two ways a day may be written, exactly; anything else ("2024-1-1-05") is refused, not guessed at. */
const DAY_FORMS = [/^(\d{4})(\d{2})(\d{2})$/, /^(\d{4})-(\d{2})-(\d{2})$/];

export const DAY_FORMAT_TEXT = 'YYYYMMDD or YYYY-MM-DD';

/**
 * `YYYYMMDD` or `YYYY-MM-DD` → `YYYYMMDD`; `format` when it is neither,
 * `calendar` when it names no real day (20250230). The CLI reads its day
 * options with this too, so both accept exactly the same text.
 */
export function parseDayText(text: string): TradingDay | { problem: 'format' | 'calendar' } {
  const m = DAY_FORMS.map((form) => form.exec(text.trim())).find((match) => match !== null);
  if (!m) return { problem: 'format' };
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { problem: 'calendar' };
  }
  return `${m[1]}${m[2]}${m[3]}`;
}

/** `YYYYMMDD` or `YYYY-MM-DD` (or the number 20250310), a real calendar day. */
function readDay(value: unknown): string | null | Invalid {
  if (isEmpty(value)) return null;
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : typeof value === 'string' ? value : undefined;
  const day = text === undefined ? { problem: 'format' as const } : parseDayText(text);
  if (typeof day === 'string') return day;
  return new Invalid(day.problem === 'calendar' ? `${show(value)} is not a calendar day` : `${show(value)} is not a day (${DAY_FORMAT_TEXT})`);
}

/**
 * Text shown in subjects, SMS and terminals may hold no `\p{C}` character:
 * a newline or ESC sequence can rewrite the operator's terminal (or its
 * clipboard, OSC 52), and a right-to-left override or zero-width mark can
 * make a Subject read as something else.
 */
function invisibleCharacters(text: string): Invalid | undefined {
  const found = [...new Set(text.match(/\p{C}/gu) ?? [])];
  if (found.length === 0) return undefined;
  const named = found.map((ch) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`).join(', ');
  return new Invalid(
    `${show(text)} contains ${named}, a control or invisible formatting character (it could rewrite a terminal or disguise an alert)`,
  );
}

/** Whether the template, filled with the longest values, fits a Subject; if not, by how much. */
function subjectTemplateTooLong(template: string): Invalid | undefined {
  const longest = subjectTemplateLongest(template, NAME_MAX_LENGTH);
  const over = longest.length - SUBJECT_MAX_CHARS;
  if (over <= 0) return undefined;
  return new Invalid(
    `is ${over} character${over > 1 ? 's' : ''} too long: filled with the longest values ` +
      `(a ${NAME_MAX_LENGTH}-character {name}, {value} ${JSON.stringify(longest.value)}) ` +
      `behind the ${SUBJECT_TAG}[정정][재발송] tags it makes a ${longest.length}-character subject, ` +
      `and a subject may have ${SUBJECT_MAX_CHARS}`,
  );
}

/** Known placeholders only, braces balanced, no invisible characters, short enough to fit a subject once filled. */
function readSubjectTemplate(value: unknown): string | null | Invalid {
  if (isEmpty(value)) return null;
  if (typeof value !== 'string') return new Invalid(`${show(value)} is not text`);
  const invisible = invisibleCharacters(value);
  if (invisible) return invisible;
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
  return subjectTemplateTooLong(template) ?? template;
}

function readName(value: unknown): string | undefined | Invalid {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return new Invalid(`${show(value)} is not text`);
  const invisible = invisibleCharacters(value);
  if (invisible) return invisible;
  const name = value.trim();
  if (name.length > NAME_MAX_LENGTH) {
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
 * What the CLI writes. Numbers may come as numbers or as the text the user
 * typed ("49,49.5", "10,000,000"): the CLI hands its option text to this
 * schema as it is, so it accepts exactly what a stored item may hold.
 * Percentages are in percent (49.5 = 49.5 %). `undefined` leaves the
 * attribute out (the code inherits it from `*`); `null` on a rule switches
 * that rule off for this code even when `*` sets it.
 */
export interface WatchItemInput {
  stkCd: string;
  enabled?: boolean;
  name?: string;
  limitExhRtAbove?: number | string | readonly (number | string)[] | null;
  limitExhRtBelow?: number | string | readonly (number | string)[] | null;
  limitExhRtMovePp?: number | string | null;
  chgQtyAbs?: number | string | null;
  hysteresisPp?: number | string;
  frgnrLimitChange?: boolean;
  confirmDays?: number | string | null;
  remindEveryDays?: number | string | null;
  /** `YYYYMMDD` or `YYYY-MM-DD`. */
  snoozeUntil?: string | null;
  exhaustionDays?: number | string | null;
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
