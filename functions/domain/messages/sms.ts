// The SMS: one line that fits a single Korean SMS.
import type { Alert } from '../types.ts';
import {
  displayName,
  fitWithName,
  formatCompactPercentBp,
  formatPercentBp,
  formatPointsBp,
  formatShares,
  shortTradingDay,
  singleLine,
  unknownRule,
} from './format.ts';

/** One Korean SMS in UCS-2 is 70 characters; longer ones are split and billed twice. */
export const SMS_MAX_CHARS = 70;

/** What happened, as short as the SMS needs it (no name, no day). */
export function smsBody(alert: Alert): string {
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
      return `${formatPercentBp(alert.value)}↑${formatCompactPercentBp(alert.threshold ?? alert.value)}`;
    case 'limit_exh_rt_cross_down':
      return `${formatPercentBp(alert.value)}↓${formatCompactPercentBp(alert.threshold ?? alert.value)}`;
    case 'limit_exh_rt_move':
      return `소진률 ${formatPointsBp(alert.value - alert.previousValue)} ${formatPercentBp(alert.value)}`;
    case 'chg_qty_abs':
      return `${alert.value > 0 ? '순매수' : '순매도'} ${formatShares(Math.abs(alert.value))}주`;
    case 'frgnr_limit_change':
      return `한도 ${formatShares(alert.previousValue)}→${formatShares(alert.value)}주`;
    case 'limit_exh_rt_still_beyond':
      return (
        `${formatPercentBp(alert.value)} ${formatCompactPercentBp(alert.threshold ?? alert.value)}` +
        `${alert.direction === 'up' ? '이상' : '미만'} 지속${alert.since ? ` ${shortTradingDay(alert.since)}~` : ''}`
      );
    case 'limit_exhaustion_forecast':
      return `한도소진 ${alert.value}거래일 전망`;
    default:
      return unknownRule(alert.rule);
  }
}

export function buildSms(alert: Alert, resend: boolean): string {
  const tag = `[외인${alert.revision ? '·정정' : ''}${resend ? '·재' : ''}]`;
  const tail = ` ${smsBody(alert)} ${shortTradingDay(alert.dt)}`;
  return fitWithName((name) => singleLine(`${tag} ${name}${tail}`), displayName(alert), SMS_MAX_CHARS);
}
