// The alert history: what the ledger says was sent, pending, failed or
// suppressed (snoozed), and an on-purpose resend of one alert.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  alertFromPayload,
  buildAlertMessage,
  parseAlertPayload,
  snapshotFromPayload,
  snsMessageJson,
  SPARKLINE_DAYS,
  type AlertPayload,
} from '../../functions/domain/messages.ts';
import { RULE_IDS, type LedgerRule, type RuleId, type TradingDay } from '../../functions/domain/types.ts';
import { DEFAULTS_KEY, resolveWatchSettings, STK_CD_PATTERN } from '../../functions/domain/watchlist.ts';
import { SnsAlertPublisher } from '../../functions/notify/sns-publisher.ts';
import { AlertLedger, type LedgerEntry, type LedgerStatus } from '../../functions/store/alert-ledger.ts';
import { ConfigError } from '../../functions/config.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { cliContext, say } from '../context.ts';
import { cell, out } from '../print.ts';
import { parseDay, UsageError } from '../exit.ts';

const STATUSES: readonly LedgerStatus[] = ['sent', 'pending', 'failed', 'suppressed'];

interface ListOptions {
  code?: string;
  since?: string;
  status?: LedgerStatus;
  json?: boolean;
}

export function registerAlertCommands(program: Command): void {
  const alerts = program.command('alerts').description('the alert history (the ledger in the History table)');

  alerts
    .command('list')
    .description('every recorded alert, newest trading day first, with the values it carried')
    .option('--code <stk_cd>', 'only this code', parseStkCd)
    .option('--since <YYYYMMDD>', 'only alerts for this trading day or later', parseDay)
    .option('--status <status>', `only alerts in this state (${STATUSES.join('|')})`, parseStatus)
    .option('--json', 'print the entries and their payloads as JSON')
    .action(async (options: ListOptions) => {
      const { config, aws } = await cliContext();
      const ledger = new AlertLedger(aws.doc, config.historyTable);
      const entries = await ledger.list({
        ...(options.code !== undefined ? { stkCd: options.code } : {}),
        ...(options.since !== undefined ? { since: options.since } : {}),
        ...(options.status !== undefined ? { status: options.status } : {}),
      });
      const rows = entries.map(historyRow);
      if (options.json) {
        out(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        say('no alerts recorded' + (options.code || options.since || options.status ? ' that match' : ''));
        return;
      }
      out(historyTable(rows));
    });

  alerts
    .command('resend <alert_id>')
    .description('publish one recorded alert again, on purpose (marked resend=true); its status is unchanged')
    .action(async (alertId: string) => {
      const { stkCd, dt, rule } = parseAlertId(alertId);
      const { config, aws, watchlist } = await cliContext();
      if (!config.alertTopicArn) throw new ConfigError([{ variable: 'ALERT_TOPIC_ARN', message: 'is not set' }]);
      const ledger = new AlertLedger(aws.doc, config.historyTable);
      const entry = await ledger.get(stkCd, dt, rule);
      if (!entry) throw new UsageError(`no alert ${alertId} in the ledger (see "kfa alerts list")`);

      const payload = parseAlertPayload(entry.message.messageJson);
      const current = snapshotFromPayload(payload);
      // The sparkline as it looked on the alert's day, from the stored history.
      const history = new HistoryStore(aws.doc, config.historyTable);
      const stored = await history.snapshotsBetween(stkCd, daysBefore(dt, 45), dt);
      const recent = [...stored.map((s) => s.snapshot).filter((s) => s.dt < dt), current].slice(-SPARKLINE_DAYS);
      const subjectTemplate = await subjectTemplateOf(stkCd, watchlist);
      const message = buildAlertMessage(alertFromPayload(payload), {
        current,
        recent,
        resend: true,
        ...(subjectTemplate ? { subjectTemplate } : {}),
      });
      const publisher = new SnsAlertPublisher(aws.sns, config.alertTopicArn);
      const { messageId } = await publisher.publish({
        subject: message.subject,
        messageJson: snsMessageJson(message),
        attributes: message.attributes,
      });
      const after = await ledger.recordResend(stkCd, dt, rule, messageId);
      say(`resent ${entry.alertId} (status stays ${after.status}; resent ${after.resends ?? 1} time(s)); message id ${messageId}`);
    });
}

/** One row of the history, as printed and as `--json` gives it. */
export interface HistoryRow {
  alert_id: string;
  dt: TradingDay;
  stk_cd: string;
  name: string | null;
  rule: LedgerRule;
  direction: string | null;
  severity: string | null;
  previous_value: number | null;
  value: number | null;
  threshold: number | null;
  since: string | null;
  status: LedgerStatus;
  sent_at: string | null;
  attempts: number;
  last_error: string | null;
  suppressed_reason: string | null;
  resends: number;
  last_resent_at: string | null;
  revision: boolean;
  payload: AlertPayload | null;
}

export function historyRow(entry: LedgerEntry): HistoryRow {
  let payload: AlertPayload | null = null;
  try {
    payload = parseAlertPayload(entry.message.messageJson);
  } catch {
    // An entry whose message cannot be read still shows its key and status.
  }
  return {
    alert_id: entry.alertId,
    dt: entry.dt,
    stk_cd: entry.stkCd,
    name: payload?.name ?? null,
    rule: entry.rule,
    direction: payload?.direction ?? null,
    severity: payload?.severity ?? null,
    previous_value: payload?.previous_value ?? null,
    value: payload?.value ?? null,
    threshold: payload?.threshold ?? null,
    since: payload?.since ?? null,
    status: entry.status,
    sent_at: entry.sentAt ?? null,
    attempts: entry.attempts,
    last_error: entry.lastError ?? null,
    suppressed_reason: entry.suppressedReason ?? null,
    resends: entry.resends ?? 0,
    last_resent_at: entry.lastResentAt ?? null,
    revision: entry.revision,
    payload,
  };
}

const RATE_RULES: ReadonlySet<LedgerRule> = new Set<LedgerRule>([
  'limit_exh_rt_cross_up',
  'limit_exh_rt_cross_down',
  'limit_exh_rt_move',
  'limit_exh_rt_still_beyond',
]);

function valueText(rule: LedgerRule, value: number | null): string {
  if (value === null) return '?';
  if (RATE_RULES.has(rule)) return `${value.toFixed(2)}%`;
  if (rule === 'limit_exhaustion_forecast') return `${value}d`;
  return value.toLocaleString('en-US');
}

function thresholdText(rule: LedgerRule, threshold: number | null): string {
  if (threshold === null) return '-';
  if (RATE_RULES.has(rule)) return rule === 'limit_exh_rt_move' ? `${threshold}pp` : `${threshold}%`;
  if (rule === 'limit_exhaustion_forecast') return `≤${threshold}d`;
  return threshold.toLocaleString('en-US');
}

const HEADER = ['dt', 'code', 'name', 'rule', 'value', 'threshold', 'status', 'sent_at', 'alert_id'] as const;

/** Hangul takes two terminal columns. */
function width(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFF00-\uFF60]/u.test(ch) ? 2 : 1;
  return w;
}

