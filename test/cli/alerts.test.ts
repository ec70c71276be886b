// `kfa alerts list|resend` and `kfa watch snooze|unsnooze` as a user runs
// them: `node bin/kfa.js …` in a child process pointed at DynamoDB Local and
// fauxqs. Each spawn costs a second or two of tsx start-up, so the commands
// run once, in two parallel waves, and the tests assert on the results.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAlertMessage, snsMessageJson } from '../../functions/domain/messages.ts';
import { alertIdOf } from '../../functions/domain/types.ts';
import type { Alert, Finding, RawRow, Snapshot } from '../../functions/domain/types.ts';
import { AlertLedger, type NewLedgerEntry } from '../../functions/store/alert-ledger.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { localAwsEnv, type ReceivedAlert, type Subscriber } from '../../local/local-aws.ts';
import { localAwsInfo, localClients, newTopicWithQueue, uniqueTables } from '../support/aws.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SKT = '017670';
const KT = '030200';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function row(dt: string): RawRow {
  return {
    dt,
    close_pric: '+51000',
    pred_pre: '+100',
    trde_qty: '1000',
    chg_qty: '+50000',
    poss_stkcnt: '49050000',
    wght: '+49.05',
    gain_pos_stkcnt: '50950000',
    frgnr_limit: '100000000',
    frgnr_limit_irds: '0',
    limit_exh_rt: '+49.05',
  };
}

function snapshot(stkCd: string, dt: string): Snapshot {
  return {
    stkCd,
    dt,
    closePrice: 51000,
    closeDirection: 'up',
    predPre: 100,
    tradeQty: 1000,
    chgQty: 50_000,
    possStkcnt: 49_050_000,
    wghtBp: 4905,
    gainPosStkcnt: 50_950_000,
    frgnrLimit: 100_000_000,
    frgnrLimitIrds: 0,
    limitExhRtBp: 4905,
    row: row(dt),
  };
}

const CROSS_UP: Finding = {
  rule: 'limit_exh_rt_cross_up',
  direction: 'up',
  severity: 'critical',
  threshold: 4900,
  thresholdsCrossed: [4900],
  value: 4905,
  previousValue: 4880,
};

const CHG: Finding = { rule: 'chg_qty_abs', direction: 'up', severity: 'warning', threshold: 10_000, value: 50_000, previousValue: 0 };

function entry(stkCd: string, name: string, dt: string, finding: Finding): NewLedgerEntry {
  const alert: Alert = { ...finding, alertId: alertIdOf(stkCd, dt, finding.rule), stkCd, name, dt, previousDt: '20250303', revision: false };
  const current = snapshot(stkCd, dt);
  const message = buildAlertMessage(alert, { current, recent: [current] });
  return {
    stkCd,
    dt,
    rule: finding.rule,
    revision: false,
    message: { subject: message.subject, messageJson: snsMessageJson(message), attributes: message.attributes },
  };
}

let env: Record<string, string>;
let ledger: AlertLedger;
let watchlist: WatchlistStore;
let subscriber: Subscriber;

const results: Record<string, CliResult> = {};
let received: ReceivedAlert[] = [];

function kfa(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/kfa.js', ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  const tables = await uniqueTables();
  const topic = await newTopicWithQueue();
  subscriber = topic.subscriber;
  env = Object.fromEntries(
    Object.entries({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...localAwsEnv(localAwsInfo()),
      AWS_EC2_METADATA_DISABLED: 'true',
      WATCHLIST_TABLE: tables.watchlistTable,
      HISTORY_TABLE: tables.historyTable,
      ALERT_TOPIC_ARN: topic.topicArn,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const { doc } = localClients();
  let clock = Date.parse('2025-03-04T09:40:00.000Z');
  ledger = new AlertLedger(doc, tables.historyTable, { now: () => new Date((clock += 1000)) });
  watchlist = new WatchlistStore(doc, tables.watchlistTable);

  await ledger.record(entry(SKT, 'SK텔레콤', '20250303', CHG));
  await ledger.record(entry(SKT, 'SK텔레콤', '20250304', CROSS_UP));
  await ledger.markSent(SKT, '20250304', 'limit_exh_rt_cross_up', 'msg-original');
  await ledger.recordSuppressed({ ...entry(KT, 'KT', '20250305', CHG), reason: 'snoozed until 20250310' });
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
