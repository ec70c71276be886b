// The fault proxy against the real local parts, driven by the AWS SDK the
// scan uses: each fault arrives in the form the SDK classifies as AWS's own
// (throttling backs off and retries, 500s retry), and a lost answer leaves
// the write done while the caller hears nothing.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient, PublishCommand } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultPolicy, startFaultProxy, type FaultProxy, type FaultRates } from '../../chaos/fault-proxy.ts';
import { Seeded } from '../../chaos/random.ts';
import { LOCAL_CREDENTIALS } from '../../local/local-aws.ts';
import { localAwsInfo, newTopicWithQueue, uniqueTables } from '../support/aws.ts';

const opened: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => p.close()));
});

async function proxied(service: 'dynamodb' | 'sns', rates: Partial<FaultRates>) {
  const policy = new FaultPolicy(new Seeded(42));
  policy.rates = { throttle: 0, error: 0, lost: 0, ...rates };
  const info = localAwsInfo();
  const proxy = await startFaultProxy(service, info.endpoints[service], policy);
  opened.push(proxy);
  return { policy, endpoint: proxy.endpointFor('run-1') };
}

const clientOptions = (endpoint: string, maxAttempts: number) => ({
  endpoint,
  region: localAwsInfo().region,
  credentials: LOCAL_CREDENTIALS,
  maxAttempts,
});

function documentClient(endpoint: string, maxAttempts: number): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(clientOptions(endpoint, maxAttempts)));
}

async function storedItem(table: string, pk: string): Promise<Record<string, unknown> | undefined> {
  const direct = documentClient(localAwsInfo().endpoints.dynamodb, 1);
  return (await direct.send(new GetCommand({ TableName: table, Key: { pk, sk: 'x' }, ConsistentRead: true }))).Item;
}

describe('the fault proxy in front of DynamoDB Local', () => {
  it('throttles in DynamoDB’s form: the SDK retries, then reports ThrottlingException, and nothing is written', async () => {
    const { historyTable } = await uniqueTables();
    const { policy, endpoint } = await proxied('dynamodb', { throttle: 1 });
    const put = documentClient(endpoint, 2).send(new PutCommand({ TableName: historyTable, Item: { pk: 'a', sk: 'x' } }));

    const error = (await put.catch((e: unknown) => e)) as { name: string; $metadata: { attempts: number; httpStatusCode: number } };
    expect([error.name, error.$metadata.httpStatusCode, error.$metadata.attempts]).toEqual(['ThrottlingException', 400, 2]);
    expect([policy.injected().dynamodb.throttle, await storedItem(historyTable, 'a')]).toEqual([2, undefined]);
  });

  it('answers 500 as InternalServerError, which the SDK retries', async () => {
    const { historyTable } = await uniqueTables();
    const { endpoint } = await proxied('dynamodb', { error: 1 });
    const put = documentClient(endpoint, 2).send(new PutCommand({ TableName: historyTable, Item: { pk: 'b', sk: 'x' } }));

    const error = (await put.catch((e: unknown) => e)) as { name: string; $metadata: { attempts: number } };
    expect([error.name, error.$metadata.attempts]).toEqual(['InternalServerError', 2]);
  });

  it('loses the answer of a served write: the item is stored, the caller only saw the connection drop', async () => {
    const { historyTable } = await uniqueTables();
    const { policy, endpoint } = await proxied('dynamodb', { lost: 1 });
    const put = documentClient(endpoint, 1).send(new PutCommand({ TableName: historyTable, Item: { pk: 'c', sk: 'x', n: 1 } }));

    const error = (await put.catch((e: unknown) => e)) as { code?: string; name: string };
    expect(error).toBeInstanceOf(Error);
    expect(await storedItem(historyTable, 'c')).toEqual({ pk: 'c', sk: 'x', n: 1 });
    expect(policy.calls.map((c) => [c.operation, c.fault, c.upstreamStatus, c.fate])).toEqual([['PutItem', 'lost', 200, 'lost']]);
  });

  it('passes calls through unchanged when no fault is drawn, attributed to the caller in the endpoint path', async () => {
    const { historyTable } = await uniqueTables();
    const { policy, endpoint } = await proxied('dynamodb', {});
    await documentClient(endpoint, 1).send(new PutCommand({ TableName: historyTable, Item: { pk: 'd', sk: 'x' } }));

    expect(await storedItem(historyTable, 'd')).toEqual({ pk: 'd', sk: 'x' });
    expect(policy.calls.map((c) => [c.caller, c.operation, c.fate])).toEqual([['run-1', 'PutItem', 'answered']]);
  });
});

describe('the fault proxy in front of the SNS endpoint', () => {
  const publish = (endpoint: string, topicArn: string, maxAttempts: number) =>
    new SNSClient(clientOptions(endpoint, maxAttempts)).send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: '{"default":"x"}',
        MessageStructure: 'json',
        MessageAttributes: { alert_id: { DataType: 'String', StringValue: '017670-20250304-limit_exh_rt_cross_up' } },
      }),
    );

  it('throttles as SNS does (429 Throttled): the SDK reads ThrottledException and nothing is delivered', async () => {
    const { topicArn, subscriber } = await newTopicWithQueue();
    const { endpoint } = await proxied('sns', { throttle: 1 });

    const error = (await publish(endpoint, topicArn, 1).catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode: number } };
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['ThrottledException', 429]);
    expect(await subscriber.receive({ waitMs: 100 })).toEqual([]);
    await subscriber.close();
  });

  it('loses a Publish answer: subscribers get the message, the publisher saw a failure, the MessageId is on record', async () => {
    const { topicArn, subscriber } = await newTopicWithQueue();
    const { policy, endpoint } = await proxied('sns', { lost: 1 });

    await expect(publish(endpoint, topicArn, 1)).rejects.toBeInstanceOf(Error);
    const received = await subscriber.receive({ waitMs: 1000, expected: 1 });
    const [call] = policy.calls;
    expect(received.map((r) => r.attributes.alert_id)).toEqual(['017670-20250304-limit_exh_rt_cross_up']);
    expect([call?.publish?.alertId, call?.publish?.message, call?.messageId]).toEqual([
      '017670-20250304-limit_exh_rt_cross_up',
      '{"default":"x"}',
      received[0]?.messageId,
    ]);
    await subscriber.close();
  });
});

describe('the draws', () => {
  it('are the same for the same seed, one per call, at the configured rates', () => {
    const draws = (seed: number) => {
      const policy = new FaultPolicy(new Seeded(seed));
      policy.rates = { throttle: 0.2, error: 0.2, lost: 0.2 };
      return Array.from({ length: 200 }, () => policy.decide());
    };
    const first = draws(7);
    expect(draws(7)).toEqual(first);
    expect(draws(8)).not.toEqual(first);
    for (const kind of ['throttle', 'error', 'lost', null]) {
      expect(first.filter((d) => d === kind).length).toBeGreaterThan(20);
    }
  });
});
