// The deliver function's guarantees against DynamoDB Local and the chat API
// fakes: each channel's request on the wire, exactly once per (alert,
// channel) under SNS duplicates and SQS redeliveries, 429s honoured, one
// failing channel neither blocking nor duplicating the others, SSRF refused.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_TELEGRAM_TOKEN, FAKE_WEBHOOK_SECRET, TELEGRAM_BLOCKED, discordTooManyRequests, telegramTooManyRequests } from '../../local/chat-fakes/server.ts';
import { parseNotice } from '../../functions/deliver/notice.ts';
import { alertMessage, digestMessage, snsEnvelope } from './support.ts';
import { deliveryHarness, type DeliveryHarness } from './harness.ts';

let h: DeliveryHarness;
beforeEach(async () => {
  h = await deliveryHarness();
  await h.addAllChannels();
});
afterEach(async () => {
  await h.close();
});

const ALERT_ID = '017670-20261106-limit_exh_rt_cross_up';
const alertBody = (messageId?: string, name?: string) => {
  const { payload, attributes } = alertMessage(name === undefined ? {} : { name });
  return snsEnvelope(payload, attributes, messageId);
};
const counts = () => ({
  telegram: h.fakes.of('telegram').filter((r) => r.status === 200).length,
  slack: h.fakes.of('slack').filter((r) => r.status === 200).length,
  discord: h.fakes.of('discord').filter((r) => r.status === 204).length,
  webhook: h.fakes.of('webhook').filter((r) => r.status === 200).length,
});
const ONCE_EACH = { telegram: 1, slack: 1, discord: 1, webhook: 1 };

