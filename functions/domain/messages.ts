// Turns an Alert into what one SNS publish carries: a machine payload
// (`default`), a Korean-first email body, a one-line SMS and a subject.
import { sparkline } from './sparkline.ts';
import type { Alert, AlertDirection, RawRow, RuleId, Severity, Snapshot, TradingDay } from './types.ts';

/** Bumped when a payload field changes meaning or disappears. */
export const ALERT_SCHEMA_VERSION = 1;

/** One Korean SMS in UCS-2 is 70 characters; longer ones are split and billed twice. */
export const SMS_MAX_CHARS = 70;

/** SNS: "Subjects must be … less than 100 characters long." */
export const SUBJECT_MAX_CHARS = 99;

/** How many trading days the email's sparkline shows at most. */
export const SPARKLINE_DAYS = 20;

/**
 * The `default` message: machine-readable. Rates in percent as JSON numbers
 * (4912 bp → 49.12), shares as integers.
 */
export interface AlertPayload {
  schema_version: typeof ALERT_SCHEMA_VERSION;
  alert_id: string;
  stk_cd: string;
  name: string | null;
  dt: TradingDay;
  rule: RuleId;
  direction: AlertDirection;
  severity: Severity;
  /** Crossings: furthest threshold (%); move: the setting (pp); chg_qty_abs: N shares; limit change: null. */
  threshold: number | null;
  /** Crossings only, in crossing order (%). */
  thresholds_crossed?: number[];
  value: number;
  previous_value: number;
  previous_dt: TradingDay;
  /** The day's ka10008 row exactly as Kiwoom sent it. */
  row: RawRow;
  revision?: true;
  resend?: true;
}

export interface AlertMessage {
  subject: string;
  payload: AlertPayload;
  email: string;
  sms: string;
  /** SNS message attributes (all of DataType String) for filter policies. */
  attributes: Record<string, string>;
}

export interface AlertMessageContext {
  /** The alert day's snapshot. */
  current: Snapshot;
  /** Recent snapshots, oldest first, ending with the alert's day. */
  recent: readonly Snapshot[];
  /** True when the ledger found this alert unsent and it is published again. */
  resend?: boolean;
}

/** The snapshot handed in is not the alert's code and day: a caller bug. */
export class AlertContextMismatchError extends Error {
  override readonly name = 'AlertContextMismatchError';
  constructor(
    readonly alertId: string,
    readonly snapshotKey: string,
  ) {
    super(`alert ${alertId} was given the snapshot of ${snapshotKey}`);
  }
}

export function buildAlertMessage(alert: Alert, context: AlertMessageContext): AlertMessage {
  const { current } = context;
  if (current.stkCd !== alert.stkCd || current.dt !== alert.dt) {
    throw new AlertContextMismatchError(alert.alertId, `${current.stkCd}/${current.dt}`);
  }
  const resend = context.resend === true;
  const recent = (context.recent.length > 0 ? context.recent : [current]).slice(-SPARKLINE_DAYS);
  return {
    subject: buildSubject(alert, resend),
    payload: buildPayload(alert, current, resend),
    email: buildEmail(alert, current, recent, resend),
    sms: buildSms(alert, resend),
    attributes: {
      stk_cd: alert.stkCd,
      rule: alert.rule,
      dt: alert.dt,
      direction: alert.direction,
      severity: alert.severity,
      alert_id: alert.alertId,
      ...(resend ? { resend: 'true' } : {}),
    },
  };
}

/** The Message for SNS Publish with `MessageStructure: 'json'`. */
export function snsMessageJson(message: AlertMessage): string {
  return JSON.stringify({
    default: JSON.stringify(message.payload),
    email: message.email,
    sms: message.sms,
  });
}

// ---------------------------------------------------------------- payload

function isRateRule(rule: RuleId): boolean {
  return rule === 'limit_exh_rt_cross_up' || rule === 'limit_exh_rt_cross_down' || rule === 'limit_exh_rt_move';
}

/** Basis points as a JSON percent number; bp / 100 is the nearest double, so it prints as 49.12. */
function bpToPercent(bp: number): number {
  return bp / 100;
}

function buildPayload(alert: Alert, current: Snapshot, resend: boolean): AlertPayload {
  const rate = isRateRule(alert.rule);
  const threshold =
    alert.rule === 'frgnr_limit_change' || alert.threshold === null
      ? null
      : rate
        ? bpToPercent(alert.threshold)
        : alert.threshold;
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    alert_id: alert.alertId,
    stk_cd: alert.stkCd,
    name: alert.name ?? null,
    dt: alert.dt,
    rule: alert.rule,
    direction: alert.direction,
    severity: alert.severity,
    threshold,
    ...(alert.thresholdsCrossed && isCrossing(alert.rule)
      ? { thresholds_crossed: alert.thresholdsCrossed.map(bpToPercent) }
      : {}),
    value: rate ? bpToPercent(alert.value) : alert.value,
    previous_value: rate ? bpToPercent(alert.previousValue) : alert.previousValue,
    previous_dt: alert.previousDt,
    row: { ...current.row },
    ...(alert.revision ? { revision: true as const } : {}),
    ...(resend ? { resend: true as const } : {}),
  };
}

