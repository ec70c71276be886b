// `kfa alerts list|resend` and `kfa watch snooze|unsnooze` as a user runs
// them: `node bin/kfa.js …` in a child process pointed at DynamoDB Local and
// fauxqs. Each spawn costs a second or two of tsx start-up, so the commands
// run once, in two parallel waves, and the tests assert on the results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import type { ReceivedAlert, Subscriber } from '../../local/local-aws.ts';
import { localClients, newTopicWithQueue, uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa, type CliResult } from '../support/cli.ts';
import { parseAlertId } from '../../cli/commands/alerts.ts';
import { storedSnapshot } from '../support/fixtures.ts';
import { CHG, CROSS_UP, correctedSnapshot, correctionEntry, ledgerEntry } from '../support/ledger-fixtures.ts';

const SKT = '017670';
const KT = '030200';
/** 20250306: an alert a correction withdrew, its notice, and a crossing the correction revealed (…-r1). */
const WITHDRAWN_ID = `${SKT}-20250306-limit_exh_rt_cross_up`;
const NOTICE_ID = `${SKT}-20250306-correction-limit_exh_rt_cross_up`;
const REVEALED_ID = `${SKT}-20250306-limit_exh_rt_cross_up-r1`;

let ledger: AlertLedger;
let watchlist: WatchlistStore;
let subscriber: Subscriber;

const results: Record<string, CliResult> = {};
let received: ReceivedAlert[] = [];

beforeAll(async () => {
  const tables = await uniqueTables();
  const topic = await newTopicWithQueue();
  subscriber = topic.subscriber;
  const env = kfaEnv({
    WATCHLIST_TABLE: tables.watchlistTable,
    HISTORY_TABLE: tables.historyTable,
    ALERT_TOPIC_ARN: topic.topicArn,
  });
  const kfa = (args: string[]) => spawnKfa(args, env);
  const { doc } = localClients();
  let clock = Date.parse('2025-03-04T09:40:00.000Z');
  ledger = new AlertLedger(doc, tables.historyTable, { now: () => new Date((clock += 1000)) });
  watchlist = new WatchlistStore(doc, tables.watchlistTable);

  await ledger.record(ledgerEntry(SKT, '20250303', CHG, 'SK텔레콤'));
  await ledger.record(ledgerEntry(SKT, '20250304', CROSS_UP, 'SK텔레콤'));
  await ledger.markSent(SKT, '20250304', 'limit_exh_rt_cross_up', 'msg-original');
  await ledger.recordSuppressed({ ...ledgerEntry(KT, '20250305', CHG, 'KT'), reason: 'snoozed until 20250310' });
  await watchlist.put({ stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49 });
  await recordCorrection();

  const [listJson, listTable, listSuppressed, resendUnknown, resendBadId, snooze, addHabits, addBadTemplate, listSent, listPending] = await Promise.all([
    kfa(['alerts', 'list', '--json']),
    kfa(['alerts', 'list']),
    kfa(['alerts', 'list', '--status', 'suppressed', '--code', KT]),
    kfa(['alerts', 'resend', `${SKT}-20250304-chg_qty_abs`]),
    kfa(['alerts', 'resend', 'not-an-alert']),
    kfa(['watch', 'snooze', SKT, '--until', '20250310']),
    kfa(['watch', 'add', KT, '--confirm-days', '2', '--remind-every-days', '5', '--exhaustion-days', '10', '--subject-template', '{name} {value}']),
    kfa(['watch', 'add', '000660', '--subject-template', '{name} {price}']),
    kfa(['alerts', 'list', '--status', 'sent', '--code', SKT, '--since', '20250306']),
    kfa(['alerts', 'list', '--status', 'pending', '--json']),
  ]);
  Object.assign(results, { listJson, listTable, listSuppressed, resendUnknown, resendBadId, snooze, addHabits, addBadTemplate, listSent, listPending });
  results.snoozedItem = { code: 0, stdout: JSON.stringify((await watchlist.get(SKT)) ?? null), stderr: '' };

  const [resend, unsnooze, resendRevealed, resendNotice] = await Promise.all([
    kfa(['alerts', 'resend', `${SKT}-20250304-limit_exh_rt_cross_up`]),
    kfa(['watch', 'unsnooze', SKT]),
    kfa(['alerts', 'resend', REVEALED_ID]),
    kfa(['alerts', 'resend', NOTICE_ID]),
  ]);
  Object.assign(results, { resend, unsnooze, resendRevealed, resendNotice });
  received = await subscriber.receive({ waitMs: 5000, expected: 3 });
}, 60_000);

