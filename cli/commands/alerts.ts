// The alert history: what the ledger says was sent, pending, failed or
// suppressed (snoozed), and an on-purpose resend of one alert.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  buildCorrectionMessage,
  correctionNoticeOf,
  parseCorrectionPayload,
  type CorrectionPayload,
} from '../../functions/domain/correction-message.ts';
import {
  alertFromPayload,
  buildAlertMessage,
  parseAlertPayload,
  snapshotFromPayload,
  snsMessageJson,
  SPARKLINE_DAYS,
  type AlertMessage,
  type AlertPayload,
} from '../../functions/domain/messages.ts';
import {
  alertIdParts,
  CORRECTION_RULE,
  type AlertIdParts,
  type LedgerRule,
  type RuleId,
  type TradingDay,
} from '../../functions/domain/types.ts';
import { DEFAULTS_KEY, resolveWatchSettings, STK_CD_PATTERN } from '../../functions/domain/watchlist.ts';
import { SnsAlertPublisher } from '../../functions/notify/sns-publisher.ts';
import { AlertLedger, isRuleAlertEntry, type LedgerEntry, type LedgerStatus, type RuleAlertEntry } from '../../functions/store/alert-ledger.ts';
import { ConfigError } from '../../functions/config.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { cliContext, say, type CliContext } from '../context.ts';
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
    .description('publish one recorded alert or correction notice again, on purpose (marked resend=true); its status is unchanged')
    .action(async (alertId: string) => {
      const ref = parseAlertId(alertId);
      const context = await cliContext();
      const { config, aws } = context;
      if (!config.alertTopicArn) throw new ConfigError([{ variable: 'ALERT_TOPIC_ARN', message: 'is not set' }]);
      const ledger = new AlertLedger(aws.doc, config.historyTable);
      const entry = await ledger.get(ref.stkCd, ref.dt, ref.rule, ref.variant);
      if (!entry) throw new UsageError(`no alert ${alertId} in the ledger (see "kfa alerts list")`);

      const message = isRuleAlertEntry(entry) ? await alertResend(entry, context) : await correctionResend(entry, ledger, context);
      const publisher = new SnsAlertPublisher(aws.sns, config.alertTopicArn);
      const { messageId } = await publisher.publish({
        subject: message.subject,
        messageJson: snsMessageJson(message),
        attributes: message.attributes,
      });
      const after = await ledger.recordResend(entry.stkCd, entry.dt, entry.rule, messageId, entry.variant);
      say(`resent ${entry.alertId} (status stays ${after.status}; resent ${after.resends ?? 1} time(s)); message id ${messageId}`);
    });
}

type ResendMessage = Pick<AlertMessage, 'subject' | 'email' | 'sms' | 'attributes'> & { payload: object };

/** The alert as it was built, marked as a resend, with the sparkline as it looked on its day. */
async function alertResend(entry: RuleAlertEntry, { config, aws, watchlist }: CliContext): Promise<ResendMessage> {
  const { stkCd, dt } = entry;
  const payload = parseAlertPayload(entry.message.messageJson);
  const current = snapshotFromPayload(payload);
  const history = new HistoryStore(aws.doc, config.historyTable);
  const stored = await history.snapshotsBetween(stkCd, daysBefore(dt, 45), dt);
  const recent = [...stored.map((s) => s.snapshot).filter((s) => s.dt < dt), current].slice(-SPARKLINE_DAYS);
  const subjectTemplate = await subjectTemplateOf(stkCd, watchlist);
  return buildAlertMessage(alertFromPayload(payload), {
    current,
    recent,
    resend: true,
    ...(subjectTemplate ? { subjectTemplate } : {}),
  });
}

