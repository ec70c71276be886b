// The Korean wording every chat format shares, from the `default` payload's
// units (rates as percent numbers such as 49.12, shares as integers). Plain
// text only: each format escapes these strings for its own markup. The
// numbers, rule labels and one-line summaries are the email's and subject's
// own (domain/messages), so an alert reads the same in every channel:
// `chg_qty` is the day's change in foreign-held shares, "외국인 보유 N주
// 증가/감소", never net buying or selling.
import {
  alertFromPayload,
  forecastArithmetic,
  formatCompactPercentBp,
  formatPercentBp,
  formatPointsBp,
  formatShares,
  formatSignedShares,
  formatTradingDay,
  RULE_LABELS_KO,
  singleLine,
  subjectSummary,
  type AlertPayload,
} from '../../domain/messages.ts';
import {
  CORRECTION_ADVICE,
  CORRECTION_RESEND_NOTE,
  correctionReason,
  withdrawnSummary,
} from '../../domain/correction-message.ts';
import { parseRow } from '../../domain/parse.ts';
import { RULE_IDS, type RuleId } from '../../domain/types.ts';
import type { AlertNotice, CorrectionNotice, DigestNotice, Severity } from '../notice.ts';

export const SEVERITY_KO: Readonly<Record<Severity, string>> = { critical: '긴급', warning: '주의', info: '참고' };

/** One colour per severity, shared by Slack (attachment colour), Discord (embed colour) and Telegram (a dot). */
export const SEVERITY_COLOUR: Readonly<Record<Severity, number>> = { critical: 0xd32f2f, warning: 0xf9a825, info: 0x1976d2 };
export const SEVERITY_DOT: Readonly<Record<Severity, string>> = { critical: '🔴', warning: '🟠', info: '🔵' };

export const TEST_BANNER = '[테스트] kfa 채널 연결 확인용 메시지입니다. 실제 알림이 아닙니다.';

const isKnownRule = (rule: string): rule is RuleId => (RULE_IDS as readonly string[]).includes(rule);

/** The rule's Korean label; a rule a newer scan added reads as its id. */
export function ruleKo(rule: string): string {
  return isKnownRule(rule) ? RULE_LABELS_KO[rule] : `알림 ${rule}`;
}

// ---------------------------------------------------------------- numbers

/** The payload's percent numbers back to exact basis points (49.12 → 4912). */
const bp = (percentValue: number): number => Math.round(percentValue * 100);

export const shares = formatShares;
export const signedShares = formatSignedShares;
/** 49.1 → "49.10%". */
export const percent = (p: number): string => formatPercentBp(bp(p));
/** Thresholds without trailing zeros: 49 → "49%", 49.5 → "49.5%". */
export const compactPercent = (p: number): string => formatCompactPercentBp(bp(p));
/** A change in percentage points: 0.17 → "+0.17%p". */
export const points = (pp: number): string => formatPointsBp(bp(pp));
/** "20261106" → "2026-11-06". */
export const day = formatTradingDay;
/** Names come from people: one line, no control characters. */
export const oneLine = singleLine;

export function displayName(alert: Pick<AlertNotice, 'name' | 'stk_cd'>): string {
  return oneLine(alert.name ?? '') || oneLine(alert.stk_cd);
}

// ---------------------------------------------------------------- one alert

const RATE_RULES = new Set(['limit_exh_rt_cross_up', 'limit_exh_rt_cross_down', 'limit_exh_rt_move', 'limit_exh_rt_still_beyond']);

/** The alert's value with its unit. */
export function valueText(rule: string, value: number): string {
  if (RATE_RULES.has(rule)) return percent(value);
  if (rule === 'chg_qty_abs') return `${signedShares(value)}주`;
  if (rule === 'frgnr_limit_change') return `${shares(value)}주`;
  if (rule === 'limit_exhaustion_forecast') return `${value}거래일`;
  return String(value);
}

/**
 * One line saying what happened, as the email's subject says it:
 * "한도소진률 99% 상향 돌파", "외국인 보유 5,000,000주 감소".
 */
export function headline(alert: AlertNotice): string {
  if (!isKnownRule(alert.rule) || alert.previous_value === undefined || !alert.previous_dt || !alert.direction) {
    return ruleKo(alert.rule);
  }
  const summary = subjectSummary(alertFromPayload(alert as unknown as AlertPayload));
  return alert.rule === 'limit_exh_rt_still_beyond' && alert.since ? `${summary} (${day(alert.since)}부터)` : summary;
}