export function historyTable(rows: readonly HistoryRow[]): string {
  const cells = rows.map((r) => {
    const status = r.status + (r.resends > 0 ? ` +${r.resends} resend` : '') + (r.revision ? ' (revision)' : '');
    return [
      r.dt,
      r.stk_cd,
      cell(r.name ?? ''),
      r.rule,
      `${valueText(r.rule, r.previous_value)}→${valueText(r.rule, r.value)}`,
      thresholdText(r.rule, r.threshold),
      status,
      r.sent_at ?? '-',
      r.alert_id,
    ];
  });
  const widths = HEADER.map((h, i) => Math.max(h.length, ...cells.map((c) => width(c[i] ?? ''))));
  const line = (c: readonly string[]): string =>
    c.map((text, i) => text + ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(text)))).join('  ').trimEnd();
  return `${[line(HEADER), ...cells.map(line)].join('\n')}\n`;
}

const ALERT_ID = /^([0-9A-Z]{6}(?:_NX|_AL)?)-([0-9]{8})-([a-z_]+)$/;

/** `005930-20250304-limit_exh_rt_cross_up` → its key; anything else is a usage error. */
export function parseAlertId(alertId: string): { stkCd: string; dt: TradingDay; rule: RuleId } {
  const m = ALERT_ID.exec(alertId.trim());
  const rule = m?.[3] as RuleId | undefined;
  if (!m || rule === undefined || !RULE_IDS.includes(rule)) {
    throw new UsageError(`"${alertId}" is not an alert id (<stk_cd>-<YYYYMMDD>-<rule>, as "kfa alerts list" shows)`);
  }
  return { stkCd: m[1] as string, dt: m[2] as string, rule };
}

function parseStkCd(raw: string): string {
  const code = raw.trim();
  if (!STK_CD_PATTERN.test(code)) throw new InvalidArgumentError(`"${raw}" is not a stock code`);
  return code;
}

function parseStatus(raw: string): LedgerStatus {
  const status = raw.trim().toLowerCase() as LedgerStatus;
  if (!STATUSES.includes(status)) throw new InvalidArgumentError(`"${raw}" is not one of ${STATUSES.join(', ')}`);
  return status;
}

function daysBefore(dt: TradingDay, days: number): TradingDay {
  const at = Date.UTC(Number(dt.slice(0, 4)), Number(dt.slice(4, 6)) - 1, Number(dt.slice(6, 8))) - days * 86_400_000;
  return new Date(at).toISOString().slice(0, 10).replaceAll('-', '');
}

/** The code's current subject_template (its item over `*`), if any; a broken item just means none. */
async function subjectTemplateOf(
  stkCd: string,
  watchlist: { get(stkCd: string): Promise<Record<string, unknown> | undefined> },
): Promise<string | undefined> {
  const [item, defaults] = await Promise.all([watchlist.get(stkCd), watchlist.get(DEFAULTS_KEY)]);
  const resolved = resolveWatchSettings(item ?? { stk_cd: stkCd }, defaults);
  return resolved.ok ? (resolved.settings.subjectTemplate ?? undefined) : undefined;
}