/**
 * As the scan leaves it: 20250306 alerted at 49.05% and was sent; Kiwoom
 * corrected the day to 48.90%, so the alert is withdrawn in one transaction
 * with its notice (sent too); a further crossing of the same day and rule
 * waits under its own id.
 */
async function recordCorrection(): Promise<void> {
  const dt = '20250306';
  const original = ledgerEntry(SKT, dt, CROSS_UP, 'SK텔레콤');
  await ledger.record(original);
  const sent = await ledger.markSent(SKT, dt, CROSS_UP.rule, 'msg-withdrawn');
  const previous = storedSnapshot({ stkCd: SKT, dt: '20250305', limitExhRtBp: 4880 });
  await new HistoryStore(localClients().doc, ledger.tableName).putSnapshots([previous]);
  const notice = correctionEntry(original, correctedSnapshot(SKT, dt, 4890), previous.snapshot);
  await ledger.withdraw(sent, { thresholdsBp: [4900], all: true, reason: 'corrected' }, notice);
  await ledger.markSent(SKT, dt, 'correction', 'msg-notice', notice.variant);
  await ledger.record(ledgerEntry(SKT, dt, CROSS_UP, 'SK텔레콤', 'r1'));
}

function receivedFor(alertId: string): ReceivedAlert | undefined {
  return received.find((m) => m.attributes.alert_id === alertId);
}

afterAll(async () => {
  await subscriber?.close();
});