/** The threshold as the rule reads it, or null when the rule has none. */
export function thresholdText(alert: AlertNotice): string | null {
  const t = alert.threshold;
  if (t === null || t === undefined) return alert.rule === 'frgnr_limit_change' ? '변경 시' : null;
  switch (alert.rule) {
    case 'limit_exh_rt_cross_up':
    case 'limit_exh_rt_cross_down': {
      const crossed = alert.thresholds_crossed ?? [];
      return crossed.length > 1 ? `${crossed.map(compactPercent).join(', ')} (가장 먼 ${compactPercent(t)})` : compactPercent(t);
    }
    case 'limit_exh_rt_still_beyond':
      return compactPercent(t);
    case 'limit_exh_rt_move':
      return `${points(t).replace(/^\+/, '')} 이상`;
    case 'chg_qty_abs':
      return `${shares(t)}주 이상`;
    case 'limit_exhaustion_forecast':
      return `${t}거래일 이내`;
    default:
      return String(t);
  }
}

/** "98.93% → 99.04% (2026-11-05 → 2026-11-06)": previous → current with the days. */
export function changeText(alert: AlertNotice): string {
  const previous = alert.previous_value;
  const days = alert.previous_dt ? ` (${day(alert.previous_dt)} → ${day(alert.dt)})` : '';
  if (previous === undefined) return `${valueText(alert.rule, alert.value)}${days}`;
  return `${valueText(alert.rule, previous)} → ${valueText(alert.rule, alert.value)}${days}`;
}

/** What the change is of: the rate, the day's change in holdings, the limit, the forecast. */
export function changeLabel(rule: string): string {
  if (RATE_RULES.has(rule)) return '한도소진률 (이전 → 현재)';
  if (rule === 'chg_qty_abs') return '일간 보유 변동 (전일 → 당일)';
  if (rule === 'frgnr_limit_change') return '외국인한도 (이전 → 현재)';
  if (rule === 'limit_exhaustion_forecast') return '소진 예상 (이전 → 현재)';
  return '이전 → 현재';
}

export interface Holdings {
  /** poss_stkcnt */
  held: string;
  /** gain_pos_stkcnt: foreign room left. */
  room: string;
  /** limit_exh_rt */
  rate: string;
}

/** Holdings, remaining room and the rate from the day's row; "알 수 없음" when Kiwoom did not say. */
export function holdings(alert: AlertNotice): Holdings {
  const unknown = '알 수 없음';
  if (!alert.row) return { held: unknown, room: unknown, rate: unknown };
  try {
    const s = parseRow(alert.stk_cd, alert.row as Parameters<typeof parseRow>[1]);
    return {
      held: s.possStkcnt === null ? unknown : `${shares(s.possStkcnt)}주`,
      room: s.gainPosStkcnt === null ? unknown : `${shares(s.gainPosStkcnt)}주`,
      rate: s.limitExhRtBp === null ? unknown : percent(s.limitExhRtBp / 100),
    };
  } catch {
    return { held: unknown, room: unknown, rate: unknown };
  }
}

/** Notes a reader must not miss: a corrected day, an on-purpose resend. */
export function remarks(alert: AlertNotice): string[] {
  const notes: string[] = [];
  if (alert.revision) notes.push('키움증권이 정정한 데이터로 다시 판단한 알림입니다.');
  if (alert.resend) notes.push('앞서 보낸 알림을 다시 보냅니다.');
  if (alert.rule === 'limit_exhaustion_forecast' && alert.forecast) {
    const f = alert.forecast;
    notes.push(
      forecastArithmetic({ roomShares: f.room_shares, avgDailyNetBuying: f.avg_daily_net_buying, daysLeft: f.days_left, windowDays: f.window_days }),
    );
  }
  return notes;
}

/** "SK텔레콤 (017670)". */
export function who(alert: Pick<AlertNotice, 'name' | 'stk_cd'>): string {
  return `${displayName(alert)} (${oneLine(alert.stk_cd)})`;
}

// ---------------------------------------------------------------- correction notices

/** A correction notice's own colour and mark (Slack, Discord, Telegram), apart from every severity's. */
export const CORRECTION_COLOUR = 0x7b1fa2;
export const CORRECTION_MARK = '↩️';

/** "한도소진률 99.5% 상향 돌파": what the notice withdraws, as its email says it. */
export function withdrawnText(notice: CorrectionNotice): string {
  const rule = notice.corrects_rule;
  if (!isKnownRule(rule)) return ruleKo(rule);
  return withdrawnSummary(rule, (notice.withdrawn_thresholds ?? []).map(bp));
}

/** "[정정] SK텔레콤 (017670)". */
export function correctionTitle(notice: CorrectionNotice): string {
  return `[정정] ${who(notice)}`;
}

