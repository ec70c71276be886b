// The email body: Korean first, what happened and by how much, the day's
// holdings, a sparkline of recent days, and one English line.
import { sparkline } from '../sparkline.ts';
import type { Alert, Snapshot } from '../types.ts';
import {
  displayName,
  formatPercentBp,
  formatPointsBp,
  formatShares,
  formatSignedShares,
  formatTradingDay,
  singleLine,
  unknownRule,
} from './format.ts';

/** How many trading days the email's sparkline shows at most. */
export const SPARKLINE_DAYS = 20;

function headline(alert: Alert): string[] {
  const crossed = (alert.thresholdsCrossed ?? []).map(formatPercentBp);
  const alsoCrossed = crossed.length > 1 ? [`(이날 돌파한 기준: ${crossed.join(', ')})`] : [];
  const confirmed =
    alert.since !== undefined ? [`${formatTradingDay(alert.since)}부터 기준을 넘은 상태가 이어져 ${formatTradingDay(alert.dt)}에 확정되었습니다.`] : [];
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
      return [`외국인 한도소진률이 ${formatPercentBp(alert.threshold ?? alert.value)}를 상향 돌파했습니다.`, ...alsoCrossed, ...confirmed];
    case 'limit_exh_rt_cross_down':
      return [`외국인 한도소진률이 ${formatPercentBp(alert.threshold ?? alert.value)}를 하향 돌파했습니다.`, ...alsoCrossed, ...confirmed];
    case 'limit_exh_rt_move': {
      const move = alert.value - alert.previousValue;
      const points = formatPointsBp(Math.abs(move)).replace(/^\+/, '');
      return [
        `외국인 한도소진률이 하루 만에 ${points} ${move > 0 ? '상승' : '하락'}했습니다` +
          ` (기준 ${formatPointsBp(alert.threshold ?? 0).replace(/^\+/, '')} 이상).`,
      ];
    }
    case 'chg_qty_abs':
      return [
        `외국인이 하루 동안 ${formatShares(Math.abs(alert.value))}주를 ${alert.value > 0 ? '순매수' : '순매도'}했습니다` +
          ` (기준 ${formatShares(alert.threshold ?? 0)}주 이상).`,
      ];
    case 'frgnr_limit_change':
      return [
        `외국인 한도가 ${formatShares(alert.previousValue)}주에서 ${formatShares(alert.value)}주로 ` +
          `${alert.direction === 'up' ? '늘었습니다' : '줄었습니다'}.`,
      ];
    case 'limit_exh_rt_still_beyond':
      return [
        `외국인 한도소진률이 ${alert.since ? `${formatTradingDay(alert.since)}부터 ` : ''}` +
          `${formatPercentBp(alert.threshold ?? alert.value)} ${alert.direction === 'up' ? '이상' : '미만'}인 상태가 이어지고 있습니다` +
          ` (현재 ${formatPercentBp(alert.value)}).`,
      ];
    case 'limit_exhaustion_forecast':
      return [
        `지금 속도라면 외국인 한도가 약 ${alert.value}거래일 뒤 소진됩니다 (기준 ${alert.threshold ?? alert.value}거래일 이내).`,
        ...(alert.forecast ? [forecastArithmetic(alert.forecast)] : []),
      ];
    default:
      return [unknownRule(alert.rule)];
  }
}

/** "남은 한도 1,000,000주 ÷ 최근 20거래일 평균 순매수 50,000주 = 20거래일". */
export function forecastArithmetic(f: NonNullable<Alert['forecast']>): string {
  const average = Math.round(f.avgDailyNetBuying);
  // days_left is rounded up; say so when the division is not exact.
  const exact = f.avgDailyNetBuying > 0 && Number.isInteger(f.roomShares / f.avgDailyNetBuying);
  return (
    `남은 한도 ${formatShares(f.roomShares)}주 ÷ 최근 ${f.windowDays}거래일 평균 순매수 ${formatShares(average)}주` +
    ` = ${f.daysLeft}거래일${exact ? '' : ' (올림)'}`
  );
}

function changeLine(alert: Alert): string {
  const days = `(${formatTradingDay(alert.previousDt)} → ${formatTradingDay(alert.dt)})`;
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
    case 'limit_exh_rt_cross_down':
    case 'limit_exh_rt_move':
    case 'limit_exh_rt_still_beyond':
      return (
        `한도소진률: ${formatPercentBp(alert.previousValue)} → ${formatPercentBp(alert.value)}` +
        ` (${formatPointsBp(alert.value - alert.previousValue)}) ${days}`
      );
    case 'chg_qty_abs':
      return `외국인 변동수량: ${formatSignedShares(alert.previousValue)}주 → ${formatSignedShares(alert.value)}주 ${days}`;
    case 'frgnr_limit_change':
      return (
        `외국인한도: ${formatShares(alert.previousValue)}주 → ${formatShares(alert.value)}주` +
        ` (${formatSignedShares(alert.value - alert.previousValue)}주) ${days}`
      );
    case 'limit_exhaustion_forecast':
      return `소진 예상: ${alert.previousValue}거래일 → ${alert.value}거래일 ${days}`;
    default:
      return `${unknownRule(alert.rule)} ${days}`;
  }
}

