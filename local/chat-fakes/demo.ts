// The delivery part of `npm start`: the chat fakes, four channels (Telegram,
// Slack, Discord, a signed webhook) whose secrets come from KFA_CHANNEL_*
// variables, an SQS queue subscribed to the alert topic with raw delivery
// off, and the deployed deliver handler invoked on it batch by batch as
// Lambda would. After each evening it prints what each fake received.
import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseChannel, toChannelItem, type ChannelItem } from '../../functions/deliver/channel.ts';
import { ChannelStore } from '../../functions/deliver/store/channel-store.ts';
import { subscribeDeliveryQueue, type DeliveryQueue } from '../delivery-queue.ts';
import type { LocalStack } from '../runtime.ts';
import type { Received } from './apis.ts';
import { FAKE_TELEGRAM_TOKEN, FAKE_WEBHOOK_SECRET, startChatFakes, type ChatFakes } from './server.ts';

/** The local secrets: what Secrets Manager would hold, as KFA_CHANNEL_* variables (DELIVER_LOCAL_STACK only). */
export function localChannelSecrets(fakes: ChatFakes): Record<string, string> {
  return {
    KFA_CHANNEL_TELEGRAM: FAKE_TELEGRAM_TOKEN,
    KFA_CHANNEL_SLACK: fakes.slackWebhookUrl,
    KFA_CHANNEL_DISCORD: JSON.stringify({ url: fakes.discordWebhookUrl }),
    KFA_CHANNEL_WEBHOOK: FAKE_WEBHOOK_SECRET,
  };
}

export function demoChannels(fakes: ChatFakes): ChannelItem[] {
  return [
    { name: 'tg', type: 'telegram', chat_id: '-1001234567890', secret_env: 'KFA_CHANNEL_TELEGRAM', enabled: true },
    { name: 'desk-slack', type: 'slack', secret_env: 'KFA_CHANNEL_SLACK', enabled: true },
    { name: 'desk-discord', type: 'discord', secret_env: 'KFA_CHANNEL_DISCORD', enabled: true },
    { name: 'risk-hook', type: 'webhook', url: fakes.webhookUrl, secret_env: 'KFA_CHANNEL_WEBHOOK', enabled: true },
  ];
}

type DeliverHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface LocalDelivery {
  fakes: ChatFakes;
  /** Runs the deliver handler over everything queued; returns what the fakes received meanwhile. */
  deliver(): Promise<{ received: Received[]; records: number; failed: number }>;
  /** Hands the last batch to the handler again, as an SQS redelivery would. */
  redeliverLast(): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * Call after the stack's variables are in process.env: the handler module
 * reads its configuration once, when it is imported (a cold start).
 */
export async function startLocalDelivery(stack: LocalStack, log: (line: string) => void): Promise<LocalDelivery> {
  const fakes = await startChatFakes();
  let queue: DeliveryQueue | undefined;
  try {
    Object.assign(process.env, localChannelSecrets(fakes), { DELIVER_LOCAL_STACK: 'true', TELEGRAM_API_URL: fakes.telegramApiUrl });
    const store = new ChannelStore(stack.clients.doc, stack.env.HISTORY_TABLE as string);
    for (const item of demoChannels(fakes)) await store.put(toChannelItem(parseChannel(item)), new Date());
    queue = await subscribeDeliveryQueue(stack.clients.sns, stack.clients.sqs, stack.topicArn);
    const handler = (await import('../../functions/handlers/deliver.ts')).handler as unknown as DeliverHandler;
    log(`chat fakes on ${fakes.url}: channels tg (Telegram), desk-slack, desk-discord, risk-hook (signed webhook)`);
    let lastEvent: SQSEvent | undefined;
    const invoke = (event: SQSEvent): Promise<SQSBatchResponse> => {
      lastEvent = event;
      return handler(event, deliverContext());
    };
    const q = queue;
    return {
      fakes,
      async deliver() {
        const before = fakes.received.length;
        const { records, failed } = await q.drain(invoke);
        return { received: fakes.received.slice(before), records, failed };
      },
      async redeliverLast() {
        const before = fakes.received.length;
        if (lastEvent) await handler(lastEvent, deliverContext());
        return fakes.received.slice(before);
      },
      async close() {
        await q.close().catch(() => undefined);
        await fakes.close();
      },
    };
  } catch (error) {
    await queue?.close().catch(() => undefined);
    await fakes.close();
    throw error;
  }
}

function deliverContext(): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'kfa-deliver-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:000000000000:function:kfa-deliver-local',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/kfa-deliver-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A sendMessage body's text as the chat shows it: tags applied (dropped here), entities decoded. */
export function telegramPlainText(body: unknown): string {
  const text = String((body as { text?: string } | undefined)?.text ?? '');
  return text.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/** One line per request a fake received: what a person in that chat would see first. */
export function describeReceived(r: Received): string {
  const failed = r.status >= 300 ? ` → answered ${r.status}` : '';
  switch (r.api) {
    case 'telegram': {
      const length = String((r.body as { text?: string }).text ?? '').length;
      return `Telegram sendMessage (HTML, ${length} chars): ${telegramPlainText(r.body).split('\n').slice(0, 2).join(' · ')}${failed}`;
    }
    case 'slack': {
      const attachment = (r.body as { attachments?: { color?: string; blocks?: { type: string; text?: { text?: string } }[] }[] }).attachments?.[0];
      const header = attachment?.blocks?.find((b) => b.type === 'header')?.text?.text ?? '';
      return `Slack Block Kit (${attachment?.blocks?.length ?? 0} blocks, colour ${attachment?.color}): ${header}${failed}`;
    }
    case 'discord': {
      const embed = (r.body as { embeds?: { title?: string; color?: number; fields?: unknown[] }[] }).embeds?.[0];
      return `Discord embed (colour #${(embed?.color ?? 0).toString(16).padStart(6, '0')}, ${embed?.fields?.length ?? 0} fields): ${embed?.title ?? ''}${failed}`;
    }
    case 'webhook': {
      const body = r.body as { alert_id?: string; kind?: string; alert_count?: number };
      const what = body.kind === 'digest' ? `digest of ${body.alert_count} alerts` : body.alert_id;
      return `webhook POST ${r.rawBody.length} bytes (${what}), X-KFA-Signature ${r.verified ? 'verified ✓' : 'REJECTED'}${failed}`;
    }
  }
}
