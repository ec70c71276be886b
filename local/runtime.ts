// The embedded local stack: DynamoDB Local, fauxqs (SNS/SQS) and the Kiwoom
// simulator on loopback, with the tables and the alert topic created and an
// SQS queue subscribed to the topic (to read what subscribers receive).
// Everything started here is stopped by `stop()`, and also on Ctrl-C, on
// SIGTERM and on an uncaught failure.
import { createTables } from '../functions/store/tables.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from './kiwoom-simulator/server.ts';
import {
  createAlertTopic,
  createLocalClients,
  startLocalAws,
  subscribeQueue,
  type LocalAws,
  type LocalClients,
  type Subscriber,
} from './local-aws.ts';

export const LOCAL_APP = { appKey: 'sim-appkey', secretKey: 'sim-secretkey' } as const;

export interface LocalStack {
  aws: LocalAws;
  clients: LocalClients;
  simulator: KiwoomSimulator;
  topicArn: string;
  subscriber: Subscriber;
  /** Every variable `kfa` and the handlers need to use this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: { log?: (line: string) => void } = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const aws = await startLocalAws({ log });
  let simulator: KiwoomSimulator | undefined;
  let clients: LocalClients | undefined;
  const stopAll = async (): Promise<void> => {
    await simulator?.close().catch(() => undefined);
    clients?.destroy();
    await aws.stop();
  };
  try {
    simulator = await startKiwoomSimulator({ apps: [{ ...LOCAL_APP }], allowance: { ka10008: 5, au10001: 5 } });
    log(`Kiwoom simulator on ${simulator.url}`);
    clients = createLocalClients(aws);
    const tables = { watchlistTable: 'kfa-watchlist', historyTable: 'kfa-history' };
    await createTables(clients.dynamo, tables);
    const topicArn = await createAlertTopic(clients.sns, 'kfa-alerts');
    const subscriber = await subscribeQueue(clients.sns, clients.sqs, topicArn);
    const env: Record<string, string> = {
      ...aws.env,
      KIWOOM_BASE_URL: simulator.url,
      KIWOOM_APPKEY: LOCAL_APP.appKey,
      KIWOOM_SECRETKEY: LOCAL_APP.secretKey,
      KIWOOM_RATE_LIMIT: '5',
      WATCHLIST_TABLE: tables.watchlistTable,
      HISTORY_TABLE: tables.historyTable,
      ALERT_TOPIC_ARN: topicArn,
    };
    const stack = { aws, clients, simulator, topicArn, subscriber, env, stop: stopAll };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Runs `body` with a stack and stops it afterwards, also on Ctrl-C (exit 130). */
export async function withLocalStack<T>(
  body: (stack: LocalStack) => Promise<T>,
  options: { log?: (line: string) => void } = {},
): Promise<T> {
  const stack = await startLocalStack(options);
  const onSignal = (signal: NodeJS.Signals): void => {
    void stack.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(stack);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stack.stop();
  }
}
