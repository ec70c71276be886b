// What Lambda's SQS event source does for the deliver function, on fauxqs:
// a queue (with a dead-letter queue after maxReceiveCount) subscribed to the
// alert topic with raw message delivery off, polled in batches of up to 10,
// handed to the handler as an SQSEvent; records it reports in
// batchItemFailures stay on the queue, the rest are deleted. Locally a failed
// record is made visible again at once instead of after the visibility
// timeout, so a run need not wait minutes.
//
// fauxqs does not apply MessageStructure json: its envelope carries the whole
// {"default", "email", "sms"} object. Real SNS puts only the `sqs` key (else
// `default`) there, so each body is rewritten to what SNS would have sent.
import { randomUUID } from 'node:crypto';
import { SubscribeCommand, UnsubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION, LocalAwsError, structuredMessage } from './local-aws.ts';

export interface DeliveryQueue {
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Polls until the queue is empty (or `maxBatches`), invoking `handler` per batch. */
  drain(handler: (event: SQSEvent) => Promise<SQSBatchResponse>, options?: { maxBatches?: number }): Promise<DrainResult>;
  /** Messages now in the dead-letter queue (received and deleted). */
  deadLetters(): Promise<string[]>;
  close(): Promise<void>;
}

export interface DrainResult {
  batches: number;
  records: number;
  /** Records the handler handed back (redelivered, or moved to the DLQ after maxReceiveCount). */
  failed: number;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new LocalAwsError(`no QueueArn for ${queueUrl}`);
  return arn;
}

export async function subscribeDeliveryQueue(
  sns: SNSClient,
  sqs: SQSClient,
  topicArn: string,
  options: { maxReceiveCount?: number } = {},
): Promise<DeliveryQueue> {
  const name = `deliver-${randomUUID().slice(0, 8)}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const deadLetterQueueUrl = dlq.QueueUrl as string;
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await queueArn(sqs, deadLetterQueueUrl),
          maxReceiveCount: options.maxReceiveCount ?? 5,
        }),
      },
    }),
  );
  const queueUrl = created.QueueUrl as string;
  const subscribed = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: await queueArn(sqs, queueUrl),
      Attributes: { RawMessageDelivery: 'false' },
      ReturnSubscriptionArn: true,
    }),
  );
  const eventSourceARN = await queueArn(sqs, queueUrl);

  const receive = async (url: string): Promise<Message[]> =>
    (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
      )
    ).Messages ?? [];

  return {
    queueUrl,
    deadLetterQueueUrl,
    async drain(handler, drainOptions = {}) {
      const result: DrainResult = { batches: 0, records: 0, failed: 0 };
      while (result.batches < (drainOptions.maxBatches ?? 100)) {
        const messages = await receive(queueUrl);
        if (messages.length === 0) break;
        const event: SQSEvent = { Records: messages.map((m) => toRecord(m, eventSourceARN)) };
        const response = await handler(event);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
          );
        }
        for (const m of messages.filter((x) => failed.has(x.MessageId ?? ''))) {
          await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
        }
        result.batches++;
        result.records += messages.length;
        result.failed += failed.size;
      }
      return result;
    },
    async deadLetters() {
      const bodies: string[] = [];
      for (let batch = await receive(deadLetterQueueUrl); batch.length > 0; batch = await receive(deadLetterQueueUrl)) {
        bodies.push(...batch.map((m) => m.Body ?? ''));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: deadLetterQueueUrl,
            Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
      return bodies;
    },
    async close() {
      if (subscribed.SubscriptionArn?.startsWith('arn:')) await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscribed.SubscriptionArn }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl: deadLetterQueueUrl }));
    },
  };
}

/** The envelope as real SNS writes it for an SQS subscriber of a MessageStructure json publish. */
export function asSnsDelivers(body: string): string {
  const envelope = JSON.parse(body) as { Message?: string };
  const structured = structuredMessage(envelope.Message ?? '');
  if (structured === null) return body;
  return JSON.stringify({ ...envelope, Message: structured.sqs ?? structured.default });
}

function toRecord(message: Message, eventSourceARN: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: asSnsDelivers(message.Body ?? ''),
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'sns',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion: LOCAL_REGION,
  };
}
