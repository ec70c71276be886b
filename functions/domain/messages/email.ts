// The email body: Korean first, what happened and by how much, then what an
// investor checks next (the close, holdings, the foreign share, the room
// left, a sparkline of recent days, a public page for the code), and one
// English line.
import { sparkline } from '../sparkline.ts';
import type { Alert, Snapshot, PriceDirection } from '../types.ts';
import {
  displayName,
  formatPercentBp,
  formatPointsBp,
  formatShares,
  formatSignedShares,
  formatTradingDay,
  holdingsChangeText,
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
      return [`외국인 한도소진률이 ${formatPercentBp(alert.threshold ?? alert.value)}를 하향 이탈했습니다.`, ...alsoCrossed, ...confirmed];
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
        `외국인 보유 ${holdingsChangeText(alert.value)}: 하루 변동이 기준 ${formatShares(alert.threshold ?? 0)}주 이상입니다.`,
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
        `지금 속도라면 외국인 한도가 약 ${alert.value}거래일 뒤 소진될 것으로 추정됩니다 (기준 ${alert.threshold ?? alert.value}거래일 이내).`,
        ...(alert.forecast ? [forecastArithmetic(alert.forecast)] : []),
      ];
    default:
      return [unknownRule(alert.rule)];
  }
}

/** "남은 한도 1,000,000주 ÷ 최근 20거래일 평균 보유 증가 50,000주 = 20거래일". */
export function forecastArithmetic(f: NonNullable<Alert['forecast']>): string {
  const average = Math.round(f.avgDailyNetBuying);
  // days_left is rounded up; say so when the division is not exact.
  const exact = f.avgDailyNetBuying > 0 && Number.isInteger(f.roomShares / f.avgDailyNetBuying);
  return (
    `남은 한도 ${formatShares(f.roomShares)}주 ÷ 최근 ${f.windowDays}거래일 평균 보유 증가 ${formatShares(average)}주` +
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
      return `외국인 보유 변동(변동수량): ${formatSignedShares(alert.previousValue)}주 → ${formatSignedShares(alert.value)}주 ${days}`;
    case 'frgnr_limit_change':
      return (
        `외국인한도: ${formatShares(alert.previousValue)}주 → ${formatShares(alert.value)}주` +
        ` (${formatSignedShares(alert.value - alert.previousValue)}주) ${days}`
      );
    case 'limit_exhaustion_forecast':
      return `소진 추정: ${alert.previousValue}거래일 → ${alert.value}거래일 ${days}`;
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
      return (
        `${who}: foreign holdings ${alert.value > 0 ? 'rose' : 'fell'} by ${formatShares(Math.abs(alert.value))} shares ${on}` +
        ` (the day's change in foreign-held shares, not net trading).`
      );
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
        `${who}: an estimate: at the average daily rise in foreign holdings over the last ${alert.forecast?.windowDays ?? 20} ` +
        `trading days, foreign room would run out in about ${alert.value} trading days (as of ${formatTradingDay(alert.dt)}).`
      );
    default:
      return `${who}: ${unknownRule(alert.rule)} ${on}.`;
  }
}

function sharesOrUnknown(n: number | null): string {
  return n === null ? '알 수 없음' : `${formatShares(n)}주`;
}

/** Why the figure differs from the 외국인 순매매 a trading screen shows. */
const CHG_QTY_NOTE = '※ 변동수량은 외국인 보유주식수의 전일 대비 변화입니다. HTS·포털의 외국인 순매매(매수−매도) 수치와 다를 수 있습니다.';

function forecastNote(alert: Alert): string {
  return `※ 추정치입니다: 최근 ${alert.forecast?.windowDays ?? 20}거래일의 평균 보유 증가가 이어진다고 가정한 계산이며 실제와 다를 수 있습니다.`;
}

const ARROWS: Readonly<Record<PriceDirection, string>> = { up: '▲', down: '▼', unchanged: '' };

/**
 * "종가: 135,300원 (전일 대비 ▲100원, +0.07%)". Kiwoom's sign on close_pric
 * is the direction; pred_pre's magnitude is the change. The rate is against
 * the previous close (close − change), rounded half up in integer arithmetic.
 */
function closeLine(current: Snapshot): string {
  const close = current.closePrice;
  if (close === null) return '종가: 알 수 없음';
  const change = current.predPre === null ? null : Math.abs(current.predPre);
  const direction: PriceDirection | null =
    current.closeDirection ?? (current.predPre === null ? null : current.predPre > 0 ? 'up' : current.predPre < 0 ? 'down' : 'unchanged');
  if (change === null || direction === null) return `종가: ${formatShares(close)}원`;
  if (direction === 'unchanged' || change === 0) return `종가: ${formatShares(close)}원 (전일 대비 보합)`;
  const previousClose = direction === 'up' ? close - change : close + change;
  const amount = `${ARROWS[direction]}${formatShares(change)}원`;
  if (previousClose <= 0) return `종가: ${formatShares(close)}원 (전일 대비 ${amount})`;
  const bp = Math.floor((2 * change * 10_000 + previousClose) / (2 * previousClose));
  return `종가: ${formatShares(close)}원 (전일 대비 ${amount}, ${direction === 'up' ? '+' : '-'}${formatPercentBp(bp)})`;
}

/** `wght`: foreign-held shares as a share of all listed shares. Outside 0–100% Kiwoom's figure is not one. */
function foreignShareLine(current: Snapshot): string {
  const bp = current.wghtBp;
  const text = bp === null || bp < 0 || bp > 10_000 ? '알 수 없음' : formatPercentBp(bp);
  return `외국인 지분율(상장주식 대비): ${text}`;
}

/** A public page with the code's foreign and institutional holdings; NXT/SOR codes share the KRX code's page. */
export function foreignOwnershipUrl(stkCd: string): string {
  return `https://finance.naver.com/item/frgn.naver?code=${encodeURIComponent(stkCd.slice(0, 6))}`;
}

/** A sparkline needs at least two days: one day alone would draw "A → A". */
function sparklineLines(recent: readonly Snapshot[]): string[] {
  const rates = recent.map((s) => s.limitExhRtBp);
  const known = rates.filter((r): r is number => r !== null);
  const first = recent[0];
  const last = recent.at(-1);
  if (recent.length < 2 || known.length === 0 || first === undefined || last === undefined) return [];
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
    ...(alert.rule === 'chg_qty_abs' ? [CHG_QTY_NOTE] : []),
    ...(alert.rule === 'limit_exhaustion_forecast' ? [forecastNote(alert)] : []),
    '',
    closeLine(current),
    `외국인 보유주식수: ${sharesOrUnknown(current.possStkcnt)}`,
    foreignShareLine(current),
    `취득가능주식수(남은 한도): ${sharesOrUnknown(current.gainPosStkcnt)}`,
    `외국인한도: ${sharesOrUnknown(current.frgnrLimit)}`,
    `한도소진률: ${current.limitExhRtBp === null ? '알 수 없음' : formatPercentBp(current.limitExhRtBp)}`,
  ];
  const chart = sparklineLines(recent);
  if (chart.length > 0) lines.push('', ...chart);
  lines.push('', `외국인·기관 동향(네이버 금융): ${foreignOwnershipUrl(alert.stkCd)}`);
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
