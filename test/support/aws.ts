// Clients and fresh resources on the run's local AWS parts (started once by
// ./global-setup.ts). Never a real AWS host: the clients get explicit
// loopback endpoints and dummy credentials, and a missing endpoint fails here.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import {
  createAlertTopic,
  createLocalClients,
  subscribeQueue,
  type LocalAwsInfo,
  type LocalClients,
  type Subscriber,
  type SubscribeOptions,
} from '../../local/local-aws.ts';
import { createTables, type TableNames } from '../../functions/store/tables.ts';

let clients: LocalClients | undefined;

export function localAwsInfo(): LocalAwsInfo {
  const info = inject('localAws');
  if (!info?.endpoints?.dynamodb || !info.endpoints.sns || !info.endpoints.sqs) {
    throw new Error('local AWS endpoints missing: is test/support/global-setup.ts registered as globalSetup?');
  }
  return info;
}

/** DynamoDB (plain and document), SNS and SQS clients for the local parts, one set per test file. */
export function localClients(): LocalClients {
  clients ??= createLocalClients(localAwsInfo());
  return clients;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Fresh, created Watchlist and History tables for one test file (or one test). */
export async function uniqueTables(): Promise<TableNames> {
  const id = randomUUID().slice(0, 8);
  const names = { watchlistTable: `watchlist-${id}`, historyTable: `history-${id}` };
  await createTables(localClients().dynamo, names);
  return names;
}

/** A new SNS topic with one SQS subscriber, to see exactly what subscribers receive. */
export async function newTopicWithQueue(
  options: SubscribeOptions = {},
): Promise<{ topicArn: string; subscriber: Subscriber }> {
  const { sns, sqs } = localClients();
  const topicArn = await createAlertTopic(sns, uniqueName('alerts'));
  const subscriber = await subscribeQueue(sns, sqs, topicArn, options);
  return { topicArn, subscriber };
}
