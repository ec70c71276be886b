import { BatchGetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { LedgerRule } from '../../functions/domain/types.ts';
import { AlertLedger, type NewLedgerEntry } from '../../functions/store/alert-ledger.ts';
import { LedgerEntryNotFoundError } from '../../functions/store/errors.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

let ledger: AlertLedger;
let clock: Date;
let historyTable: string;

beforeEach(async () => {
  ({ historyTable } = await uniqueTables());
  clock = new Date('2025-01-02T09:30:00.000Z');
  ledger = new AlertLedger(localClients().doc, historyTable, { now: () => clock });
});

function tick(ms = 1000): void {
  clock = new Date(clock.getTime() + ms);
}

function alert(overrides: Partial<NewLedgerEntry> = {}): NewLedgerEntry {
  const stkCd = overrides.stkCd ?? '005930';
  const rule: LedgerRule = overrides.rule ?? 'limit_exh_rt_cross_up';
  return {
    stkCd,
    dt: '20250102',
    rule,
    revision: false,
    message: {
      subject: `[외국인] ${stkCd} 한도소진율 49% 상향 돌파`,
      messageJson: JSON.stringify({ default: '{}', email: 'body', sms: 'sms' }),
      attributes: { stk_cd: stkCd, rule, direction: 'up', severity: 'warning' },
    },
    ...overrides,
  };
}

describe('AlertLedger.record', () => {
  it('creates a pending entry with the stable alert id', async () => {
    const result = await ledger.record(alert());
    expect(result.created).toBe(true);
    const stored = await ledger.get('005930', '20250102', 'limit_exh_rt_cross_up');
    expect([stored?.alertId, stored?.status, stored?.attempts]).toEqual([
      '005930-20250102-limit_exh_rt_cross_up',
      'pending',
      0,
    ]);
  });

  it('keeps the message exactly as it will be published', async () => {
    const entry = alert();
    await ledger.record(entry);
    const stored = await ledger.get('005930', '20250102', 'limit_exh_rt_cross_up');
    expect(stored?.message).toEqual(entry.message);
  });

  it('returns the existing entry, untouched, when the same alert is recorded twice', async () => {
    await ledger.record(alert());
    tick();
    const second = await ledger.record(alert({ revision: true }));
    expect(second.created).toBe(false);
    if (second.created) return;
    expect([second.existing.revision, second.existing.createdAt]).toEqual([false, '2025-01-02T09:30:00.000Z']);
  });
});

describe('AlertLedger sending', () => {
  it('lists a recorded entry as unsent', async () => {
    await ledger.record(alert());
    expect((await ledger.unsent()).map((e) => e.alertId)).toEqual(['005930-20250102-limit_exh_rt_cross_up']);
  });

  it('drops an entry from unsent once it is marked sent', async () => {
    await ledger.record(alert());
    await ledger.markSent('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-1');
    expect(await ledger.unsent()).toEqual([]);
  });

  it('takes a sent entry out of the sparse unsent index itself', async () => {
    await ledger.record(alert());
    await ledger.markSent('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-1');
    const index = await localClients().doc.send(
      new QueryCommand({
        TableName: historyTable,
        IndexName: 'unsent',
        KeyConditionExpression: 'unsent = :u',
        ExpressionAttributeValues: { ':u': 'UNSENT' },
      }),
    );
    expect(index.Items).toEqual([]);
  });

  it('records the message id and send time on markSent', async () => {
    await ledger.record(alert());
    tick(5000);
    const sent = await ledger.markSent('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-1');
    expect([sent.status, sent.messageId, sent.sentAt, sent.attempts]).toEqual([
      'sent',
      'msg-1',
      '2025-01-02T09:30:05.000Z',
      1,
    ]);
  });

  it('keeps a failed entry unsent with one attempt and the error', async () => {
    await ledger.record(alert());
    await ledger.markFailed('005930', '20250102', 'limit_exh_rt_cross_up', 'InternalErrorException: SNS is down');
    const [entry] = await ledger.unsent();
    expect([entry?.status, entry?.attempts, entry?.lastError]).toEqual([
      'failed',
      1,
      'InternalErrorException: SNS is down',
    ]);
  });

  it('cuts a long error short', async () => {
    await ledger.record(alert());
    const failed = await ledger.markFailed('005930', '20250102', 'limit_exh_rt_cross_up', 'x'.repeat(5000));
    expect(failed.lastError?.length).toBe(300);
  });

  it('leaves a sent entry sent when a late failure is reported', async () => {
    await ledger.record(alert());
    await ledger.markSent('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-1');
    const after = await ledger.markFailed('005930', '20250102', 'limit_exh_rt_cross_up', 'timeout');
    expect([after.status, after.messageId]).toEqual(['sent', 'msg-1']);
  });

  it('refuses to mark an alert that was never recorded', async () => {
    await expect(ledger.markSent('005930', '20250102', 'chg_qty_abs', 'msg-1')).rejects.toBeInstanceOf(
      LedgerEntryNotFoundError,
    );
  });

  it('drops an entry the eventually consistent index still lists after it was sent', async () => {
    const key = { pk: 'ALERT#005930', sk: '20250102#chg_qty_abs' };
    const sentItem = {
      ...key,
      stk_cd: '005930',
      dt: '20250102',
      rule: 'chg_qty_abs',
      status: 'sent',
      message: { subject: 's', message_json: '{}', attributes: {} },
    };
    const staleIndex = {
      async send(command: unknown) {
        if (command instanceof QueryCommand) return { Items: [key] };
        if (command instanceof BatchGetCommand) return { Responses: { history: [sentItem] } };
        throw new Error('unexpected command');
      },
    } as unknown as DynamoDBDocumentClient;
    expect(await new AlertLedger(staleIndex, 'history').unsent()).toEqual([]);
  });

  it('lists unsent entries oldest first', async () => {
    await ledger.record(alert({ stkCd: '000660' }));
    tick();
    await ledger.record(alert({ stkCd: '005930' }));
    expect((await ledger.unsent()).map((e) => e.stkCd)).toEqual(['000660', '005930']);
  });
});

describe('AlertLedger.list', () => {
  beforeEach(async () => {
    await ledger.record(alert({ stkCd: '005930', dt: '20250102' }));
    tick();
    await ledger.record(alert({ stkCd: '005930', dt: '20250103', rule: 'chg_qty_abs' }));
    tick();
    await ledger.record(alert({ stkCd: '000660', dt: '20250106' }));
    await ledger.markSent('005930', '20250103', 'chg_qty_abs', 'msg-1');
  });

  const ids = (entries: { stkCd: string; dt: string }[]) => entries.map((e) => `${e.stkCd}/${e.dt}`);

  it('lists every alert newest trading day first', async () => {
    expect(ids(await ledger.list())).toEqual(['000660/20250106', '005930/20250103', '005930/20250102']);
  });

  it("lists one code's alerts", async () => {
    expect(ids(await ledger.list({ stkCd: '005930' }))).toEqual(['005930/20250103', '005930/20250102']);
  });

  it('lists alerts from a trading day on', async () => {
    expect(ids(await ledger.list({ since: '20250103' }))).toEqual(['000660/20250106', '005930/20250103']);
  });

  it("lists one code's alerts from a trading day on", async () => {
    expect(ids(await ledger.list({ stkCd: '005930', since: '20250103' }))).toEqual(['005930/20250103']);
  });

  it('lists alerts by status', async () => {
    expect(ids(await ledger.list({ status: 'sent' }))).toEqual(['005930/20250103']);
  });

  it('lists at most `limit` alerts', async () => {
    expect(ids(await ledger.list({ limit: 1 }))).toEqual(['000660/20250106']);
  });
});

describe('AlertLedger suppressed entries', () => {
  const snoozed = (overrides: Partial<NewLedgerEntry> = {}) => ({ ...alert(overrides), reason: 'snoozed until 20250110' });

  it('records a suppressed entry with its message and reason', async () => {
    await ledger.recordSuppressed(snoozed());
    const stored = await ledger.get('005930', '20250102', 'limit_exh_rt_cross_up');
    expect([stored?.status, stored?.suppressedReason, stored?.message]).toEqual([
      'suppressed',
      'snoozed until 20250110',
      alert().message,
    ]);
  });

  it('keeps a suppressed entry out of the unsent index, so no run publishes it', async () => {
    await ledger.recordSuppressed(snoozed());
    const index = await localClients().doc.send(
      new QueryCommand({
        TableName: historyTable,
        IndexName: 'unsent',
        KeyConditionExpression: 'unsent = :u',
        ExpressionAttributeValues: { ':u': 'UNSENT' },
      }),
    );
    expect([index.Items, await ledger.unsent()]).toEqual([[], []]);
  });

  it('lists suppressed entries by status', async () => {
    await ledger.recordSuppressed(snoozed({ stkCd: '000660' }));
    await ledger.record(alert({ stkCd: '005930' }));
    expect((await ledger.list({ status: 'suppressed' })).map((e) => e.stkCd)).toEqual(['000660']);
  });

  it('returns an existing entry untouched instead of suppressing it', async () => {
    await ledger.record(alert());
    const result = await ledger.recordSuppressed(snoozed());
    expect([result.created, result.created ? undefined : result.existing.status]).toEqual([false, 'pending']);
  });
});

describe('AlertLedger resends', () => {
  it('counts a resend and keeps the sent status, time and message id', async () => {
    await ledger.record(alert());
    await ledger.markSent('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-1');
    tick(60_000);
    const after = await ledger.recordResend('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-2');
    expect([after.status, after.sentAt, after.messageId, after.resends, after.lastResentAt, after.lastResendMessageId]).toEqual([
      'sent',
      '2025-01-02T09:30:00.000Z',
      'msg-1',
      1,
      '2025-01-02T09:31:00.000Z',
      'msg-2',
    ]);
  });

  it('leaves a pending entry pending, so the next run still sends it', async () => {
    await ledger.record(alert());
    await ledger.recordResend('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-2');
    expect((await ledger.unsent()).map((e) => [e.status, e.resends])).toEqual([['pending', 1]]);
  });

  it('counts every resend', async () => {
    await ledger.recordSuppressed({ ...alert(), reason: 'snoozed' });
    await ledger.recordResend('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-2');
    const after = await ledger.recordResend('005930', '20250102', 'limit_exh_rt_cross_up', 'msg-3');
    expect([after.status, after.resends]).toEqual(['suppressed', 2]);
  });

  it('refuses to note a resend of an alert that was never recorded', async () => {
    await expect(ledger.recordResend('005930', '20250102', 'chg_qty_abs', 'msg-1')).rejects.toBeInstanceOf(
      LedgerEntryNotFoundError,
    );
  });
});

describe('AlertLedger variants and withdrawals', () => {
  const RULE = 'limit_exh_rt_cross_up' as const;

  it('keeps a variant beside the plain entry of the same day and rule, each with its own id and status', async () => {
    await ledger.record(alert());
    await ledger.markSent('005930', '20250102', RULE, 'm-1');
    const second = await ledger.record(alert({ variant: 'r1' }));

    expect(second).toMatchObject({ created: true, entry: { alertId: '005930-20250102-limit_exh_rt_cross_up-r1', variant: 'r1' } });
    expect((await ledger.unsent()).map((e) => e.alertId)).toEqual(['005930-20250102-limit_exh_rt_cross_up-r1']);
    await ledger.markSent('005930', '20250102', RULE, 'm-2', 'r1');
    expect((await ledger.list({ stkCd: '005930' })).map((e) => [e.alertId, e.status]).sort()).toEqual([
      ['005930-20250102-limit_exh_rt_cross_up', 'sent'],
      ['005930-20250102-limit_exh_rt_cross_up-r1', 'sent'],
    ]);
  });

  it('withdraws a sent entry and records its notice in one step, once', async () => {
    await ledger.record(alert());
    const sent = await ledger.markSent('005930', '20250102', RULE, 'm-1');
    const notice = alert({ rule: 'correction', variant: RULE, revision: true });
    const withdrawal = { thresholdsBp: [4900], all: true, reason: 'withdrawn' };

    const first = await ledger.withdraw(sent, withdrawal, notice);
    const again = await ledger.withdraw(sent, withdrawal, notice);

    expect([first.withdrawn, first.notice?.alertId, again.withdrawn]).toEqual([true, '005930-20250102-correction-limit_exh_rt_cross_up', false]);
    const original = await ledger.get('005930', '20250102', RULE);
    expect([original?.status, original?.withdrawn, original?.withdrawnBp]).toEqual(['sent', true, [4900]]);
    expect((await ledger.unsent()).map((e) => e.rule)).toEqual(['correction']);
  });

  it('suppresses an unsent entry it withdraws, for good and without a notice', async () => {
    const { entry } = (await ledger.record(alert())) as { entry: Parameters<typeof ledger.withdraw>[0] };
    const result = await ledger.withdraw(entry, { thresholdsBp: [4900], all: true, reason: 'withdrawn: corrected' }, null);

    const after = await ledger.get('005930', '20250102', RULE);
    expect([result, after?.status, after?.suppressedReason, await ledger.unsent()]).toEqual([
      { withdrawn: true, notice: null },
      'suppressed',
      'withdrawn: corrected',
      [],
    ]);
  });
});