describe('kfa alerts list', () => {
  it('prints every alert newest trading day first as JSON, with the values each carried', () => {
    const rows = JSON.parse(results.listJson?.stdout ?? '[]') as Record<string, unknown>[];
    expect(rows.map((r) => [r.dt, r.stk_cd, r.rule, r.status, r.previous_value, r.value, r.threshold])).toEqual([
      ['20250306', SKT, 'limit_exh_rt_cross_up', 'pending', 48.8, 49.05, 49],
      ['20250306', SKT, 'correction', 'sent', 49.05, 48.9, 49],
      ['20250306', SKT, 'limit_exh_rt_cross_up', 'sent', 48.8, 49.05, 49],
      ['20250305', KT, 'chg_qty_abs', 'suppressed', 0, 50_000, 10_000],
      ['20250304', SKT, 'limit_exh_rt_cross_up', 'sent', 48.8, 49.05, 49],
      ['20250303', SKT, 'chg_qty_abs', 'pending', 0, 50_000, 10_000],
    ]);
  });

  it('shows the table with a header and one line per alert, newest first', () => {
    const lines = (results.listTable?.stdout ?? '').trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'dt code',
      `20250306 ${SKT}`,
      `20250306 ${SKT}`,
      `20250306 ${SKT}`,
      `20250305 ${KT}`,
      `20250304 ${SKT}`,
      `20250303 ${SKT}`,
    ]);
    expect(lines[5]).toMatch(/48\.80%→49\.05%\s+49%\s+sent\s+2025-03-04T09:40:\d\d\.000Z\s+017670-20250304-limit_exh_rt_cross_up$/);
  });

  it('shows a correction notice with the day as first served → as corrected, and the alert it withdrew as withdrawn', () => {
    const lines = (results.listSent?.stdout ?? '').trimEnd().split('\n');
    expect([results.listSent?.code, lines.length]).toEqual([0, 3]);
    expect(lines[1]).toMatch(
      new RegExp(`^20250306  ${SKT}  SK텔레콤\\s+correction\\(limit_exh_rt_cross_up\\)\\s+49\\.05%→48\\.90%\\s+49%\\s+sent\\s+\\S+\\s+${NOTICE_ID}$`),
    );
    expect(lines[2]).toMatch(new RegExp(`48\\.80%→49\\.05%\\s+49%\\s+sent \\(withdrawn\\)\\s+\\S+\\s+${WITHDRAWN_ID}$`));
  });

  it('names the alert a notice corrects, and what a correction withdrew, in --json', () => {
    const rows = JSON.parse(results.listJson?.stdout ?? '[]') as Record<string, unknown>[];
    const byId = new Map(rows.map((r) => [r.alert_id, r]));
    expect(byId.get(NOTICE_ID)).toMatchObject({
      name: 'SK텔레콤',
      corrects_alert_id: WITHDRAWN_ID,
      corrects_rule: 'limit_exh_rt_cross_up',
      withdrawn: 'all',
      payload: { kind: 'correction', corrects_alert_id: WITHDRAWN_ID },
    });
    expect(byId.get(WITHDRAWN_ID)).toMatchObject({ withdrawn: 'all', corrects_alert_id: null });
    expect(byId.get(REVEALED_ID)).toMatchObject({ withdrawn: null, payload: { alert_id: REVEALED_ID } });
  });

  it('lists a further crossing under its own id with the values it carries, filtered by status', () => {
    const rows = JSON.parse(results.listPending?.stdout ?? '[]') as Record<string, unknown>[];
    expect(rows.map((r) => [r.alert_id, r.status, r.value])).toEqual([
      [REVEALED_ID, 'pending', 49.05],
      [`${SKT}-20250303-chg_qty_abs`, 'pending', 50_000],
    ]);
  });

  it('shows what a snooze suppressed, filtered by status and code', () => {
    const lines = (results.listSuppressed?.stdout ?? '').trimEnd().split('\n');
    expect([results.listSuppressed?.code, lines.length, lines[1]]).toEqual([0, 2, expect.stringContaining('suppressed')]);
  });
});

