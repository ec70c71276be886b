// A report built from a known synthetic history, without any table: three
// codes run through the scan's rule engine, their alerts recorded as the
// ledger would hold them, and one code whose name tries to inject markup.
// `npm run report:check` opens it in a real browser; the report tests read
// its HTML.
import { buildAlertMessage, snsMessageJson } from '../../functions/domain/messages.ts';
import { parseRow } from '../../functions/domain/parse.ts';
import { evaluateHistory, toAlert } from '../../functions/domain/rules.ts';
import { EMPTY_RULE_STATE, type WatchSettings } from '../../functions/domain/types.ts';
import { formatWatchProblems, resolveWatchSettings } from '../../functions/domain/watchlist.ts';
import type { ReportModel } from '../../functions/report/html.ts';
import { buildReportModel } from '../../functions/report/report.ts';
import type { RuleAlertEntry } from '../../functions/store/alert-ledger.ts';
import type { LoadedCode } from '../../functions/status/load.ts';
import { buildStatus } from '../../functions/status/status.ts';
import { syntheticHistory } from '../kiwoom-simulator/dataset.ts';

/** A name as someone might type it into the console to attack whoever opens the report. */
export const HOSTILE_NAME = `<script>document.title='PWNED'</script><img src=x onerror="document.title='PWNED'">`;

/** Tuesday 2026-11-24, 21:00 KST. */
export const SAMPLE_NOW = new Date('2026-11-24T12:00:00Z');
const LAST_DT = '20261124';

/** Settings from a watchlist item as someone would type it, through the one schema. */
function settings(item: Record<string, unknown>): WatchSettings {
  const resolved = resolveWatchSettings(item);
  if (!resolved.ok) throw new Error(formatWatchProblems(resolved));
  return resolved.settings;
}

export const SAMPLE_CODES: readonly { settings: WatchSettings; startRateBp: number; lastDt: string }[] = [
  { settings: settings({ stk_cd: '017670', name: 'SK텔레콤', limit_exh_rt_above: 49, limit_exh_rt_below: 48.5, hysteresis_pp: 0.1 }), startRateBp: 4870, lastDt: LAST_DT },
  { settings: settings({ stk_cd: '005930', name: '삼성전자', limit_exh_rt_above: [51, 52], chg_qty_abs: 60_000, confirm_days: 2 }), startRateBp: 5080, lastDt: LAST_DT },
  // Two trading days behind: the report shows the missing-day warning.
  // The schema would refuse this name (too long); a status reads what is stored, whoever wrote it.
  { settings: { ...settings({ stk_cd: '035720', limit_exh_rt_below: 25, snooze_until: '20261231' }), name: HOSTILE_NAME }, startRateBp: 2560, lastDt: '20261120' },
];

function sampleCode(code: (typeof SAMPLE_CODES)[number], days: number): LoadedCode {
  const { stkCd } = code.settings;
  const rows = syntheticHistory(stkCd, { days, lastDt: code.lastDt, startRateBp: code.startRateBp, maxDailyMoveBp: 15, seed: Number(stkCd) + 1 });
  const snapshots = rows.map((row) => parseRow(stkCd, row)).reverse();
  const evaluated = evaluateHistory(code.settings, snapshots, EMPTY_RULE_STATE);
  const stored = snapshots.map((snapshot, i) => ({
    snapshot,
    ruleState: i === 0 ? EMPTY_RULE_STATE : (evaluated[i - 1]?.state ?? EMPTY_RULE_STATE),
    revision: 0,
    previousRows: [],
    storedAt: SAMPLE_NOW.toISOString(),
  }));
  const alerts: RuleAlertEntry[] = evaluated.flatMap((day, i) =>
    day.findings.map((finding, n): RuleAlertEntry => {
      const current = snapshots[i + 1]!;
      const alert = toAlert(finding, { stkCd, name: code.settings.name, dt: day.dt, previousDt: day.previousDt, revision: false });
      const message = buildAlertMessage(alert, { current, recent: snapshots.slice(Math.max(0, i - 19), i + 2) });
      const at = `${day.dt.slice(0, 4)}-${day.dt.slice(4, 6)}-${day.dt.slice(6, 8)}T09:3${n}:00.000Z`;
      return {
        alertId: alert.alertId,
        stkCd,
        dt: day.dt,
        rule: finding.rule,
        // The newest alert waits for its publish; the rest went out.
        status: i === evaluated.length - 1 ? 'pending' : 'sent',
        message: { subject: message.subject, messageJson: snsMessageJson(message), attributes: message.attributes },
        revision: false,
        createdAt: at,
        updatedAt: at,
        attempts: 1,
        sentAt: at,
      };
    }),
  ).reverse();
  const last = alerts[0];
  return {
    input: {
      settings: code.settings,
      listed: true,
      days: stored,
      lastAlert: last ? { alertId: last.alertId, dt: last.dt, rule: last.rule, status: last.status } : null,
      lastCheckedAt: `${code.lastDt.slice(0, 4)}-${code.lastDt.slice(4, 6)}-${code.lastDt.slice(6, 8)}T09:31:00.000Z`,
    },
    days: stored,
    alerts,
  };
}

/** The sample report's content: `days` trading days per code, as of SAMPLE_NOW. */
export async function sampleReportModel(days = 60): Promise<ReportModel> {
  const codes = SAMPLE_CODES.map((code) => sampleCode(code, days));
  const invalid = [
    { stkCd: '000660', problems: [], message: 'watchlist item 000660: limit_exh_rt_above "49.123" has more than two decimals' },
  ];
  const status = buildStatus({ codes: codes.map((c) => c.input), invalid, now: SAMPLE_NOW, dayCutoffKst: '18:00' });
  return buildReportModel({ codes, invalid }, status, days);
}
