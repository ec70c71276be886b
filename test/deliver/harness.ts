// The deliver function's run() against the real local parts: DynamoDB Local
// (channel items and the delivery ledger in a fresh History table) and the
// chat API fakes on loopback, with an injected clock, sleeper and remaining
// time, so a 429 is honoured without waiting and no assertion reads the wall
// clock.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { toChannelItem, parseChannel } from '../../functions/deliver/channel.ts';
import type { DeliveryMetric } from '../../functions/deliver/deliver.ts';
import { GuardedHttpSender } from '../../functions/deliver/http/sender.ts';
import { ChannelSecretSource } from '../../functions/deliver/secrets.ts';
import { ChannelStore } from '../../functions/deliver/store/channel-store.ts';
import { DeliveryLedger } from '../../functions/deliver/store/delivery-ledger.ts';
import { run, type DeliverRunDeps } from '../../functions/handlers/deliver.ts';
import { demoChannels, localChannelSecrets } from '../../local/chat-fakes/demo.ts';
import { startChatFakes, type ChatFakes } from '../../local/chat-fakes/server.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

export interface LogLine {
  level: string;
  message: string;
  extra?: object;
}

export interface DeliveryHarness {
  fakes: ChatFakes;
  ledger: DeliveryLedger;
  channels: ChannelStore;
  deps: DeliverRunDeps;
  logs: LogLine[];
  metrics: Partial<Record<DeliveryMetric, number>>;
  sleeps: number[];
  /** Milliseconds the simulated invocation has left. */
  remaining: { ms: number };
  /** Moves the injected clock. */
  advance(ms: number): void;
  /** Adds the four demo channels (telegram, slack, discord, webhook), local secrets from KFA_CHANNEL_*. */
  addAllChannels(): Promise<void>;
  putChannel(item: Record<string, unknown>): Promise<void>;
  invoke(...bodies: string[]): Promise<SQSBatchResponse>;
  /** run() on an event as Lambda's event source builds it (message ids kept). */
  invokeEvent(event: SQSEvent): Promise<SQSBatchResponse>;
  /** Everything logged, as one string (for secret checks). */
  logText(): string;
  close(): Promise<void>;
}

export { demoChannels };
export const LOCAL_SECRETS = localChannelSecrets;

let messageSeq = 0;

export function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: `sqs-${++messageSeq}`,
      receiptHandle: `rh-${messageSeq}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'sns', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-northeast-2:000000000000:deliver',
      awsRegion: 'ap-northeast-2',
    })),
  };
}

export async function deliveryHarness(options: { allowLoopback?: boolean } = {}): Promise<DeliveryHarness> {
  const tables = await uniqueTables();
  const { doc } = localClients();
  const fakes = await startChatFakes();
  const channels = new ChannelStore(doc, tables.historyTable);
  const ledger = new DeliveryLedger(doc, tables.historyTable);
  const logs: LogLine[] = [];
  const metrics: Partial<Record<DeliveryMetric, number>> = {};
  const sleeps: number[] = [];
  let clock = Date.parse('2026-11-06T09:35:00Z');
  const remaining = { ms: 60_000 };
  fakes.setClock(() => Math.floor(clock / 1000));
  const log = (level: string) => (message: string, extra?: object) => logs.push({ level, message, ...(extra ? { extra } : {}) });
  const deps: DeliverRunDeps = {
    channels,
    ledger,
    sender: new GuardedHttpSender({ allowLoopback: options.allowLoopback ?? true }),
    secrets: new ChannelSecretSource({ client: null, localSecrets: LOCAL_SECRETS(fakes) }),
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    metrics: { count: (name, value = 1) => void (metrics[name] = (metrics[name] ?? 0) + value) },
    now: () => new Date(clock),
    remainingMs: () => remaining.ms,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
      remaining.ms -= ms;
    },
    telegramApiUrl: fakes.telegramApiUrl,
  };
  const putChannel = async (item: Record<string, unknown>) => {
    await channels.put(toChannelItem(parseChannel(item)), new Date(clock));
  };
  return {
    fakes,
    ledger,
    channels,
    deps,
    logs,
    metrics,
    sleeps,
    remaining,
    advance: (ms) => void (clock += ms),
    async addAllChannels() {
      for (const item of demoChannels(fakes)) await putChannel({ ...item });
    },
    putChannel,
    invoke: (...bodies) => run(deps, sqsEvent(bodies)),
    invokeEvent: (event) => run(deps, event),
    logText: () => JSON.stringify(logs),
    close: () => fakes.close(),
  };
}
