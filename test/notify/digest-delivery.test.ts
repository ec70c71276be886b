// ALERT_DELIVERY=digest against the real ledger (DynamoDB Local) and topic
// (fauxqs): one message per run, exactly once across a failed publish.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DigestPayload } from '../../functions/domain/messages.ts';
import { deliverDigest, type DigestPublisher } from '../../functions/notify/digest-delivery.ts';
import { SnsAlertPublisher } from '../../functions/notify/sns-publisher.ts';
import { AlertLedger, type LedgerEntry, type NewLedgerEntry } from '../../functions/store/alert-ledger.ts';
import type { Subscriber } from '../../local/local-aws.ts';
import { localClients, newTopicWithQueue, uniqueTables } from '../support/aws.ts';
import { CHG, CROSS_UP, ledgerEntry } from '../support/ledger-fixtures.ts';

let ledger: AlertLedger;
let subscriber: Subscriber;
let publisher: SnsAlertPublisher;

beforeEach(async () => {
  const { historyTable } = await uniqueTables();
  let clock = Date.parse('2025-03-04T09:40:00.000Z');
  ledger = new AlertLedger(localClients().doc, historyTable, { now: () => new Date((clock += 1000)) });
  const topic = await newTopicWithQueue();
  subscriber = topic.subscriber;
  publisher = new SnsAlertPublisher(localClients().sns, topic.topicArn);
});

afterEach(async () => {
  await subscriber.close();
});

/** What the scan does per new alert: ledger first. */
async function recorded(...entries: NewLedgerEntry[]): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for (const e of entries) {
    const r = await ledger.record(e);
    out.push(r.created ? r.entry : r.existing);
  }
  return out;
}

const failing: DigestPublisher = {
  publish: () => Promise.reject(new Error('SNS is down')),
};

describe('deliverDigest', () => {
  it('publishes one message for every alert of a run and marks each sent under its id', async () => {
    const run = await recorded(ledgerEntry('017670', '20250304', CROSS_UP), ledgerEntry('030200', '20250304', CHG));
    const delivery = await deliverDigest(ledger, publisher, run, { runId: 'run-1' });
    const received = await subscriber.receive({ waitMs: 3000 });
    expect(received.map((r) => [r.attributes.rule, r.attributes.severity, r.attributes.alert_count])).toEqual([['digest', 'critical', '2']]);
    expect((await ledger.list()).map((e) => [e.status, e.messageId])).toEqual([
      ['sent', delivery.digests[0]?.messageId],
      ['sent', delivery.digests[0]?.messageId],
    ]);
  });

  it('re-sends a failed digest with the next run, merged with its alerts, never doubled', async () => {
    const first = await recorded(ledgerEntry('017670', '20250304', CROSS_UP), ledgerEntry('030200', '20250304', CHG));
    const failed = await deliverDigest(ledger, failing, first, { runId: 'run-1' });
    expect(failed.failed).toHaveLength(2);

    // The next run: what the ledger still holds unsent, then this run's alert.
    const second = [...(await ledger.unsent()), ...(await recorded(ledgerEntry('017670', '20250305', CHG)))];
    await deliverDigest(ledger, publisher, second, { runId: 'run-2' });
    // A third run finds nothing left to send.
    const third = await deliverDigest(ledger, publisher, await ledger.unsent(), { runId: 'run-3' });

    const received = await subscriber.receive({ waitMs: 3000 });
    expect(received.map((r) => (r.default as DigestPayload).alert_ids)).toEqual([
      ['017670-20250304-limit_exh_rt_cross_up', '017670-20250305-chg_qty_abs', '030200-20250304-chg_qty_abs'],
    ]);
    expect(third.digests).toEqual([]);
  });

  it('leaves a failed digest unsent, with the error, for the next run', async () => {
    await deliverDigest(ledger, failing, await recorded(ledgerEntry('017670', '20250304', CROSS_UP)), { runId: 'run-1' });
    expect((await ledger.unsent()).map((e) => [e.status, e.lastError])).toEqual([['failed', 'digest: Error: SNS is down']]);
  });

  it('skips sent and suppressed entries', async () => {
    const [sent] = await recorded(ledgerEntry('017670', '20250304', CROSS_UP));
    await ledger.markSent('017670', '20250304', 'limit_exh_rt_cross_up', 'msg-1');
    const suppressed = await ledger.recordSuppressed({ ...ledgerEntry('030200', '20250304', CHG), reason: 'snoozed' });
    const sentNow = { ...(sent as LedgerEntry), status: 'sent' as const };
    const delivery = await deliverDigest(ledger, publisher, [sentNow, suppressed.created ? suppressed.entry : suppressed.existing], {
      runId: 'run-1',
    });
    expect(delivery.digests).toEqual([]);
  });
});