describe('each channel\'s request on the wire', () => {
  it('sends Telegram sendMessage in HTML with the values escaped and Korean text intact', async () => {
    expect(await h.invoke(alertBody(undefined, '<SK> & 텔레콤'))).toEqual({ batchItemFailures: [] });
    const [request] = h.fakes.of('telegram');
    expect(request?.path).toBe('/telegram/bot***/sendMessage');
    expect(request?.status).toBe(200);
    const body = request?.body as { chat_id: string; parse_mode: string; text: string };
    expect(body.chat_id).toBe('-1001234567890');
    expect(body.parse_mode).toBe('HTML');
    expect(body.text).toContain('&lt;SK&gt; &amp; 텔레콤 (017670)');
    expect(body.text).toContain('한도소진률 49% 상향 돌파');
  });

  it('sends Slack Block Kit and a Discord embed, coloured by severity', async () => {
    await h.invoke(alertBody());
    const slack = h.fakes.of('slack')[0]?.body as { attachments: { color: string; blocks: { type: string }[] }[] };
    expect(slack.attachments[0]?.color).toBe('#d32f2f');
    expect(slack.attachments[0]?.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    const discord = h.fakes.of('discord')[0]?.body as { embeds: { color: number; footer: { text: string } }[] };
    expect(discord.embeds[0]).toMatchObject({ color: 0xd32f2f, footer: { text: `alert_id ${ALERT_ID}` } });
  });

  it('POSTs the default payload to the webhook with a signature the receiver verifies', async () => {
    const body = alertBody();
    await h.invoke(body);
    const [request] = h.fakes.of('webhook');
    expect(request?.verified).toBe(true);
    expect(request?.rawBody).toBe(JSON.parse(body).Message);
    expect(request?.headers['x-kfa-delivery']).toBe(ALERT_ID);
  });

  it('records each channel as sent in the delivery ledger', async () => {
    await h.invoke(alertBody());
    const entries = await h.ledger.entries(ALERT_ID);
    expect(entries.map((e) => [e.channel, e.status]).sort()).toEqual([
      ['desk-discord', 'sent'],
      ['desk-slack', 'sent'],
      ['risk-hook', 'sent'],
      ['tg', 'sent'],
    ]);
    expect(entries.find((e) => e.channel === 'tg')?.reference).toMatch(/^message_id \d+$/);
  });

  it('keeps tokens, keyed URLs and signing secrets out of every log line', async () => {
    h.fakes.script('slack', { status: 500, body: `oops ${h.fakes.slackWebhookUrl}` });
    h.fakes.script('telegram', TELEGRAM_BLOCKED);
    await h.invoke(alertBody());
    const logged = h.logText();
    expect(logged).not.toContain(FAKE_TELEGRAM_TOKEN);
    expect(logged).not.toContain('localfakekey');
    expect(logged).not.toContain('localfaketoken');
    expect(logged).not.toContain(FAKE_WEBHOOK_SECRET);
  });
});

describe('exactly once per (alert, channel)', () => {
  it('drops an SNS duplicate (same alert_id, another SNS message) in the same batch and in a later one', async () => {
    expect(await h.invoke(alertBody('sns-1'), alertBody('sns-2'))).toEqual({ batchItemFailures: [] });
    expect(await h.invoke(alertBody('sns-3'))).toEqual({ batchItemFailures: [] });
    expect(counts()).toEqual(ONCE_EACH);
    expect(h.metrics.DuplicatesDropped).toBe(8);
  });

  it('delivers once when two invocations get the same alert at the same time', async () => {
    const responses = await Promise.all([h.invoke(alertBody('sns-1')), h.invoke(alertBody('sns-2'))]);
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(counts()).toEqual(ONCE_EACH);
  });

  it('drops an SQS redelivery of a record that was delivered', async () => {
    const body = alertBody('sns-1');
    await h.invoke(body);
    await h.invoke(body);
    expect(counts()).toEqual(ONCE_EACH);
  });

  it('delivers a digest as one chat message per channel, once', async () => {
    const { payload, attributes } = digestMessage(6, 3);
    const body = snsEnvelope(payload, attributes);
    await h.invoke(body, snsEnvelope(payload, attributes));
    expect(counts()).toEqual(ONCE_EACH);
    expect((h.fakes.of('telegram')[0]?.body as { text: string }).text).toContain('외국인 보유 알림 요약');
  });

  it('resumes a long digest after its last accepted part instead of sending the parts again', async () => {
    const { payload, attributes } = digestMessage(100, 20);
    const body = snsEnvelope(payload, attributes);
    h.fakes.clear();
    // Part 1 accepted, part 2 answered 500: the record goes back to SQS.
    h.fakes.script('telegram', { status: 200, body: JSON.stringify({ ok: true, result: { message_id: 1 } }) });
    h.fakes.script('telegram', { status: 500, body: '{"ok":false,"error_code":500,"description":"Internal Server Error"}' });
    const first = await h.invoke(body);
    expect(first.batchItemFailures).toHaveLength(1);
    await h.invoke(body);
    const texts = h.fakes.of('telegram').filter((r) => r.status === 200).map((r) => (r.body as { text: string }).text);
    expect(new Set(texts).size).toBe(texts.length);
    const entry = await h.ledger.get(parseNotice(body).deliveryKey, 'tg');
    expect(entry).toMatchObject({ status: 'sent', partsSent: texts.length, partsTotal: texts.length });
    expect(counts().slack).toBe(1);
  });
});

describe('rate limits (429)', () => {
  it('waits out Telegram\'s parameters.retry_after with the injected sleeper, then sends once', async () => {
    h.fakes.script('telegram', telegramTooManyRequests(3));
    expect(await h.invoke(alertBody())).toEqual({ batchItemFailures: [] });
    expect(h.sleeps).toEqual([3000]);
    expect(h.fakes.of('telegram').map((r) => r.status)).toEqual([429, 200]);
    expect(counts()).toEqual(ONCE_EACH);
  });

  it('honours Discord\'s retry_after in seconds with a fraction', async () => {
    h.fakes.script('discord', discordTooManyRequests(0.75));
    await h.invoke(alertBody());
    expect(h.sleeps).toEqual([750]);
    expect(counts()).toEqual(ONCE_EACH);
  });

  it('hands the record back instead of sleeping past the invocation, and does not call again before retry_after', async () => {
    h.fakes.script('telegram', telegramTooManyRequests(120));
    const body = alertBody();
    const first = await h.invoke(body);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
    expect(await h.ledger.get(ALERT_ID, 'tg')).toMatchObject({ status: 'retry', notBefore: Date.parse('2026-11-06T09:37:00Z') });
    // A redelivery 30 s later: Telegram is not called, the others are not sent again.
    h.advance(30_000);
    expect((await h.invoke(body)).batchItemFailures).toHaveLength(1);
    expect(h.fakes.of('telegram')).toHaveLength(1);
    // After retry_after: sent, once.
    h.advance(90_000);
    expect(await h.invoke(body)).toEqual({ batchItemFailures: [] });
    expect(counts()).toEqual(ONCE_EACH);
  });
});

describe('one failing channel', () => {
  it('neither blocks nor duplicates the others; its redelivery sends only to it', async () => {
    h.fakes.script('slack', { status: 503, body: 'service unavailable' });
    const body = alertBody();
    const first = await h.invoke(body);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(counts()).toEqual({ telegram: 1, slack: 0, discord: 1, webhook: 1 });
    expect(await h.ledger.get(ALERT_ID, 'desk-slack')).toMatchObject({ status: 'retry', lastError: expect.stringContaining('HTTP 503') });
    expect(await h.invoke(body)).toEqual({ batchItemFailures: [] });
    expect(counts()).toEqual(ONCE_EACH);
  });

  it('is not called again in a batch after a 429 it could not wait out', async () => {
    h.fakes.script('telegram', telegramTooManyRequests(120));
    const { payload, attributes } = alertMessage({ stkCd: '030200', name: 'KT' });
    const response = await h.invoke(alertBody(), snsEnvelope(payload, attributes));
    expect(response.batchItemFailures).toHaveLength(2);
    expect(h.fakes.of('telegram')).toHaveLength(1);
  });

  it('is not called again for the rest of a batch after a transient failure', async () => {
    h.fakes.script('slack', { status: 500, body: 'x' });
    const a = alertBody();
    const { payload, attributes } = alertMessage({ stkCd: '030200', name: 'KT' });
    const response = await h.invoke(a, snsEnvelope(payload, attributes));
    expect(response.batchItemFailures).toHaveLength(2);
    expect(h.fakes.of('slack')).toHaveLength(1);
    expect(counts().telegram).toBe(2);
  });

  it('marks a Telegram 403 (bot blocked) failed for good, counts it and logs an error, without retrying', async () => {
    h.fakes.script('telegram', TELEGRAM_BLOCKED);
    const body = alertBody();
    expect(await h.invoke(body)).toEqual({ batchItemFailures: [] });
    expect(h.metrics.DeliveryFailedPermanent).toBe(1);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'delivery failed permanently', extra: expect.objectContaining({ channel: 'tg', http_status: 403 }) }),
    );
    expect(await h.ledger.get(ALERT_ID, 'tg')).toMatchObject({ status: 'failed', lastError: expect.stringContaining('bot blocked') });
    await h.invoke(body);
    expect(h.fakes.of('telegram')).toHaveLength(1);
    expect(counts()).toEqual({ telegram: 0, slack: 1, discord: 1, webhook: 1 });
  });
});

describe('no SSRF from a channel item', () => {
  it('refuses a webhook whose URL is a private address when sending, and sends nothing there', async () => {
    await h.putChannel({ name: 'internal', type: 'webhook', url: 'http://10.0.0.7/hook', secret_env: 'KFA_CHANNEL_WEBHOOK' });
    expect(await h.invoke(alertBody())).toEqual({ batchItemFailures: [] });
    expect(await h.ledger.get(ALERT_ID, 'internal')).toMatchObject({ status: 'failed', lastError: expect.stringContaining('private') });
    expect(counts()).toEqual(ONCE_EACH);
  });

  it('refuses the loopback fakes when the local-stack setting is off', async () => {
    const strict = await deliveryHarness({ allowLoopback: false });
    try {
      await strict.addAllChannels();
      await strict.invoke(alertBody());
      expect(strict.fakes.received).toEqual([]);
      expect(strict.metrics.DeliveryFailedPermanent).toBe(4);
    } finally {
      await strict.close();
    }
  });
});
