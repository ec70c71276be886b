// The email Subject: the built-in one, or the code's `subject_template`
// filled in. Also the short rule summaries and value texts the digest reuses.
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
  singleLine,
  unknownRule,
} from './format.ts';
import { isCrossing } from './payload.ts';

/** SNS: "Subjects must be … less than 100 characters long." */
export const SUBJECT_MAX_CHARS = 99;

/** What happened, in a few words: the subject's middle and a digest row. */
export function subjectSummary(alert: Alert): string {
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
      return `한도소진률 ${formatCompactPercentBp(alert.threshold ?? alert.value)} 상향 돌파`;
    case 'limit_exh_rt_cross_down':
      return `한도소진률 ${formatCompactPercentBp(alert.threshold ?? alert.value)} 하향 돌파`;
    case 'limit_exh_rt_move':
      return `한도소진률 ${formatPointsBp(alert.value - alert.previousValue)} 변동`;
    case 'chg_qty_abs':
      return `외국인 ${alert.value > 0 ? '순매수' : '순매도'} ${formatShares(Math.abs(alert.value))}주`;
    case 'frgnr_limit_change':
      return `외국인한도 변경 ${formatShares(alert.previousValue)}→${formatShares(alert.value)}주`;
    case 'limit_exh_rt_still_beyond':
      return `한도소진률 ${formatCompactPercentBp(alert.threshold ?? alert.value)} ${alert.direction === 'up' ? '이상' : '미만'} 지속`;
    case 'limit_exhaustion_forecast':
      return `외국인 한도 소진 ${alert.value}거래일 전망`;
    default:
      return unknownRule(alert.rule);
  }
}

export function buildSubject(alert: Alert, resend: boolean): string {
  const tags = `[kfa]${alert.revision ? '[정정]' : ''}${resend ? '[재발송]' : ''}`;
  const code = singleLine(alert.stkCd);
  const confirmed = alert.since !== undefined && isCrossing(alert.rule) ? ' 확정' : '';
  const tail = `(${code}) ${subjectSummary(alert)}${confirmed} ${formatTradingDay(alert.dt)}`;
  return fitWithName((name) => singleLine(`${tags} ${name}${tail}`), displayName(alert), SUBJECT_MAX_CHARS);
}

// ---------------------------------------------------------------- subject templates

/** How a rule reads in a subject template's {rule} and in the digest table. */
export const RULE_LABELS_KO: Readonly<Record<RuleId, string>> = {
  limit_exh_rt_cross_up: '한도소진률 상향 돌파',
  limit_exh_rt_cross_down: '한도소진률 하향 돌파',
  limit_exh_rt_move: '한도소진률 급변',
  chg_qty_abs: '외국인 대량 순매매',
  frgnr_limit_change: '외국인한도 변경',
  limit_exh_rt_still_beyond: '한도소진률 기준 밖 지속',
  limit_exhaustion_forecast: '외국인 한도 소진 전망',
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

/**
 * A `subject_template` filled in: {stk_cd}, {name} (the name, else the code),
 * {rule} (the Korean rule label), {value} (with its unit), {dt} (YYYY-MM-DD).
 * Revisions and resends keep their tag in front; the result is one line of at
 * most SUBJECT_MAX_CHARS, the name shortened first.
 */
export function fillSubjectTemplate(template: string, alert: Alert, resend = false): string {
  const tags = `${alert.revision ? '[정정]' : ''}${resend ? '[재발송]' : ''}`;
  const values: Record<string, string> = {
    stk_cd: singleLine(alert.stkCd),
    rule: RULE_LABELS_KO[alert.rule],
    value: alertValueText(alert),
    dt: formatTradingDay(alert.dt),
  };
  const build = (name: string): string =>
    singleLine(
      `${tags}${tags ? ' ' : ''}` +
        template.replace(/\{(stk_cd|name|rule|value|dt)\}/g, (_, key: string) => (key === 'name' ? name : (values[key] ?? ''))),
    );
  return fitWithName(build, displayName(alert), SUBJECT_MAX_CHARS);
}