/** "한도소진률 99.5% 상향 돌파 알림 취소" (or "일부 취소"), as the notice's subject says it. */
export function correctionHeadline(notice: CorrectionNotice): string {
  return `${withdrawnText(notice)} ${notice.withdrawn === 'all' ? '알림 취소' : '일부 취소'}`;
}

/** Why the notice comes, word for word as its email says it. */
export function correctionWhy(notice: CorrectionNotice): string {
  return correctionReason(withdrawnText(notice));
}

export interface CorrectionField {
  label: string;
  value: string;
  /** An id: Telegram sets it as code. */
  code?: boolean;
}

/** What the withdrawn alert's figure is of. */
function figureName(rule: string): string {
  if (RATE_RULES.has(rule)) return '한도소진률';
  if (rule === 'chg_qty_abs') return '일간 보유 변동';
  if (rule === 'frgnr_limit_change') return '외국인한도';
  return '값';
}

/**
 * The alert withdrawn, the day's figure as first served → as corrected, and
 * the pairs the email shows (the alert's previous → current, and the same
 * days corrected), in the withdrawn alert's units.
 */
export function correctionFields(notice: CorrectionNotice): CorrectionField[] {
  const rule = notice.corrects_rule;
  const text = (value: number | null): string => (value === null ? '알 수 없음' : valueText(rule, value));
  const corrected = notice.corrected_value;
  const days = notice.previous_dt ? ` (${day(notice.previous_dt)} → ${day(notice.dt)})` : '';
  const standing = notice.withdrawn === 'partial' ? (notice.standing_thresholds ?? []) : [];
  const wasCorrected = corrected !== null;
  return [
    { label: '보낸 알림', value: notice.corrects_alert_id, code: true },
    ...(wasCorrected ? [{ label: `${day(notice.dt)} ${figureName(rule)} (처음 받은 값 → 정정된 값)`, value: `${text(notice.value)} → ${text(corrected)}` }] : []),
    { label: '알림의 값 (이전 → 현재)', value: `${text(notice.previous_value)} → ${text(notice.value)}` },
    ...(wasCorrected ? [{ label: '정정된 값 (이전 → 현재)', value: `${text(notice.corrected_previous_value)} → ${text(corrected)}${days}` }] : []),
    ...(standing.length > 0 ? [{ label: '그대로 유효한 기준', value: standing.map(compactPercent).join(', ') }] : []),
  ];
}

/** What a reader should do, and that this is an on-purpose resend. */
export function correctionRemarks(notice: CorrectionNotice): string[] {
  return [CORRECTION_ADVICE, ...(notice.resend ? [CORRECTION_RESEND_NOTE] : [])];
}

/** The notification text: "[정정] SK텔레콤 (017670) 한도소진률 49% 상향 돌파 알림 취소 2026-11-06". */
export function correctionFallback(notice: CorrectionNotice): string {
  return `${correctionTitle(notice)} ${correctionHeadline(notice)} ${day(notice.dt)}`;
}

// ---------------------------------------------------------------- digests

export function digestTitle(digest: DigestNotice): string {
  return `외국인 보유 알림 요약 · ${day(digest.dt)}`;
}

export function digestSummary(digest: DigestNotice): string {
  const codes = new Set(digest.alerts.map((a) => a.stk_cd)).size;
  const bySeverity = (['critical', 'warning', 'info'] as const)
    .map((s) => [s, digest.alerts.filter((a) => a.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${SEVERITY_KO[s]} ${n}`)
    .join(' · ');
  return `알림 ${digest.alerts.length}건 · ${codes}종목 · ${bySeverity}`;
}

/** The digest's alerts grouped by code, in the order they came. */
export function digestGroups(digest: DigestNotice): AlertNotice[][] {
  const groups = new Map<string, AlertNotice[]>();
  for (const a of digest.alerts) groups.set(a.stk_cd, [...(groups.get(a.stk_cd) ?? []), a]);
  return [...groups.values()];
}

/** One digest line: "11-06 한도소진률 99% 상향 돌파 · 98.93% → 99.04%". */
export function digestLine(alert: AlertNotice): string {
  const previous = alert.previous_value;
  const change = previous === undefined ? valueText(alert.rule, alert.value) : `${valueText(alert.rule, previous)} → ${valueText(alert.rule, alert.value)}`;
  const date = /^\d{8}$/.test(alert.dt) ? `${alert.dt.slice(4, 6)}-${alert.dt.slice(6, 8)}` : alert.dt;
  return `${date} ${headline(alert)} · ${change}${alert.revision ? ' [정정]' : ''}`;
}
