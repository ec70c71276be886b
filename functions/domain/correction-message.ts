// The correction notice: one message to the people who received an alert
// that corrected history no longer supports, so nobody acts on a crossing
// that never happened. It travels like any alert (same SNS attributes, rule
// id `correction`) and its payload names the alert it corrects.
import { parseRow } from './parse.ts';
import {
  ALERT_SCHEMA_VERSION,
  AlertPayloadError,
  fitWithName,
  formatCompactPercentBp,
  formatPercentBp,
  formatShares,
  formatTradingDay,
  RULE_LABELS_KO,
  singleLine,
  SMS_MAX_CHARS,
  storedDefaultPayload,
  SUBJECT_MAX_CHARS,
} from './messages.ts';
import {
  CORRECTION_RULE,
  RULE_IDS,
  type Alert,
  type AlertDirection,
  type RawRow,
  type RuleId,
  type Severity,
  type Snapshot,
  type TradingDay,
} from './types.ts';

export interface CorrectionNotice {
  /** The notice's own id (stable: one notice per withdrawal of an alert). */
  alertId: string;
  /** The alert corrected, as it was published. */
  original: Alert;
  /** Crossings: the thresholds that did not happen. */
  withdrawnBp: readonly number[];
  /** Nothing of the original stands. */
  all: boolean;
  /** The original's day as Kiwoom serves it now. */
  current: Snapshot;
  /** The trading day before it, as Kiwoom serves it now (null when not stored). */
  previous: Snapshot | null;
}

/** The `default` message of a correction notice. Rates in percent, shares as integers. */
export interface CorrectionPayload {
  schema_version: typeof ALERT_SCHEMA_VERSION;
  /** Like a digest's `kind`: a reader tells a notice from an alert without knowing every rule. */
  kind: 'correction';
  alert_id: string;
  stk_cd: string;
  name: string | null;
  dt: TradingDay;
  rule: typeof CORRECTION_RULE;
  direction: AlertDirection;
  severity: Severity;
  /** The alert this notice corrects. */
  corrects_alert_id: string;
  corrects_rule: RuleId;
  /** `all`: nothing of the alert happened; `partial`: some of its thresholds did not. */
  withdrawn: 'all' | 'partial';
  /** Crossings: thresholds that did not happen (%), and those that still stand. */
  withdrawn_thresholds?: number[];
  standing_thresholds?: number[];
  /** The corrected alert's threshold, value and previous value, as it announced them (its payload's units). */
  threshold: number | null;
  value: number;
  previous_value: number;
  /** What the corrected day and the day before it say of the same figure (null where unknown or not recomputed). */
  corrected_value: number | null;
  corrected_previous_value: number | null;
  previous_dt: TradingDay | null;
  /** The day's ka10008 row as Kiwoom serves it now. */
  row: RawRow;
  revision: true;
  /** An on-purpose `kfa alerts resend` of the notice. */
  resend?: true;
}

export interface CorrectionMessage {
  subject: string;
  payload: CorrectionPayload;
  email: string;
  sms: string;
  attributes: Record<string, string>;
}

export interface CorrectionMessageOptions {
  /** `kfa alerts resend`: marked as a resend, as an alert's resend is. */
  resend?: boolean;
}

export function buildCorrectionMessage(notice: CorrectionNotice, options: CorrectionMessageOptions = {}): CorrectionMessage {
  const { original } = notice;
  const resend = options.resend === true;
  const name = singleLine(original.name ?? '') || singleLine(original.stkCd);
  const what = announced(notice);
  const cancelled = notice.all ? '알림 취소' : '일부 취소';
  return {
    subject: fitWithName(
      (n) =>
        singleLine(`[kfa][정정]${resend ? '[재발송]' : ''} ${n}(${singleLine(original.stkCd)}) ${what} ${cancelled} ${formatTradingDay(original.dt)}`),
      name,
      SUBJECT_MAX_CHARS,
    ),
    payload: { ...payloadOf(notice), ...(resend ? { resend: true as const } : {}) },
    email: emailOf(notice, name, what, resend),
    sms: fitWithName(
      (n) =>
        singleLine(`[외인·정정${resend ? '·재' : ''}] ${n} ${smsWhat(notice)} ${cancelled} ${original.dt.slice(4, 6)}/${original.dt.slice(6, 8)}`),
      name,
      SMS_MAX_CHARS,
    ),
    attributes: {
      stk_cd: original.stkCd,
      rule: CORRECTION_RULE,
      dt: original.dt,
      direction: original.direction,
      severity: original.severity,
      alert_id: notice.alertId,
      ...(resend ? { resend: 'true' } : {}),
    },
  };
}

