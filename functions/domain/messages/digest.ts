// ALERT_DELIVERY=digest: one message for a run's alerts, grouped by code,
// with a short Korean table in the email and a one-line SMS. The most severe
// alert leads (then the lowest code): the Subject and SMS name it, and codes
// are listed by their most severe alert.
import { RULE_IDS } from '../types.ts';
import type { Severity, TradingDay } from '../types.ts';
import { fitWithName, formatTradingDay, shortTradingDay, singleLine } from './format.ts';
import { ALERT_SCHEMA_VERSION, alertFromPayload, type AlertPayload } from './payload.ts';
import { SMS_MAX_CHARS, smsBody } from './sms.ts';
import { alertValueText, SUBJECT_MAX_CHARS, subjectSummary } from './subject.ts';

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
  /** In the digest's order: codes by their most severe alert, then by code; within a code by day, then rule. */
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
  const lead = [...byId.values()].sort(leadOrder)[0];
  if (!lead) throw new EmptyDigestError();
  const groups = groupByCode([...byId.values()]);
  const alerts = groups.flat();
  const dt = context.dt ?? alerts.map((a) => a.dt).sort().at(-1) ?? lead.dt;
  const severity = lead.severity;
  const critical = alerts.filter((a) => a.severity === 'critical').length;
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
  const headline: DigestHeadline = { lead, count: alerts.length, critical, dt };
  return {
    subject: digestSubject(headline),
    payload,
    email: digestEmail(groups, alerts.length, severity, dt, context.runId),
    sms: digestSms(headline),
    attributes: {
      rule: 'digest',
      severity,
      alert_count: String(alerts.length),
      dt,
      run_id: context.runId,
    },
  };
}

/** What a digest's Subject and SMS say: how many, how many critical, and the alert it leads with. */
interface DigestHeadline {
  lead: AlertPayload;
  count: number;
  critical: number;
  dt: TradingDay;
}

function countsText(h: DigestHeadline): string {
  return `알림 ${h.count}건(긴급 ${h.critical})`;
}

/** "[kfa] 외국인 보유 알림 3건(긴급 2) · 삼성전자 한도소진률 51% 상향 돌파 외 2건 2026-11-27". */
function digestSubject(h: DigestHeadline): string {
  const summary = subjectSummary(alertFromPayload(h.lead));
  const others = h.count > 1 ? ` 외 ${h.count - 1}건` : '';
  return fitWithName(
    (name) => singleLine(`[kfa] 외국인 보유 ${countsText(h)} · ${name} ${summary}${others} ${formatTradingDay(h.dt)}`),
    payloadName(h.lead),
    SUBJECT_MAX_CHARS,
  );
}

/** "[외인] 11/27 알림 3건(긴급 2): 삼성전자 51% 상향돌파(51.02%) 등". */
function digestSms(h: DigestHeadline): string {
  const body = smsBody(alertFromPayload(h.lead));
  const more = h.count > 1 ? ' 등' : '';
  return fitWithName(
    (name) => singleLine(`[외인] ${shortTradingDay(h.dt)} ${countsText(h)}: ${name} ${body}${more}`),
    payloadName(h.lead),
    SMS_MAX_CHARS,
  );
}

/** Within a code: by day, then rule. */
function dayOrder(a: AlertPayload, b: AlertPayload): number {
  if (a.dt !== b.dt) return a.dt < b.dt ? -1 : 1;
  return RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule);
}

const byCode = (a: AlertPayload, b: AlertPayload): number => (a.stk_cd === b.stk_cd ? 0 : a.stk_cd < b.stk_cd ? -1 : 1);

/** The alert a digest leads with: the most severe, then the lowest code, then the earliest day and rule. */
function leadOrder(a: AlertPayload, b: AlertPayload): number {
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || byCode(a, b) || dayOrder(a, b);
}

function topSeverity(alerts: readonly AlertPayload[]): number {
  return Math.max(...alerts.map((a) => SEVERITY_RANK[a.severity]));
}

/** One group per code, codes by their most severe alert, then by code. */
function groupByCode(alerts: readonly AlertPayload[]): AlertPayload[][] {
  const groups = new Map<string, AlertPayload[]>();
  for (const a of alerts) groups.set(a.stk_cd, [...(groups.get(a.stk_cd) ?? []), a]);
  return [...groups.values()]
    .map((group) => group.sort(dayOrder))
    .sort((a, b) => topSeverity(b) - topSeverity(a) || byCode(a[0] as AlertPayload, b[0] as AlertPayload));
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