describe('kfa alerts resend', () => {
  it('publishes the alert again, marked as a resend in its payload and attributes', () => {
    expect(results.resend?.code).toBe(0);
    const message = receivedFor(`${SKT}-20250304-limit_exh_rt_cross_up`);
    expect([message?.attributes.resend, message?.attributes.alert_id, (message?.default as { resend?: boolean })?.resend]).toEqual([
      'true',
      `${SKT}-20250304-limit_exh_rt_cross_up`,
      true,
    ]);
  });

  it('publishes nothing else', () => {
    expect(received.map((m) => m.attributes.alert_id).sort()).toEqual([`${SKT}-20250304-limit_exh_rt_cross_up`, NOTICE_ID, REVEALED_ID].sort());
  });

  it('keeps the original sent status and message id and counts the resend', async () => {
    const after = await ledger.get(SKT, '20250304', 'limit_exh_rt_cross_up');
    expect([after?.status, after?.messageId, after?.resends, after?.lastResendMessageId]).toEqual([
      'sent',
      'msg-original',
      1,
      receivedFor(`${SKT}-20250304-limit_exh_rt_cross_up`)?.messageId,
    ]);
  });

  it('resends a crossing a correction revealed, under its own id, leaving it pending', async () => {
    expect(results.resendRevealed?.code).toBe(0);
    const message = receivedFor(REVEALED_ID);
    expect([message?.attributes.resend, (message?.default as { alert_id?: string; resend?: boolean } | undefined)?.resend]).toEqual(['true', true]);
    expect((message?.default as { alert_id?: string }).alert_id).toBe(REVEALED_ID);
    const after = await ledger.get(SKT, '20250306', 'limit_exh_rt_cross_up', 'r1');
    expect([after?.status, after?.resends, after?.lastResendMessageId]).toEqual(['pending', 1, message?.messageId]);
  });

  it('resends a correction notice exactly as it was sent, marked as a resend', async () => {
    expect(results.resendNotice?.code).toBe(0);
    const message = receivedFor(NOTICE_ID);
    const stored = await ledger.get(SKT, '20250306', 'correction', 'limit_exh_rt_cross_up');
    const sentPayload = JSON.parse((JSON.parse(stored?.message.messageJson ?? '{}') as { default: string }).default) as object;
    expect(message?.default).toEqual({ ...sentPayload, resend: true });
    expect(message?.attributes).toEqual({ ...stored?.message.attributes, resend: 'true' });
    expect(message?.subject).toMatch(/^\[kfa\]\[정정\]\[재발송\] SK텔레콤\(017670\) 한도소진률 49% 상향 돌파 알림 취소/);
    expect(message?.forProtocol('email')).toContain('앞서 보낸 정정 알림을 다시 보냅니다');
    expect([stored?.status, stored?.resends, stored?.lastResendMessageId]).toEqual(['sent', 1, message?.messageId]);
  });

  it('exits 2 for an alert the ledger does not hold', () => {
    expect([results.resendUnknown?.code, results.resendUnknown?.stderr]).toEqual([
      2,
      expect.stringContaining(`no alert ${SKT}-20250304-chg_qty_abs in the ledger`),
    ]);
  });

  it('takes every id the ledger gives an entry, and refuses text that is not one', () => {
    const ids = [WITHDRAWN_ID, NOTICE_ID, REVEALED_ID, `${SKT}-20250306-correction-limit_exh_rt_cross_up-r1-2`];
    expect(ids.map((id) => parseAlertId(id))).toEqual([
      { stkCd: SKT, dt: '20250306', rule: 'limit_exh_rt_cross_up' },
      { stkCd: SKT, dt: '20250306', rule: 'correction', variant: 'limit_exh_rt_cross_up' },
      { stkCd: SKT, dt: '20250306', rule: 'limit_exh_rt_cross_up', variant: 'r1' },
      { stkCd: SKT, dt: '20250306', rule: 'correction', variant: 'limit_exh_rt_cross_up-r1-2' },
    ]);
    for (const bad of [`${SKT}-20250306-nope`, `${SKT}-20250306-limit_exh_rt_cross_up-`, `${SKT}-2025036-chg_qty_abs`]) {
      expect(() => parseAlertId(bad), bad).toThrow(/is not an alert id/);
    }
  });

  it('exits 2 for text that is not an alert id', () => {
    expect([results.resendBadId?.code, results.resendBadId?.stderr]).toEqual([2, expect.stringContaining('is not an alert id')]);
  });
});

describe('kfa watch snooze and unsnooze', () => {
  it('stores snooze_until on the item, keeping its other attributes', () => {
    expect([results.snooze?.code, JSON.parse(results.snoozedItem?.stdout ?? 'null')]).toEqual([
      0,
      { stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49, snooze_until: '20250310' },
    ]);
  });

  it('removes snooze_until again', async () => {
    expect([results.unsnooze?.code, await watchlist.get(SKT)]).toEqual([0, { stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49 }]);
  });
});

describe('kfa watch add with the alert-habit options', () => {
  it('stores confirm_days, remind_every_days, exhaustion_days and subject_template', async () => {
    expect([results.addHabits?.code, await watchlist.get(KT)]).toEqual([
      0,
      { stk_cd: KT, confirm_days: 2, remind_every_days: 5, exhaustion_days: 10, subject_template: '{name} {value}' },
    ]);
  });

  it('refuses an unknown placeholder with exit 2, naming subject_template, and writes nothing', async () => {
    expect([results.addBadTemplate?.code, results.addBadTemplate?.stderr, await watchlist.get('000660')]).toEqual([
      2,
      expect.stringContaining('subject_template has unknown placeholder {price}'),
      undefined,
    ]);
  });
});
