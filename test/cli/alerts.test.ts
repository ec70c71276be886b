// `kfa alerts list|resend` and `kfa watch snooze|unsnooze` as a user runs
// them: `node bin/kfa.js …` in a child process pointed at DynamoDB Local and
// fauxqs. Each spawn costs a second or two of tsx start-up, so the commands
// run once, in two parallel waves, and the tests assert on the results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import type { ReceivedAlert, Subscriber } from '../../local/local-aws.ts';
import { localClients, newTopicWithQueue, uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa, type CliResult } from '../support/cli.ts';
import { CHG, CROSS_UP, ledgerEntry } from '../support/ledger-fixtures.ts';

const SKT = '017670';
const KT = '030200';

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

  const [listJson, listTable, listSuppressed, resendUnknown, resendBadId, snooze, addHabits, addBadTemplate] = await Promise.all([
    kfa(['alerts', 'list', '--json']),
    kfa(['alerts', 'list']),
    kfa(['alerts', 'list', '--status', 'suppressed', '--code', KT]),
    kfa(['alerts', 'resend', `${SKT}-20250304-chg_qty_abs`]),
    kfa(['alerts', 'resend', 'not-an-alert']),
    kfa(['watch', 'snooze', SKT, '--until', '20250310']),
    kfa(['watch', 'add', KT, '--confirm-days', '2', '--remind-every-days', '5', '--exhaustion-days', '10', '--subject-template', '{name} {value}']),
    kfa(['watch', 'add', '000660', '--subject-template', '{name} {price}']),
  ]);
  Object.assign(results, { listJson, listTable, listSuppressed, resendUnknown, resendBadId, snooze, addHabits, addBadTemplate });
  results.snoozedItem = { code: 0, stdout: JSON.stringify((await watchlist.get(SKT)) ?? null), stderr: '' };

  const [resend, unsnooze] = await Promise.all([
    kfa(['alerts', 'resend', `${SKT}-20250304-limit_exh_rt_cross_up`]),
    kfa(['watch', 'unsnooze', SKT]),
  ]);
  Object.assign(results, { resend, unsnooze });
  received = await subscriber.receive({ waitMs: 5000, expected: 1 });
}, 60_000);

afterAll(async () => {
  await subscriber?.close();
});

describe('kfa alerts list', () => {
  it('prints every alert newest trading day first as JSON, with the values each carried', () => {
    const rows = JSON.parse(results.listJson?.stdout ?? '[]') as Record<string, unknown>[];
    expect(rows.map((r) => [r.dt, r.stk_cd, r.rule, r.status, r.previous_value, r.value, r.threshold])).toEqual([
      ['20250305', KT, 'chg_qty_abs', 'suppressed', 0, 50_000, 10_000],
      ['20250304', SKT, 'limit_exh_rt_cross_up', 'sent', 48.8, 49.05, 49],
      ['20250303', SKT, 'chg_qty_abs', 'pending', 0, 50_000, 10_000],
    ]);
  });

  it('shows the table with a header and one line per alert, newest first', () => {
    const lines = (results.listTable?.stdout ?? '').trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'dt code',
      `20250305 ${KT}`,
      `20250304 ${SKT}`,
      `20250303 ${SKT}`,
    ]);
    expect(lines[2]).toMatch(/48\.80%→49\.05%\s+49%\s+sent\s+2025-03-04T09:40:\d\d\.000Z\s+017670-20250304-limit_exh_rt_cross_up$/);
  });

  it('shows what a snooze suppressed, filtered by status and code', () => {
    const lines = (results.listSuppressed?.stdout ?? '').trimEnd().split('\n');
    expect([results.listSuppressed?.code, lines.length, lines[1]]).toEqual([0, 2, expect.stringContaining('suppressed')]);
  });
});

describe('kfa alerts resend', () => {
  it('publishes the alert again, marked as a resend in its payload and attributes', () => {
    expect(results.resend?.code).toBe(0);
    const [message] = received;
    expect([message?.attributes.resend, message?.attributes.alert_id, (message?.default as { resend?: boolean })?.resend]).toEqual([
      'true',
      `${SKT}-20250304-limit_exh_rt_cross_up`,
      true,
    ]);
  });

  it('publishes nothing else', () => {
    expect(received).toHaveLength(1);
  });

  it('keeps the original sent status and message id and counts the resend', async () => {
    const after = await ledger.get(SKT, '20250304', 'limit_exh_rt_cross_up');
    expect([after?.status, after?.messageId, after?.resends, after?.lastResendMessageId]).toEqual([
      'sent',
      'msg-original',
      1,
      received[0]?.messageId,
    ]);
  });

  it('exits 2 for an alert the ledger does not hold', () => {
    expect([results.resendUnknown?.code, results.resendUnknown?.stderr]).toEqual([
      2,
      expect.stringContaining(`no alert ${SKT}-20250304-chg_qty_abs in the ledger`),
    ]);
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
