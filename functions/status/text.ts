// `kfa status` for a terminal: one line per code, nearest threshold first,
// then a line per invalid watchlist item saying why. Stored text in a cell
// shows its control, bidi and line-break characters as \uXXXX, so it cannot
// act on the terminal or start a line of its own.
import { kstTime } from '../domain/calendar.ts';
import { formatCompactPercentBp, formatPercentBp, formatSignedShares, formatTradingDay } from '../domain/messages.ts';
import { escapeInvisible } from '../domain/watchlist.ts';
import type { CodeStatus, StaleDay, StatusReport, ThresholdStatus } from './status.ts';

/** 17 → "+0.17pp", -5 → "-0.05pp". */
export function formatDistanceBp(bp: number): string {
  const sign = bp > 0 ? '+' : bp < 0 ? '-' : '±';
  return `${sign}${formatPercentBp(Math.abs(bp)).slice(0, -1)}pp`;
}

export function thresholdText(t: ThresholdStatus): string {
  const arrow = t.direction === 'above' ? '↑' : '↓';
  const distance = t.distanceBp === null ? '?' : formatDistanceBp(t.distanceBp);
  let state: string;
  if (t.pending) state = `pending ${t.pending.days}/${t.pending.confirmDays}`;
  else if (!t.armed) state = `disarmed, re-arms ${t.direction === 'above' ? '≤' : '≥'}${formatPercentBp(t.rearmBp ?? t.thresholdBp)}`;
  else state = 'armed';
  return `${arrow}${formatCompactPercentBp(t.thresholdBp)} ${distance} ${state}`;
}

/** "2026-11-21T09:31:00Z" → "2026-11-21 18:31 KST". */
export function kstMinute(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return escapeInvisible(iso);
  const day = new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
  return `${day} ${kstTime(at)} KST`;
}

export function staleText(stale: StaleDay, newestDt: string | null): string {
  const checked = stale.lastCheckedAt ? `; last scanned ${kstMinute(stale.lastCheckedAt)}` : '; never scanned';
  if (newestDt === null) return `STALE: no stored day yet, ${formatTradingDay(stale.expectedDt)} expected${checked}`;
  const behind = stale.tradingDaysBehind === null ? '' : `, ${stale.tradingDaysBehind} trading day(s) behind`;
  return `STALE: ${formatTradingDay(stale.expectedDt)} should be stored by now${behind} (a scan missed it, or a market holiday)${checked}`;
}

function lastAlertText(c: CodeStatus): string {
  const a = c.lastAlert;
  return a ? `${formatTradingDay(a.dt)} ${a.rule} ${escapeInvisible(a.status)}` : '-';
}

function codeCells(c: CodeStatus): string[] {
  const name = escapeInvisible(c.name ?? '') + (c.enabled ? '' : ' (disabled)') + (c.listed ? '' : ' (not on the watchlist)');
  return [
    c.stkCd,
    name,
    c.dt ? formatTradingDay(c.dt) : '-',
    c.limitExhRtBp === null ? '-' : formatPercentBp(c.limitExhRtBp),
    c.chgQty === null ? '-' : formatSignedShares(c.chgQty),
    c.thresholds.length > 0 ? c.thresholds.map(thresholdText).join('; ') : '-',
    c.snoozeUntil ? `${c.snoozed ? 'until' : 'ended'} ${formatTradingDay(c.snoozeUntil)}` : '-',
    c.forecast ? `${c.forecast.daysLeft}d` : '-',
    lastAlertText(c),
    c.stale ? staleText(c.stale, c.dt) : '',
  ];
}

const HEADER = ['code', 'name', 'day', 'rate', 'chg_qty', 'thresholds (nearest first)', 'snooze', 'exhaustion', 'last alert', ''];

/** Hangul and other wide characters take two terminal columns. */
export function columns(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFF60]/u.test(ch) ? 2 : 1;
  return w;
}

/** Rows of cells as aligned columns, two spaces apart. */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, columns(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - columns(cell))))
      .join('  ')
      .trimEnd(),
  );
}

export function statusText(report: StatusReport): string {
  const at = kstMinute(report.generatedAt);
  const lines = [
    `kfa status at ${at} (a day's row counts after ${report.dayCutoffKst} KST); distance + = not crossed yet`,
    '',
  ];
  if (report.codes.length === 0) lines.push('no watched codes');
  else lines.push(...alignColumns([HEADER, ...report.codes.map(codeCells)]));
  for (const item of report.invalid) lines.push(`${escapeInvisible(item.stkCd)}  INVALID  ${escapeInvisible(item.message)}`);
  return `${lines.join('\n')}\n`;
}
