// `kfa report --html`: one self-contained page (no script, no stylesheet,
// font or image from anywhere else, nothing fetched when it opens) that reads
// well on a phone, since it is what gets attached to or opened from an email:
// the status table, then per code its chart (inline SVG) and recent alerts.
// Korean first, like the alert emails. Every stored text is escaped here.
import { formatDay } from '../domain/calendar.ts';
import { formatCompactPercentBp, formatPercentBp, formatShares, formatSignedShares, RULE_LABELS_KO } from '../domain/messages.ts';
import type { RuleId, TradingDay } from '../domain/types.ts';
import { escapeInvisible } from '../domain/watchlist.ts';
import type { CodeStatus, InvalidItem, StaleDay, StatusReport, ThresholdStatus } from '../status/status.ts';
import { formatDistanceBp, kstMinute } from '../status/text.ts';

/** One recorded alert as the report lists it. */
export interface ReportAlert {
  alertId: string;
  dt: TradingDay;
  rule: RuleId;
  status: string;
  /** "98.93% → 99.04%", "+1,234,567주"; null when the stored message cannot be read. */
  valueText: string | null;
  thresholdText: string | null;
}

export interface ReportCode {
  status: CodeStatus;
  /** The chart as vega wrote it (a standalone SVG document). */
  chartSvg: string | null;
  /** First and last trading day the chart shows. */
  period: { fromDt: TradingDay; toDt: TradingDay } | null;
  /** Alerts of the charted period, newest first. */
  alerts: ReportAlert[];
}

export interface ReportModel {
  status: StatusReport;
  codes: ReportCode[];
  /** Trading days per chart (`--days`). */
  days: number;
}