/** The correction payload inside a ledger entry's `messageJson` (the MessageStructure json string). */
export function parseCorrectionPayload(messageJson: string): CorrectionPayload {
  const p = storedDefaultPayload(messageJson) as Partial<CorrectionPayload> | undefined;
  if (
    typeof p !== 'object' ||
    p === null ||
    p.kind !== 'correction' ||
    p.rule !== CORRECTION_RULE ||
    typeof p.alert_id !== 'string' ||
    typeof p.stk_cd !== 'string' ||
    typeof p.dt !== 'string' ||
    typeof p.corrects_alert_id !== 'string' ||
    !RULE_IDS.includes(p.corrects_rule as RuleId) ||
    (p.withdrawn !== 'all' && p.withdrawn !== 'partial') ||
    typeof p.value !== 'number' ||
    typeof p.row !== 'object' ||
    p.row === null
  ) {
    throw new AlertPayloadError('stored message has no correction payload');
  }
  return p as CorrectionPayload;
}

/**
 * The notice a stored payload was built from, to build it again (a resend):
 * `original` is the corrected alert as its own ledger entry recorded it, and
 * `previous` the stored day before (null when there is none).
 */
export function correctionNoticeOf(payload: CorrectionPayload, original: Alert, previous: Snapshot | null): CorrectionNotice {
  return {
    alertId: payload.alert_id,
    original,
    withdrawnBp: (payload.withdrawn_thresholds ?? []).map((t) => Math.round(t * 100)),
    all: payload.withdrawn === 'all',
    current: parseRow(payload.stk_cd, payload.row),
    previous,
  };
}

function isCrossing(rule: RuleId): boolean {
  return rule === 'limit_exh_rt_cross_up' || rule === 'limit_exh_rt_cross_down';
}

function isRate(rule: RuleId): boolean {
  return isCrossing(rule) || rule === 'limit_exh_rt_move' || rule === 'limit_exh_rt_still_beyond';
}

/** What the withdrawn part of the alert announced, in a few words. */
function announced(notice: CorrectionNotice): string {
  return withdrawnSummary(notice.original.rule, notice.withdrawnBp);
}

/**
 * What a notice withdraws, in a few words, for every channel that says it
 * (the email here, the chat formats): "한도소진률 99.5% 상향 돌파" for a
 * crossing's withdrawn thresholds, the rule's label otherwise.
 */
export function withdrawnSummary(rule: RuleId, withdrawnBp: readonly number[]): string {
  if (!isCrossing(rule)) return RULE_LABELS_KO[rule];
  const thresholds = withdrawnBp.map(formatCompactPercentBp).join(', ');
  return `한도소진률 ${thresholds} ${rule === 'limit_exh_rt_cross_up' ? '상향' : '하향'} 돌파`;
}

/** Why the notice comes, as every channel says it. */
export function correctionReason(what: string): string {
  return `키움증권이 이 거래일의 데이터를 정정했고, 정정된 수치로는 "${what}"이(가) 일어나지 않았습니다.`;
}

/** What a reader should do, as every channel says it. */
export const CORRECTION_ADVICE = '이 알림을 보고 조치하셨다면 정정된 수치로 다시 확인해 주세요.';
/** An on-purpose resend of a notice, as every channel says it. */
export const CORRECTION_RESEND_NOTE = '앞서 보낸 정정 알림을 다시 보냅니다.';

