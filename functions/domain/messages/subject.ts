// The email Subject: the built-in one, or the code's `subject_template`
// filled in, always behind the [kfa] tag mail filters key on. Also the short
// rule summaries and value texts the digest reuses, and the check that a
// template fits a Subject with the longest values it can be filled with.
import type { Alert, RuleId } from '../types.ts';
import {
  displayName,
  fitWithName,
  formatCompactPercentBp,
  formatPercentBp,
  formatPointsBp,
  formatShares,
  formatSignedShares,
  formatTradingDay,
  holdingsChangeText,
  singleLine,
  unknownRule,
} from './format.ts';
import { isCrossing } from './payload.ts';

/** SNS: "Subjects must be … less than 100 characters long." */
export const SUBJECT_MAX_CHARS = 99;

/** Leads every Subject, a template's too, so a mail filter on it always matches. */
export const SUBJECT_TAG = '[kfa]';

/** What happened, in a few words: the subject's middle and a digest row. */
export function subjectSummary(alert: Alert): string {
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
      return `한도소진률 ${formatCompactPercentBp(alert.threshold ?? alert.value)} 상향 돌파`;
    case 'limit_exh_rt_cross_down':
      return `한도소진률 ${formatCompactPercentBp(alert.threshold ?? alert.value)} 하향 이탈`;
    case 'limit_exh_rt_move':
      return `한도소진률 ${formatPointsBp(alert.value - alert.previousValue)} 변동`;
    case 'chg_qty_abs':
      return `외국인 보유 ${holdingsChangeText(alert.value)}`;
    case 'frgnr_limit_change':
      return `외국인한도 변경 ${formatShares(alert.previousValue)}→${formatShares(alert.value)}주`;
    case 'limit_exh_rt_still_beyond':
      return `한도소진률 ${formatCompactPercentBp(alert.threshold ?? alert.value)} ${alert.direction === 'up' ? '이상' : '미만'} 지속`;
    case 'limit_exhaustion_forecast':
      return `외국인 한도 소진 약 ${alert.value}거래일 추정`;
    default:
      return unknownRule(alert.rule);
  }
}

/** `[kfa]`, then `[정정]` for a revision and `[재발송]` for a resend. */
function subjectTags(revision: boolean, resend: boolean): string {
  return `${SUBJECT_TAG}${revision ? '[정정]' : ''}${resend ? '[재발송]' : ''}`;
}

export function buildSubject(alert: Alert, resend: boolean): string {
  const tags = subjectTags(alert.revision, resend);
  const code = singleLine(alert.stkCd);
  const confirmed = alert.since !== undefined && isCrossing(alert.rule) ? ' 확정' : '';
  const tail = `(${code}) ${subjectSummary(alert)}${confirmed} ${formatTradingDay(alert.dt)}`;
  return fitWithName((name) => singleLine(`${tags} ${name}${tail}`), displayName(alert), SUBJECT_MAX_CHARS);
}

// ---------------------------------------------------------------- subject templates

/** How a rule reads in a subject template's {rule} and in the digest table. */
export const RULE_LABELS_KO: Readonly<Record<RuleId, string>> = {
  limit_exh_rt_cross_up: '한도소진률 상향 돌파',
  limit_exh_rt_cross_down: '한도소진률 하향 이탈',
  limit_exh_rt_move: '한도소진률 급변',
  chg_qty_abs: '외국인 보유 대량 변동',
  frgnr_limit_change: '외국인한도 변경',
  limit_exh_rt_still_beyond: '한도소진률 기준 밖 지속',
  limit_exhaustion_forecast: '외국인 한도 소진 추정',
};

/** The alert's current value with its unit: "49.12%", "+1,234,567주", "20거래일". */
export function alertValueText(alert: Pick<Alert, 'rule' | 'value'>): string {
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
    case 'limit_exh_rt_cross_down':
    case 'limit_exh_rt_move':
    case 'limit_exh_rt_still_beyond':
      return formatPercentBp(alert.value);
    case 'chg_qty_abs':
      return `${formatSignedShares(alert.value)}주`;
    case 'frgnr_limit_change':
      return `${formatShares(alert.value)}주`;
    case 'limit_exhaustion_forecast':
      return `${alert.value}거래일`;
    default:
      return String((alert as { value?: unknown }).value ?? '');
  }
}

type PlaceholderValues = Record<'stk_cd' | 'name' | 'rule' | 'value' | 'dt', string>;

/** The template filled in, behind the tags; a template that already starts with [kfa] does not get it twice. */
function expandTemplate(template: string, values: PlaceholderValues, tags: string): string {
  const own = template.trim();
  const body = own.startsWith(SUBJECT_TAG) ? own.slice(SUBJECT_TAG.length) : own;
  const filled = body.replace(/\{(stk_cd|name|rule|value|dt)\}/g, (_, key: keyof PlaceholderValues) => values[key]);
  return singleLine(`${tags} ${filled}`);
}

/**
 * A `subject_template` filled in: {stk_cd}, {name} (the name, else the code),
 * {rule} (the Korean rule label), {value} (with its unit), {dt} (YYYY-MM-DD),
 * behind [kfa] and the revision and resend tags. The result is one line of
 * at most SUBJECT_MAX_CHARS: a saved template fits with the longest values
 * (see subjectTemplateLongest), and anything longer still has its name
 * shortened first.
 */
export function fillSubjectTemplate(template: string, alert: Alert, resend = false): string {
  const tags = subjectTags(alert.revision, resend);
  const values = {
    stk_cd: singleLine(alert.stkCd),
    rule: RULE_LABELS_KO[alert.rule],
    value: alertValueText(alert),
    dt: formatTradingDay(alert.dt),
  };
  return fitWithName((name) => expandTemplate(template, { ...values, name }, tags), displayName(alert), SUBJECT_MAX_CHARS);
}

/**
 * The longest value each placeholder can take. Shares are counted up to 11
 * digits: KRX's largest listing (Samsung Electronics) has about 6 billion
 * shares. A forecast is at most 1000 trading days (exhaustion_days' limit).
 */
function longestValues(nameLength: number): PlaceholderValues {
  const longest = (texts: readonly string[]): string => texts.reduce((a, b) => (b.length > a.length ? b : a), '');
  return {
    stk_cd: '000000_NX',
    name: '가'.repeat(nameLength),
    rule: longest(Object.values(RULE_LABELS_KO)),
    value: longest([formatPercentBp(10_000), `${formatSignedShares(-99_999_999_999)}주`, '1000거래일']),
    dt: formatTradingDay('20991231'),
  };
}

/**
 * How long the Subject from `template` can get: filled with the longest
 * values (a name of `nameLength` characters), behind [kfa][정정][재발송].
 */
export function subjectTemplateLongest(template: string, nameLength: number): { length: number; value: string } {
  const values = longestValues(nameLength);
  return { length: expandTemplate(template, values, subjectTags(true, true)).length, value: values.value };
}
