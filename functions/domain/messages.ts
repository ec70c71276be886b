// Turns an Alert into what one SNS publish carries: a machine payload
// (`default`), a Korean-first email body, a one-line SMS and a subject.
import { parseRow } from './parse.ts';
import { sparkline } from './sparkline.ts';
import { RULE_IDS } from './types.ts';
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
  /** Confirmed crossings (confirm_days > 1) and reminders: the first trading day past the threshold. */
  since?: TradingDay;
  /** `limit_exhaustion_forecast`: threshold = N days, value = days_left, previous_value = the day before's forecast. */
  forecast?: {
    room_shares: number;
    /** Mean chg_qty over the window, shares per trading day (may be fractional). */
    avg_daily_net_buying: number;
    days_left: number;
    window_days: number;
  };
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
  /** True when the ledger found this alert unsent and it is published again (or `kfa alerts resend`). */
  resend?: boolean;
  /** The code's `subject_template` ({stk_cd} {name} {rule} {value} {dt}); absent/null = the built-in subject. */
  subjectTemplate?: string | null;
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
    subject:
      context.subjectTemplate != null && context.subjectTemplate.trim() !== ''
        ? fillSubjectTemplate(context.subjectTemplate, alert, resend)
        : buildSubject(alert, resend),
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

/** The Message for SNS Publish with `MessageStructure: 'json'` (an alert or a digest). */
export function snsMessageJson(message: Pick<AlertMessage, 'email' | 'sms'> & { payload: object }): string {
  return JSON.stringify({
    default: JSON.stringify(message.payload),
    email: message.email,
    sms: message.sms,
  });
}

// ---------------------------------------------------------------- payload

function isRateRule(rule: RuleId): boolean {
  return (
    rule === 'limit_exh_rt_cross_up' ||
    rule === 'limit_exh_rt_cross_down' ||
    rule === 'limit_exh_rt_move' ||
    rule === 'limit_exh_rt_still_beyond'
  );
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
    ...(alert.since !== undefined ? { since: alert.since } : {}),
    ...(alert.forecast
      ? {
          forecast: {
            room_shares: alert.forecast.roomShares,
            avg_daily_net_buying: alert.forecast.avgDailyNetBuying,
            days_left: alert.forecast.daysLeft,
            window_days: alert.forecast.windowDays,
          },
        }
      : {}),
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
    case 'limit_exh_rt_still_beyond':
      return `한도소진률 ${formatCompactPercentBp(alert.threshold ?? alert.value)} ${alert.direction === 'up' ? '이상' : '미만'} 지속`;
    case 'limit_exhaustion_forecast':
      return `외국인 한도 소진 ${alert.value}거래일 전망`;
    default:
      return unknownRule(alert.rule);
  }
}

/**
 * A rule this version does not know (a ledger entry written by a newer one):
 * still one short line rather than a crash while building the message.
 */
function unknownRule(rule: never): string {
  return `알림 ${String(rule ?? '')}`.trim();
}

function buildSubject(alert: Alert, resend: boolean): string {
  const tags = `[kfa]${alert.revision ? '[정정]' : ''}${resend ? '[재발송]' : ''}`;
  const code = singleLine(alert.stkCd);
  const confirmed = alert.since !== undefined && isCrossing(alert.rule) ? ' 확정' : '';
  const tail = `(${code}) ${subjectSummary(alert)}${confirmed} ${formatTradingDay(alert.dt)}`;
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

function buildSms(alert: Alert, resend: boolean): string {
  const tag = `[외인${alert.revision ? '·정정' : ''}${resend ? '·재' : ''}]`;
  const tail = ` ${smsBody(alert)} ${shortTradingDay(alert.dt)}`;
  return fitWithName((name) => singleLine(`${tag} ${name}${tail}`), displayName(alert), SMS_MAX_CHARS);
}

// ---------------------------------------------------------------- email

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

// ---------------------------------------------------------------- payloads read back

/** A stored SNS message whose `default` is not an alert payload this code wrote. */
export class AlertPayloadError extends Error {
  override readonly name = 'AlertPayloadError';
}

/** The alert payload inside a ledger entry's `messageJson` (the MessageStructure json string). */
export function parseAlertPayload(messageJson: string): AlertPayload {
  let payload: unknown;
  try {
    const outer = JSON.parse(messageJson) as { default?: unknown };
    payload = typeof outer.default === 'string' ? JSON.parse(outer.default) : undefined;
  } catch (cause) {
    throw new AlertPayloadError('stored message is not JSON', { cause });
  }
  const p = payload as Partial<AlertPayload> | undefined;
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.alert_id !== 'string' ||
    typeof p.stk_cd !== 'string' ||
    typeof p.dt !== 'string' ||
    typeof p.value !== 'number' ||
    typeof p.row !== 'object' ||
    !RULE_IDS.includes(p.rule as RuleId)
  ) {
    throw new AlertPayloadError('stored message has no alert payload');
  }
  return p as AlertPayload;
}