/** Text for HTML: control and bidi characters made visible (\uXXXX), then & < > " ' as entities. */
export function escapeHtml(text: string): string {
  return escapeInvisible(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STATUS_KO: Readonly<Record<string, string>> = {
  sent: '발송됨',
  pending: '발송 대기',
  failed: '발송 실패(다음 실행에서 재시도)',
  suppressed: '보류(스누즈)',
};

function statusLabel(status: string): string {
  return STATUS_KO[status] ?? status;
}

function ruleLabel(rule: RuleId): string {
  return RULE_LABELS_KO[rule] ?? rule;
}

function displayName(c: CodeStatus): string {
  return c.name ? `${c.name} (${c.stkCd})` : c.stkCd;
}

function thresholdText(t: ThresholdStatus): string {
  const side = t.direction === 'above' ? '↑' : '↓';
  const distance = t.distanceBp === null ? '?' : formatDistanceBp(t.distanceBp).replace(/pp$/, '%p');
  let state: string;
  if (t.pending) state = `확인 대기 ${t.pending.days}/${t.pending.confirmDays}일`;
  else if (!t.armed) state = `비활성 · ${formatPercentBp(t.rearmBp ?? t.thresholdBp)} ${t.direction === 'above' ? '이하' : '이상'}에서 재활성`;
  else state = '활성';
  return `${side}${formatCompactPercentBp(t.thresholdBp)} ${distance} · ${state}`;
}

function staleText(stale: StaleDay): string {
  const behind = stale.tradingDaysBehind === null ? '저장된 거래일 없음' : `${stale.tradingDaysBehind}거래일 지연`;
  const checked = stale.lastCheckedAt ? `, 마지막 스캔 ${kstMinute(stale.lastCheckedAt)}` : '';
  return `⚠ ${formatDay(stale.expectedDt)} 데이터 없음 (${behind} — 스캔 누락 또는 휴장일${checked})`;
}

function cell(label: string, html: string, className = ''): string {
  return `<td data-label="${escapeHtml(label)}"${className ? ` class="${className}"` : ''}>${html}</td>`;
}

function statusRow(c: CodeStatus): string {
  const thresholds =
    c.thresholds.length > 0
      ? `<ul class="thresholds">${c.thresholds.map((t) => `<li class="threshold">${escapeHtml(thresholdText(t))}</li>`).join('')}</ul>`
      : '-';
  const snooze = c.snoozeUntil ? `${c.snoozed ? '' : '종료 '}${formatDay(c.snoozeUntil)}까지` : '-';
  const last = c.lastAlert
    ? `${formatDay(c.lastAlert.dt)} ${escapeHtml(ruleLabel(c.lastAlert.rule))} · ${escapeHtml(statusLabel(c.lastAlert.status))}`
    : '-';
  const flags = [c.enabled ? '' : ' <span class="tag">비활성</span>', c.listed ? '' : ' <span class="tag">관심목록 밖</span>'].join('');
  return [
    `<tr data-stk-cd="${escapeHtml(c.stkCd)}"${c.stale ? ' class="stale"' : ''}>`,
    `<th scope="row"><a href="#code-${escapeHtml(c.stkCd)}">${escapeHtml(displayName(c))}</a>${flags}</th>`,
    cell('기준일', c.dt ? formatDay(c.dt) : '-', 'day'),
    cell('한도소진률', c.limitExhRtBp === null ? '-' : formatPercentBp(c.limitExhRtBp), 'num'),
    cell('외국인 보유 증감(주)', c.chgQty === null ? '-' : formatSignedShares(c.chgQty), 'num'),
    cell('기준까지 (가까운 순)', thresholds),
    cell('스누즈', snooze),
    cell('한도 소진 예상', c.forecast ? `${formatShares(c.forecast.daysLeft)}거래일` : '-', 'num'),
    cell('최근 알림', last),
    cell('경고', c.stale ? `<span class="warning">${escapeHtml(staleText(c.stale))}</span>` : '-'),
    '</tr>',
  ].join('');
}

const STATUS_HEADERS = ['종목', '기준일', '한도소진률', '외국인 보유 증감(주)', '기준까지 (가까운 순)', '스누즈', '한도 소진 예상', '최근 알림', '경고'];

function statusTable(report: StatusReport): string {
  if (report.codes.length === 0) return '<p>관심목록에 종목이 없습니다.</p>';
  return [
    '<div class="table-wrap"><table class="status">',
    `<thead><tr>${STATUS_HEADERS.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`,
    `<tbody>${report.codes.map(statusRow).join('')}</tbody>`,
    '</table></div>',
  ].join('');
}

function invalidList(items: readonly InvalidItem[]): string {
  if (items.length === 0) return '';
  return [
    '<section class="invalid"><h2>설정 오류로 건너뛴 항목</h2><ul>',
    ...items.map((i) => `<li data-stk-cd="${escapeHtml(i.stkCd)}">${escapeHtml(i.message)}</li>`),
    '</ul></section>',
  ].join('');
}

/**
 * vega's standalone SVG, made inline: the namespace declarations go (the
 * HTML parser puts <svg> in the SVG namespace itself, and the page then holds
 * no URL at all), and the drawing scales to the screen width.
 */
export function inlineSvg(svg: string, label: string): string {
  const opening = /^<svg\b[^>]*>/.exec(svg)?.[0];
  if (!opening) throw new Error('chart is not an SVG document');
  const viewBox = /\sviewBox="([^"]*)"/.exec(opening)?.[1];
  const attributes = [`class="chart-svg"`, `role="img"`, `aria-label="${escapeHtml(label)}"`, ...(viewBox ? [`viewBox="${viewBox}"`] : [])];
  return `<svg ${attributes.join(' ')}>${svg.slice(opening.length)}`;
}

function alertRows(alerts: readonly ReportAlert[]): string {
  if (alerts.length === 0) return '<p class="none">이 기간에 기록된 알림이 없습니다.</p>';
  const rows = alerts.map((a) =>
    [
      `<tr data-alert-id="${escapeHtml(a.alertId)}">`,
      cell('일자', formatDay(a.dt), 'day'),
      cell('알림', escapeHtml(ruleLabel(a.rule))),
      cell('값', a.valueText === null ? '-' : escapeHtml(a.valueText), 'num'),
      cell('기준', a.thresholdText === null ? '-' : escapeHtml(a.thresholdText), 'num'),
      cell('상태', escapeHtml(statusLabel(a.status))),
      '</tr>',
    ].join(''),
  );
  return [
    '<div class="table-wrap"><table class="alerts">',
    `<thead><tr>${['일자', '알림', '값', '기준', '상태'].map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`,
    `<tbody>${rows.join('')}</tbody></table></div>`,
  ].join('');
}

