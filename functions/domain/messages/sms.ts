// The SMS: one line that fits a single Korean SMS.
import type { Alert } from '../types.ts';
import {
  displayName,
  fitWithName,
  formatCompactPercentBp,
  formatPercentBp,
  formatPointsBp,
  formatShares,
  holdingsChangeText,
  shortTradingDay,
  singleLine,
  unknownRule,
} from './format.ts';

/** One Korean SMS in UCS-2 is 70 characters; longer ones are split and billed twice. */
export const SMS_MAX_CHARS = 70;

/** "49% 상향돌파(49.12%)": the threshold and what it means first, the rate reached after. */
function crossingText(alert: Alert, what: string): string {
  return `${formatCompactPercentBp(alert.threshold ?? alert.value)} ${what}(${formatPercentBp(alert.value)})`;
}

/** What happened, as short as the SMS needs it (no name, no day). */
export function smsBody(alert: Alert): string {
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
      return crossingText(alert, '상향돌파');
    case 'limit_exh_rt_cross_down':
      return crossingText(alert, '하향이탈');
    case 'limit_exh_rt_move':
      return `소진률 ${formatPointsBp(alert.value - alert.previousValue)} ${formatPercentBp(alert.value)}`;
    case 'chg_qty_abs':
      return `보유 ${holdingsChangeText(alert.value)}`;
    case 'frgnr_limit_change':
      return `한도 ${formatShares(alert.previousValue)}→${formatShares(alert.value)}주`;
    case 'limit_exh_rt_still_beyond':
      return (
        crossingText(alert, alert.direction === 'up' ? '이상 지속' : '미만 지속') +
        (alert.since ? ` ${shortTradingDay(alert.since)}~` : '')
      );
    case 'limit_exhaustion_forecast':
      return `한도소진 약 ${alert.value}거래일 추정`;
    default:
      return unknownRule(alert.rule);
  }
}

export function buildSms(alert: Alert, resend: boolean): string {
  const tag = `[외인${alert.revision ? '·정정' : ''}${resend ? '·재' : ''}]`;
  const tail = ` ${smsBody(alert)} ${shortTradingDay(alert.dt)}`;
  return fitWithName((name) => singleLine(`${tag} ${name}${tail}`), displayName(alert), SMS_MAX_CHARS);
}