/** The correction notice built again from the alert it corrects (its own ledger entry), marked as a resend. */
async function correctionResend(entry: LedgerEntry, ledger: AlertLedger, { config, aws }: CliContext): Promise<ResendMessage> {
  const payload = parseCorrectionPayload(entry.message.messageJson);
  const corrected = alertIdParts(payload.corrects_alert_id);
  const original = corrected && (await ledger.get(corrected.stkCd, corrected.dt, corrected.rule, corrected.variant));
  if (!original) {
    throw new UsageError(`${entry.alertId} corrects ${payload.corrects_alert_id}, which is not in the ledger; nothing to resend it from`);
  }
  const previousDt = payload.previous_dt;
  const history = new HistoryStore(aws.doc, config.historyTable);
  const previous = previousDt === null ? [] : await history.snapshotsBetween(entry.stkCd, previousDt, previousDt);
  const notice = correctionNoticeOf(payload, alertFromPayload(parseAlertPayload(original.message.messageJson)), previous[0]?.snapshot ?? null);
  return buildCorrectionMessage(notice, { resend: true });
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
  /** A correction notice: the alert it withdraws (all or part of) and that alert's rule. */
  corrects_alert_id: string | null;
  corrects_rule: RuleId | null;
  /** What a correction withdrew: of this alert (a rule's alert), or what the notice announces (a notice). */
  withdrawn: 'all' | 'partial' | null;
  payload: AlertPayload | CorrectionPayload | null;
}

/**
 * A rule's alert carries previous → current; a correction notice carries the
 * corrected figure of the withdrawn alert's day as it was first served
 * (`previous_value`) → as corrected (`value`), in that alert's units.
 */
export function historyRow(entry: LedgerEntry): HistoryRow {
  const row = {
    alert_id: entry.alertId,
    dt: entry.dt,
    stk_cd: entry.stkCd,
    rule: entry.rule,
    status: entry.status,
    sent_at: entry.sentAt ?? null,
    attempts: entry.attempts,
    last_error: entry.lastError ?? null,
    suppressed_reason: entry.suppressedReason ?? null,
    resends: entry.resends ?? 0,
    last_resent_at: entry.lastResentAt ?? null,
    revision: entry.revision,
  };
  if (entry.rule === CORRECTION_RULE) {
    const notice = readable(() => parseCorrectionPayload(entry.message.messageJson));
    return {
      ...row,
      name: notice?.name ?? null,
      direction: notice?.direction ?? null,
      severity: notice?.severity ?? null,
      previous_value: notice?.value ?? null,
      value: notice?.corrected_value ?? null,
      threshold: notice?.threshold ?? null,
      since: null,
      corrects_alert_id: notice?.corrects_alert_id ?? null,
      corrects_rule: notice?.corrects_rule ?? null,
      withdrawn: notice?.withdrawn ?? null,
      payload: notice,
    };
  }
  const payload = readable(() => parseAlertPayload(entry.message.messageJson));
  return {
    ...row,
    name: payload?.name ?? null,
    direction: payload?.direction ?? null,
    severity: payload?.severity ?? null,
    previous_value: payload?.previous_value ?? null,
    value: payload?.value ?? null,
    threshold: payload?.threshold ?? null,
    since: payload?.since ?? null,
    corrects_alert_id: null,
    corrects_rule: null,
    withdrawn: entry.withdrawn ? 'all' : (entry.withdrawnBp ?? []).length > 0 ? 'partial' : null,
    payload,
  };
}

/** An entry whose message cannot be read still shows its key and status. */
function readable<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch {
    return null;
  }
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
    const status =
      r.status +
      (r.resends > 0 ? ` +${r.resends} resend` : '') +
      (r.revision && r.rule !== CORRECTION_RULE ? ' (revision)' : '') +
      (r.rule !== CORRECTION_RULE && r.withdrawn !== null ? ` (${r.withdrawn === 'all' ? 'withdrawn' : 'partly withdrawn'})` : '');
    // A notice's figures are in the units of the alert it corrects.
    const unitRule = r.corrects_rule ?? r.rule;
    return [
      r.dt,
      r.stk_cd,
      cell(r.name ?? ''),
      r.corrects_rule === null ? r.rule : `${r.rule}(${r.corrects_rule})`,
      `${valueText(unitRule, r.previous_value)}→${valueText(unitRule, r.value)}`,
      thresholdText(unitRule, r.threshold),
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

/**
 * Any id the ledger gives an entry (`kfa alerts list` prints them): a rule's
 * alert, a further crossing a correction revealed (`…-r1`), a correction
 * notice (`…-correction-<rule>`); anything else is a usage error.
 */
export function parseAlertId(alertId: string): AlertIdParts {
  const parts = alertIdParts(alertId.trim());
  if (parts === null) {
    throw new UsageError(`"${alertId}" is not an alert id (<stk_cd>-<YYYYMMDD>-<rule>[-<variant>], as "kfa alerts list" shows)`);
  }
  return parts;
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
