import { afterEach, describe, expect, it } from 'vitest';
import type { Subscriber } from '../../local/local-aws.ts';
import { PublishError, SnsAlertPublisher, type AlertMessage } from '../../functions/notify/sns-publisher.ts';
import { localClients, newTopicWithQueue } from '../support/aws.ts';

const subscribers: Subscriber[] = [];

afterEach(async () => {
  await Promise.all(subscribers.splice(0).map((s) => s.close()));
});

async function topicWithQueue(options: Parameters<typeof newTopicWithQueue>[0] = {}) {
  const made = await newTopicWithQueue(options);
  subscribers.push(made.subscriber);
  return made;
}

function alertMessage(overrides: Partial<AlertMessage> = {}): AlertMessage {
  return {
    subject: '[외국인] 삼성전자(005930) 한도소진율 49% 상향 돌파',
    messageJson: JSON.stringify({
      default: JSON.stringify({ stk_cd: '005930', rule: 'limit_exh_rt_cross_up', value_bp: 4901 }),
      email: '삼성전자(005930)\n한도소진율 48.90% → 49.01%',
      sms: '[외국인] 005930 소진율 49.01% ↑49%',
    }),
    attributes: { stk_cd: '005930', rule: 'limit_exh_rt_cross_up', direction: 'up', severity: 'warning' },
    ...overrides,
  };
}

describe('SnsAlertPublisher', () => {
  it('delivers the alert once, under the message id it returns', async () => {
    const { topicArn, subscriber } = await topicWithQueue();
    const { messageId } = await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    const received = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(received.map((r) => r.messageId)).toEqual([messageId]);
  });

  it('sends the subject for email subscribers', async () => {
    const { topicArn, subscriber } = await topicWithQueue();
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    const [received] = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(received?.subject).toBe('[외국인] 삼성전자(005930) 한도소진율 49% 상향 돌파');
  });

  it('sends every attribute as a filterable string', async () => {
    const { topicArn, subscriber } = await topicWithQueue();
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    const [received] = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(received?.attributes).toEqual(alertMessage().attributes);
  });

  it('gives an SQS subscriber the machine-readable default body', async () => {
    const { topicArn, subscriber } = await topicWithQueue();
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    const [received] = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(JSON.parse(received?.forProtocol('sqs') ?? 'null')).toEqual({
      stk_cd: '005930',
      rule: 'limit_exh_rt_cross_up',
      value_bp: 4901,
    });
  });

  it('gives an email subscriber the readable body', async () => {
    const { topicArn, subscriber } = await topicWithQueue();
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    const [received] = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(received?.forProtocol('email')).toBe('삼성전자(005930)\n한도소진율 48.90% → 49.01%');
  });

  it('gives an SMS subscriber the one-line body', async () => {
    const { topicArn, subscriber } = await topicWithQueue();
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    const [received] = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(received?.forProtocol('sms')).toBe('[외국인] 005930 소진율 49.01% ↑49%');
  });

  it('falls back to the default body for a protocol without its own key', async () => {
    const { topicArn, subscriber } = await topicWithQueue();
    const messageJson = JSON.stringify({ default: 'plain', email: 'mail' });
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage({ messageJson }));
    const [received] = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(received?.forProtocol('sms')).toBe('plain');
  });

  it('carries the attributes as SQS message attributes with raw delivery', async () => {
    const { topicArn, subscriber } = await topicWithQueue({ rawMessageDelivery: true });
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    const [received] = await subscriber.receive({ waitMs: 2000, expected: 1 });
    expect(received?.attributes).toEqual(alertMessage().attributes);
  });

  it('reaches only subscribers whose filter policy matches the attributes', async () => {
    const { topicArn, subscriber } = await topicWithQueue({ filterPolicy: { rule: ['chg_qty_abs'] } });
    await new SnsAlertPublisher(localClients().sns, topicArn).publish(alertMessage());
    expect(await subscriber.receive({ waitMs: 300 })).toEqual([]);
  });

  it('throws PublishError, with the SNS error as cause, for a topic that does not exist', async () => {
    const { topicArn } = await topicWithQueue();
    const publisher = new SnsAlertPublisher(localClients().sns, `${topicArn}-missing`);
    const error = await publisher.publish(alertMessage()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).cause).toMatchObject({ name: 'NotFoundException' });
  });
});