/** The inverse of the payload: the Alert it was built from (rates back to basis points). */
export function alertFromPayload(payload: AlertPayload): Alert {
  const rate = isRateRule(payload.rule);
  const units = (v: number): number => (rate ? Math.round(v * 100) : v);
  const f = payload.forecast;
  return {
    rule: payload.rule,
    direction: payload.direction,
    severity: payload.severity,
    threshold: payload.threshold === null ? null : units(payload.threshold),
    ...(payload.thresholds_crossed ? { thresholdsCrossed: payload.thresholds_crossed.map(units) } : {}),
    value: units(payload.value),
    previousValue: units(payload.previous_value),
    ...(payload.since !== undefined ? { since: payload.since } : {}),
    ...(f
      ? {
          forecast: {
            roomShares: f.room_shares,
            avgDailyNetBuying: f.avg_daily_net_buying,
            daysLeft: f.days_left,
            windowDays: f.window_days,
          },
        }
      : {}),
    alertId: payload.alert_id,
    stkCd: payload.stk_cd,
    ...(payload.name !== null ? { name: payload.name } : {}),
    dt: payload.dt,
    previousDt: payload.previous_dt,
    revision: payload.revision === true,
  };
}

/** The alert day's snapshot, from the row the payload carries. */
export function snapshotFromPayload(payload: AlertPayload): Snapshot {
  return parseRow(payload.stk_cd, payload.row);
}

// ---------------------------------------------------------------- digest

/** At most this many alerts in one digest: SNS takes 256 KB, and each alert carries its row. */
export const DIGEST_MAX_ALERTS = 100;

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 3, warning: 2, info: 1 };
const SEVERITY_KO: Readonly<Record<Severity, string>> = { critical: '긴급', warning: '주의', info: '참고' };

export interface DigestPayload {
  schema_version: typeof ALERT_SCHEMA_VERSION;
  kind: 'digest';
  run_id: string;
  /** The run's trading day: the context's, else the newest alert day. */
  dt: TradingDay;
  alert_count: number;
  /** The highest severity inside. */
  severity: Severity;
  /** In the digest's order: by code, then day, then rule. */
  alert_ids: string[];
  alerts: AlertPayload[];
}

export interface DigestMessage {
  subject: string;
  payload: DigestPayload;
  email: string;
  sms: string;
  /** `rule` = digest, `severity` = the highest inside, `alert_count`, `dt`, `run_id`. */
  attributes: Record<string, string>;
}

export interface DigestContext {
  runId: string;
  dt?: TradingDay;
}

/** A digest of nothing: the caller should not publish at all. */
export class EmptyDigestError extends Error {
  override readonly name = 'EmptyDigestError';
  constructor() {
    super('a digest needs at least one alert');
  }
}

/** Splits alerts into digests small enough for one SNS publish each. */
export function digestBatches<T>(entries: readonly T[], max = DIGEST_MAX_ALERTS): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < entries.length; i += max) batches.push(entries.slice(i, i + max));
  return batches;
}

/**
 * ALERT_DELIVERY=digest: one message for a run's alerts (this run's and any
 * the ledger still holds unsent), grouped by code. The same alert twice
 * (by alert_id) is listed once.
 */