function englishLine(alert: Alert, name: string): string {
  const who = `${name} (${alert.stkCd})`;
  const on = `on ${formatTradingDay(alert.dt)}`;
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
      return `${who}: foreign limit exhaustion rose through ${formatPercentBp(alert.threshold ?? alert.value)} ${on}.`;
    case 'limit_exh_rt_cross_down':
      return `${who}: foreign limit exhaustion fell through ${formatPercentBp(alert.threshold ?? alert.value)} ${on}.`;
    case 'limit_exh_rt_move':
      return `${who}: foreign limit exhaustion moved ${formatPointsBp(alert.value - alert.previousValue)} ${on}.`;
    case 'chg_qty_abs':
      return `${who}: foreigners net ${alert.value > 0 ? 'bought' : 'sold'} ${formatShares(Math.abs(alert.value))} shares ${on}.`;
    case 'frgnr_limit_change':
      return `${who}: the foreign ownership limit changed from ${formatShares(alert.previousValue)} to ${formatShares(alert.value)} shares ${on}.`;
    case 'limit_exh_rt_still_beyond':
      return (
        `${who}: foreign limit exhaustion has stayed ${alert.direction === 'up' ? 'at or above' : 'below'} ` +
        `${formatPercentBp(alert.threshold ?? alert.value)}${alert.since ? ` since ${formatTradingDay(alert.since)}` : ''}` +
        ` (${formatPercentBp(alert.value)} ${on}).`
      );
    case 'limit_exhaustion_forecast':
      return (
        `${who}: at the average net buying of the last ${alert.forecast?.windowDays ?? 20} trading days, ` +
        `foreign room runs out in about ${alert.value} trading days (as of ${formatTradingDay(alert.dt)}).`
      );
    default:
      return `${who}: ${unknownRule(alert.rule)} ${on}.`;
  }
}

function sharesOrUnknown(n: number | null): string {
  return n === null ? '알 수 없음' : `${formatShares(n)}주`;
}

function sparklineLines(recent: readonly Snapshot[]): string[] {
  const rates = recent.map((s) => s.limitExhRtBp);
  const known = rates.filter((r): r is number => r !== null);
  const first = recent[0];
  const last = recent.at(-1);
  if (known.length === 0 || first === undefined || last === undefined) return [];
  const rateOf = (s: Snapshot) => (s.limitExhRtBp === null ? '알 수 없음' : formatPercentBp(s.limitExhRtBp));
  return [
    `최근 ${recent.length}거래일 한도소진률 추이:`,
    `  ${sparkline(rates)}`,
    `  ${formatTradingDay(first.dt)} ${rateOf(first)} → ${formatTradingDay(last.dt)} ${rateOf(last)}` +
      ` · 최저 ${formatPercentBp(Math.min(...known))} · 최고 ${formatPercentBp(Math.max(...known))}`,
  ];
}

export function buildEmail(alert: Alert, current: Snapshot, recent: readonly Snapshot[], resend: boolean): string {
  const name = displayName(alert);
  const lines = [
    `${name} (${singleLine(alert.stkCd)}) 외국인 보유 알림`,
    `거래일: ${formatTradingDay(alert.dt)}`,
    '',
    ...headline(alert),
    changeLine(alert),
    '',
    `외국인 보유주식수: ${sharesOrUnknown(current.possStkcnt)}`,
    `취득가능주식수(남은 한도): ${sharesOrUnknown(current.gainPosStkcnt)}`,
    `외국인한도: ${sharesOrUnknown(current.frgnrLimit)}`,
    `한도소진률: ${current.limitExhRtBp === null ? '알 수 없음' : formatPercentBp(current.limitExhRtBp)}`,
  ];
  const chart = sparklineLines(recent);
  if (chart.length > 0) lines.push('', ...chart);
  if (alert.revision || resend) lines.push('');
  if (alert.revision) {
    lines.push('※ 이 거래일의 데이터는 최초 게시 후 키움증권이 정정했습니다. 정정된 값으로 다시 판단한 알림입니다.');
  }
  if (resend) lines.push('※ 앞서 보내지 못했거나 확인되지 않은 알림을 다시 보냅니다.');
  lines.push(
    '',
    englishLine(alert, name) +
      (alert.revision ? ' Kiwoom corrected this day after first publishing it.' : ''),
    '',
    `알림 ID: ${alert.alertId}`,
  );
  return lines.join('\n');
}