function codeSection(code: ReportCode): string {
  const c = code.status;
  const name = displayName(c);
  const period = code.period ? `${formatDay(code.period.fromDt)} – ${formatDay(code.period.toDt)}` : '저장된 거래일 없음';
  const chart = code.chartSvg
    ? `<figure class="chart">${inlineSvg(code.chartSvg, `${name} 한도소진률 차트, ${period}`)}</figure>`
    : '<p class="none">차트를 그릴 거래일이 없습니다.</p>';
  return [
    `<section class="code" id="code-${escapeHtml(c.stkCd)}" data-stk-cd="${escapeHtml(c.stkCd)}">`,
    `<h2>${escapeHtml(name)}</h2>`,
    `<p class="period">${period}</p>`,
    chart,
    '<h3>최근 알림</h3>',
    alertRows(code.alerts),
    '</section>',
  ].join('');
}

// Korean system fonts first on each platform; nothing is downloaded.
const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 12px; font: 15px/1.5 -apple-system, "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans KR", "Noto Sans CJK KR", "Nanum Gothic", sans-serif; color: #1b1f24; background: #fff; word-break: keep-all; overflow-wrap: anywhere; }
h1 { font-size: 1.35rem; margin: 0.2rem 0; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 0.3rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.3rem; }
.meta, .period, .none { color: #57606a; font-size: 0.9rem; margin: 0.2rem 0; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #d0d7de; }
thead th { background: #f6f8fa; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.day { white-space: nowrap; }
ul.thresholds { margin: 0; padding: 0; list-style: none; }
tr.stale th, tr.stale td { background: #fff8e1; }
.warning { color: #9a6700; font-weight: 600; }
.tag { font-size: 0.75rem; color: #57606a; border: 1px solid #d0d7de; border-radius: 4px; padding: 0 4px; }
figure.chart { margin: 0.4rem 0; }
svg.chart-svg { display: block; width: 100%; max-width: 640px; height: auto; }
a { color: #0969da; }
@media (max-width: 700px) {
  body { padding: 8px; font-size: 14px; }
  table, thead, tbody, tr, th, td { display: block; width: 100%; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  tr { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 10px; padding: 4px 0; }
  th, td { border: none; padding: 2px 10px; }
  td { display: flex; gap: 8px; }
  td::before { content: attr(data-label); flex: 0 0 6.5em; font-size: 0.8rem; color: #57606a; }
  td.num { text-align: left; }
}
`;

export function reportHtml(model: ReportModel): string {
  const { status } = model;
  const at = kstMinute(status.generatedAt);
  const counts = `${status.codes.length}개 종목${status.invalid.length > 0 ? `, 설정 오류 ${status.invalid.length}건` : ''}`;
  return [
    '<!doctype html>',
    '<html lang="ko">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>외국인 한도소진 현황 ${escapeHtml(at)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    '<h1>외국인 한도소진 현황</h1>',
    `<p class="meta">${escapeHtml(at)} 기준 · ${counts} · 종목별 최근 ${model.days}거래일 · 하루 데이터는 ${escapeHtml(status.dayCutoffKst)} KST 이후 확정</p>`,
    '</header>',
    '<main>',
    '<section class="overview"><h2>종목별 현황</h2>',
    '<p class="meta">기준까지: + 는 아직 넘지 않음, − 는 넘어선 상태(%p). 가까운 기준 순으로 정렬.</p>',
    statusTable(status),
    '</section>',
    invalidList(status.invalid),
    ...model.codes.map(codeSection),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
