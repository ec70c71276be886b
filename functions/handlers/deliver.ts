// The deliver Lambda: SQS records (SNS envelopes from the alert topic) to
// Telegram, Slack, Discord and signed webhooks. Powertools' batch processor
// reports each record that must be tried again in batchItemFailures
// (ReportBatchItemFailures), so SQS redelivers only those; the delivery
// ledger makes the redelivery skip every channel that already has it.
import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAwsClients } from '../aws-clients.ts';
import { loadConfig } from '../config.ts';
import type { Channel } from '../deliver/channel.ts';
import { deliverRecord, newBatchState, type DeliverDeps } from '../deliver/deliver.ts';
import { GuardedHttpSender } from '../deliver/http/sender.ts';
import { ChannelSecretSource } from '../deliver/secrets.ts';
import { ChannelStore } from '../deliver/store/channel-store.ts';
import { DeliveryLedger } from '../deliver/store/delivery-ledger.ts';
import { fromPowertools } from '../logging.ts';

export interface DeliverRunDeps extends DeliverDeps {
  channels: { list(): Promise<{ channel: Channel | null; item: Record<string, unknown>; problem?: string }[]> };
}

/** One batch: channels read once (consistently), then each record in order. */
export async function run(deps: DeliverRunDeps, event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  const stored = await deps.channels.list();
  for (const bad of stored.filter((s) => s.channel === null)) {
    deps.logger.warn('channel item skipped', { problem: bad.problem });
  }
  const channels = stored.flatMap((s) => (s.channel ? [s.channel] : []));
  const batch = newBatchState();
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    try {
      return await deliverRecord(deps, record.body, channels, batch);
    } catch (error) {
      deps.logger.warn('record handed back to SQS', { message_id: record.messageId, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  };
  return processPartialResponse(event, recordHandler, processor, {
    ...(context ? { context } : {}),
    // In order: a chat reads alerts in the order they were published, and one bot's rate limit is shared.
    processInParallel: false,
    // A batch that failed whole is reported like any other (a chat API outage is not a function error).
    throwOnFullBatchFailure: false,
  });
}

// ── wiring, once per cold start ──────────────────────────────────────────────

const config = loadConfig();
const powertoolsLogger = new Logger({ logLevel: config.logLevel as LogLevel });
const logger = fromPowertools(powertoolsLogger);
const metrics = new Metrics();
const aws = createAwsClients(config);
const secrets = new ChannelSecretSource({ client: aws.secrets, localSecrets: config.deliver.localSecrets });
const sender = new GuardedHttpSender({ allowLoopback: config.deliver.localStack });

export const handler = middy((event: SQSEvent, context: Context) =>
  run(
    {
      channels: new ChannelStore(aws.doc, config.historyTable),
      ledger: new DeliveryLedger(aws.doc, config.historyTable),
      sender,
      secrets,
      logger,
      metrics: { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) },
      now: () => new Date(),
      remainingMs: () => context.getRemainingTimeInMillis(),
      sleep: (ms) => sleep(ms).then(() => undefined),
      telegramApiUrl: config.deliver.telegramApiUrl,
    },
    event,
    context,
  ),
)
  .use(injectLambdaContext(powertoolsLogger))
  .use(logMetrics(metrics));