export function buildDigestMessage(entries: readonly { payload: AlertPayload }[], context: DigestContext): DigestMessage {
  const byId = new Map<string, AlertPayload>();
  for (const { payload } of entries) if (!byId.has(payload.alert_id)) byId.set(payload.alert_id, payload);
  const alerts = [...byId.values()].sort(digestOrder);
  const first = alerts[0];
  if (!first) throw new EmptyDigestError();
  const dt = context.dt ?? alerts.map((a) => a.dt).sort().at(-1) ?? first.dt;
  const severity = alerts.reduce<Severity>((top, a) => (SEVERITY_RANK[a.severity] > SEVERITY_RANK[top] ? a.severity : top), 'info');
  const groups = groupByCode(alerts);
  const payload: DigestPayload = {
    schema_version: ALERT_SCHEMA_VERSION,
    kind: 'digest',
    run_id: context.runId,
    dt,
    alert_count: alerts.length,
    severity,
    alert_ids: alerts.map((a) => a.alert_id),
    alerts,
  };
  const firstName = payloadName(first);
  const codes = groups.length;
  const subject = fitWithName(
    (name) => singleLine(`[kfa] 외국인 보유 알림 ${alerts.length}건 · ${name}${codes > 1 ? ` 외 ${codes - 1}종목` : ''} ${formatTradingDay(dt)}`),
    firstName,
    SUBJECT_MAX_CHARS,
  );
  const sms = fitWithName(
    (name) => singleLine(`[외인] ${shortTradingDay(dt)} 알림 ${alerts.length}건 ${name}${codes > 1 ? ` 외 ${codes - 1}종목` : ''}`),
    firstName,
    SMS_MAX_CHARS,
  );
  return {
    subject,
    payload,
    email: digestEmail(groups, alerts.length, severity, dt, context.runId),
    sms,
    attributes: {
      rule: 'digest',
      severity,
      alert_count: String(alerts.length),
      dt,
      run_id: context.runId,
    },
  };
}

function digestOrder(a: AlertPayload, b: AlertPayload): number {
  if (a.stk_cd !== b.stk_cd) return a.stk_cd < b.stk_cd ? -1 : 1;
  if (a.dt !== b.dt) return a.dt < b.dt ? -1 : 1;
  return RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule);
}

function groupByCode(alerts: readonly AlertPayload[]): AlertPayload[][] {
  const groups = new Map<string, AlertPayload[]>();
  for (const a of alerts) groups.set(a.stk_cd, [...(groups.get(a.stk_cd) ?? []), a]);
  return [...groups.values()];
}

function payloadName(p: AlertPayload): string {
  return singleLine(p.name ?? '') || singleLine(p.stk_cd);
}

/** Hangul and other wide characters take two columns in a monospaced mail reader. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(ch) ? 2 : 1;
  return width;
}

function padDisplay(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

function digestRow(p: AlertPayload): string[] {
  const alert = alertFromPayload(p);
  const change = `${alertValueText({ rule: p.rule, value: alert.previousValue })} → ${alertValueText(alert)}`;
  const tags = `${p.revision ? ' [정정]' : ''}`;
  return [formatTradingDay(p.dt), SEVERITY_KO[p.severity], `${subjectSummary(alert)}${tags}`, change];
}

function digestEmail(
  groups: readonly AlertPayload[][],
  count: number,
  severity: Severity,
  dt: TradingDay,
  runId: string,
): string {
  const bySeverity = (['critical', 'warning', 'info'] as const)
    .map((sv) => [sv, groups.flat().filter((a) => a.severity === sv).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sv, n]) => `${SEVERITY_KO[sv]} ${n}`)
    .join(' · ');
  const header = ['거래일', '중요도', '알림', '이전 → 현재'];
  const rows = groups.flat().map(digestRow);
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : padDisplay(c, widths[i] ?? 0))).join('  ')}`.trimEnd();
  const lines = [
    `외국인 보유 알림 요약 (${formatTradingDay(dt)})`,
    `알림 ${count}건 · ${groups.length}종목 · ${bySeverity} (가장 높은 중요도: ${SEVERITY_KO[severity]})`,
  ];
  for (const group of groups) {
    const first = group[0];
    if (!first) continue;
    lines.push('', `■ ${payloadName(first)} (${singleLine(first.stk_cd)}) — ${group.length}건`, line(header));
    for (const p of group) lines.push(line(digestRow(p)));
  }
  lines.push(
    '',
    `${count} alert(s) for ${groups.length} code(s), trading day ${formatTradingDay(dt)}; highest severity ${severity}.`,
    '',
    `실행 ID: ${runId}`,
    `알림 ID: ${groups.flat().map((a) => a.alert_id).join(', ')}`,
  );
  return lines.join('\n');
}