function smsWhat(notice: CorrectionNotice): string {
  const { original } = notice;
  if (!isCrossing(original.rule)) return RULE_LABELS_KO[original.rule];
  return `${notice.withdrawnBp.map(formatCompactPercentBp).join(',')}${original.rule === 'limit_exh_rt_cross_up' ? '↑' : '↓'}`;
}

/** The corrected figure the original rule looked at, for a day (null when unknown or not recomputed). */
function correctedFigure(rule: RuleId, day: Snapshot | null): number | null {
  if (day === null) return null;
  if (isRate(rule)) return day.limitExhRtBp;
  if (rule === 'chg_qty_abs') return day.chgQty;
  if (rule === 'frgnr_limit_change') return day.frgnrLimit;
  return null;
}

function payloadUnits(rule: RuleId, value: number | null): number | null {
  return value === null ? null : isRate(rule) ? value / 100 : value;
}

function payloadOf(notice: CorrectionNotice): CorrectionPayload {
  const { original } = notice;
  const rule = original.rule;
  const crossed = original.thresholdsCrossed ?? (original.threshold === null ? [] : [original.threshold]);
  return {
    schema_version: ALERT_SCHEMA_VERSION,
    kind: 'correction',
    alert_id: notice.alertId,
    stk_cd: original.stkCd,
    name: original.name ?? null,
    dt: original.dt,
    rule: CORRECTION_RULE,
    direction: original.direction,
    severity: original.severity,
    corrects_alert_id: original.alertId,
    corrects_rule: rule,
    withdrawn: notice.all ? 'all' : 'partial',
    ...(isCrossing(rule)
      ? {
          withdrawn_thresholds: notice.withdrawnBp.map((t) => t / 100),
          standing_thresholds: crossed.filter((t) => !notice.withdrawnBp.includes(t)).map((t) => t / 100),
        }
      : {}),
    threshold: rule === 'frgnr_limit_change' ? null : payloadUnits(rule, original.threshold),
    value: payloadUnits(rule, original.value) ?? original.value,
    previous_value: payloadUnits(rule, original.previousValue) ?? original.previousValue,
    corrected_value: payloadUnits(rule, correctedFigure(rule, notice.current)),
    corrected_previous_value: payloadUnits(rule, correctedFigure(rule, notice.previous)),
    previous_dt: notice.previous?.dt ?? null,
    row: { ...notice.current.row },
    revision: true,
  };
}

function figureText(rule: RuleId, value: number | null): string {
  if (value === null) return '?';
  if (isRate(rule)) return formatPercentBp(value);
  if (rule === 'limit_exhaustion_forecast') return `${value}거래일`;
  return `${formatShares(value)}주`;
}

function emailOf(notice: CorrectionNotice, name: string, what: string, resend: boolean): string {
  const { original } = notice;
  const rule = original.rule;
  const standing = (original.thresholdsCrossed ?? []).filter((t) => !notice.withdrawnBp.includes(t));
  const corrected = `${figureText(rule, correctedFigure(rule, notice.previous))} → ${figureText(rule, correctedFigure(rule, notice.current))}`;
  const lines = [
    `[정정] 앞서 보낸 알림을 바로잡습니다.`,
    `${name} (${singleLine(original.stkCd)}) · ${formatTradingDay(original.dt)}`,
    '',
    correctionReason(what),
    `  보낸 알림: ${original.alertId}`,
    `  알림의 값: ${figureText(rule, original.previousValue)} → ${figureText(rule, original.value)}`,
    ...(correctedFigure(rule, notice.current) === null ? [] : [`  정정된 값: ${corrected}`]),
    ...(!notice.all && standing.length > 0 ? [`  그대로 유효한 기준: ${standing.map(formatCompactPercentBp).join(', ')}`] : []),
    '',
    CORRECTION_ADVICE,
    ...(resend ? [`※ ${CORRECTION_RESEND_NOTE}`] : []),
    '',
    `Correction: Kiwoom corrected ${formatTradingDay(original.dt)} for ${singleLine(original.stkCd)}; ` +
      `${notice.all ? 'the alert' : 'part of the alert'} ${original.alertId} (${rule}) no longer holds.`,
    '',
    `알림 ID: ${notice.alertId}`,
  ];
  return lines.join('\n');
}