function isCrossing(rule: RuleId): boolean {
  return rule === 'limit_exh_rt_cross_up' || rule === 'limit_exh_rt_cross_down';
}

// ---------------------------------------------------------------- number and text forms

/** 1234567 → "1,234,567"; integers only (shares, won). */
export function formatShares(n: number): string {
  const digits = String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${digits}` : digits;
}

export function formatSignedShares(n: number): string {
  return n > 0 ? `+${formatShares(n)}` : formatShares(n);
}

/** 4912 → "49.12%", from integer arithmetic so no float rounding can show. */
export function formatPercentBp(bp: number): string {
  return `${percentDigits(bp)}%`;
}

/** A change in percentage points: 17 → "+0.17%p". */
export function formatPointsBp(bp: number): string {
  return `${bp > 0 ? '+' : ''}${percentDigits(bp)}%p`;
}

function percentDigits(bp: number): string {
  const rounded = Math.round(bp);
  const abs = Math.abs(rounded);
  const whole = formatShares(Math.trunc(abs / 100));
  const cents = String(abs % 100).padStart(2, '0');
  return `${rounded < 0 ? '-' : ''}${whole}.${cents}`;
}

/** Thresholds read better without trailing zeros: 4900 → "49", 4950 → "49.5". */
export function formatCompactPercentBp(bp: number): string {
  return `${percentDigits(bp).replace(/\.?0+$/, '')}%`;
}

/** "20241105" → "2024-11-05". */
export function formatTradingDay(dt: TradingDay): string {
  return /^\d{8}$/.test(dt) ? `${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)}` : dt;
}

function shortTradingDay(dt: TradingDay): string {
  return /^\d{8}$/.test(dt) ? `${dt.slice(4, 6)}/${dt.slice(6, 8)}` : dt;
}

/**
 * Names come from people editing the watchlist: control characters (CR/LF
 * above all) would break a subject line or an SMS into several.
 */
export function singleLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

function displayName(alert: Alert): string {
  return singleLine(alert.name ?? '') || singleLine(alert.stkCd);
}

/**
 * Builds a line with `name` in it and, if it is too long, shortens the name
 * (whole code points, ending in "…") until it fits; as a last resort cuts the
 * line itself. Lengths are JS string lengths, as SMS counts UCS-2 units.
 */
export function fitWithName(build: (name: string) => string, name: string, max: number): string {
  const full = build(name);
  if (full.length <= max) return full;
  const chars = Array.from(name).slice(0, max);
  for (let keep = chars.length - 1; keep >= 0; keep--) {
    const line = build(`${chars.slice(0, keep).join('')}…`);
    if (line.length <= max) return line;
  }
  return cutTo(build(''), max);
}

function cutTo(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = '';
  for (const ch of text) {
    if (cut.length + ch.length > max - 1) break;
    cut += ch;
  }
  return `${cut}…`;
}

// ---------------------------------------------------------------- subject and SMS

function subjectSummary(alert: Alert): string {
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
  }
}

function buildSubject(alert: Alert, resend: boolean): string {
  const tags = `[kfa]${alert.revision ? '[정정]' : ''}${resend ? '[재발송]' : ''}`;
  const code = singleLine(alert.stkCd);
  const tail = `(${code}) ${subjectSummary(alert)} ${formatTradingDay(alert.dt)}`;
  return fitWithName((name) => singleLine(`${tags} ${name}${tail}`), displayName(alert), SUBJECT_MAX_CHARS);
}

function smsBody(alert: Alert): string {
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
  }
}

function buildSms(alert: Alert, resend: boolean): string {
  const tag = `[외인${alert.revision ? '·정정' : ''}${resend ? '·재' : ''}]`;
  const tail = ` ${smsBody(alert)} ${shortTradingDay(alert.dt)}`;
  return fitWithName((name) => singleLine(`${tag} ${name}${tail}`), displayName(alert), SMS_MAX_CHARS);
}

// ---------------------------------------------------------------- email

function headline(alert: Alert): string[] {
  const crossed = (alert.thresholdsCrossed ?? []).map(formatPercentBp);
  const alsoCrossed = crossed.length > 1 ? [`(이날 돌파한 기준: ${crossed.join(', ')})`] : [];
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
      return [`외국인 한도소진률이 ${formatPercentBp(alert.threshold ?? alert.value)}를 상향 돌파했습니다.`, ...alsoCrossed];
    case 'limit_exh_rt_cross_down':
      return [`외국인 한도소진률이 ${formatPercentBp(alert.threshold ?? alert.value)}를 하향 돌파했습니다.`, ...alsoCrossed];
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
  }
}

function changeLine(alert: Alert): string {
  const days = `(${formatTradingDay(alert.previousDt)} → ${formatTradingDay(alert.dt)})`;
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
    case 'limit_exh_rt_cross_down':
    case 'limit_exh_rt_move':
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

function buildEmail(alert: Alert, current: Snapshot, recent: readonly Snapshot[], resend: boolean): string {
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
