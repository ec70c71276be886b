// The whole path on fauxqs: the scan's SNS publish (MessageStructure json)
// → the alert topic → an SQS queue with raw message delivery off → the
// deliver function in batches, as Lambda's event source would call it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnsAlertPublisher } from '../../functions/notify/sns-publisher.ts';
import { snsMessageJson } from '../../functions/domain/messages.ts';
import { subscribeDeliveryQueue, type DeliveryQueue } from '../../local/delivery-queue.ts';
import { createAlertTopic } from '../../local/local-aws.ts';
import { localClients, uniqueName } from '../support/aws.ts';
import { alertMessage } from './support.ts';
import { deliveryHarness, type DeliveryHarness } from './harness.ts';

let h: DeliveryHarness;
let queue: DeliveryQueue;
let publisher: SnsAlertPublisher;

beforeEach(async () => {
  h = await deliveryHarness();
  await h.addAllChannels();
  const { sns, sqs } = localClients();
  const topicArn = await createAlertTopic(sns, uniqueName('alerts'));
  queue = await subscribeDeliveryQueue(sns, sqs, topicArn, { maxReceiveCount: 3 });
  publisher = new SnsAlertPublisher(sns, topicArn);
});
afterEach(async () => {
  await queue.close();
  await h.close();
});

const publish = async (stkCd = '017670') => {
  const { payload, attributes } = alertMessage({ stkCd });
  const message = { email: 'email body', sms: 'sms body', payload };
  return publisher.publish({ subject: 'subject', messageJson: snsMessageJson(message), attributes });
};
const drain = () => queue.drain((event) => h.invokeEvent(event));

describe('SNS → SQS (raw delivery off) → deliver', () => {
  it('delivers a published alert to every channel, reading the attributes from the envelope', async () => {
    await publish();
    expect(await drain()).toMatchObject({ records: 1, failed: 0 });
    expect(h.fakes.of('webhook')[0]?.verified).toBe(true);
    expect(h.fakes.received.map((r) => r.api).sort()).toEqual(['discord', 'slack', 'telegram', 'webhook']);
  });

  it('delivers once when SNS delivers the same alert twice', async () => {
    await publish();
    await publish();
    expect(await drain()).toMatchObject({ records: 2, failed: 0 });
    expect(h.fakes.received).toHaveLength(4);
    expect(h.metrics.DuplicatesDropped).toBe(4);
  });

  it('moves a record a channel keeps refusing to the dead-letter queue after maxReceiveCount, the others delivered once', async () => {
    h.fakes.script('slack', { status: 500, body: 'down' }, 10);
    await publish();
    const result = await drain();
    expect(result.failed).toBe(3);
    const dead = await queue.deadLetters();
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0] as string)).toMatchObject({ Type: 'Notification' });
    expect(h.fakes.of('slack')).toHaveLength(3);
    expect(h.fakes.of('telegram')).toHaveLength(1);
    expect(h.fakes.of('webhook')).toHaveLength(1);
  });
});
