// What each chat API's answer means for the caller.
import { describe, expect, it } from 'vitest';
import { parseChannel } from '../../functions/deliver/channel.ts';
import { PermanentDeliveryError, RateLimitedError, TransientDeliveryError } from '../../functions/deliver/errors.ts';
import type { HttpAnswer } from '../../functions/deliver/http/sender.ts';
import { TRANSPORTS } from '../../functions/deliver/transports.ts';
import { alertNotice } from './support.ts';

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const thrown = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};
const TOKEN = '123456:secret-token';

describe('Telegram answers', () => {
  const { interpret } = TRANSPORTS.telegram;
  it('reads message_id from a success', () => {
    expect(interpret(answer(200, { ok: true, result: { message_id: 42 } }), TOKEN)).toEqual({ status: 200, reference: 'message_id 42' });
  });
  it('takes retry_after from parameters on 429', () => {
    const error = thrown(() => interpret(answer(429, { ok: false, error_code: 429, parameters: { retry_after: 7 } }), TOKEN));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(7000);
  });
  it('gives up on 403 and names the new chat id after a supergroup migration', () => {
    expect(thrown(() => interpret(answer(403, { ok: false, error_code: 403, description: 'Forbidden: bot was kicked from the group chat' }), TOKEN))).toBeInstanceOf(PermanentDeliveryError);
    const migrated = thrown(() => interpret(answer(400, { ok: false, error_code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1009 } }), TOKEN));
    expect((migrated as Error).message).toContain('set the channel\'s chat id to -1009');
  });
  it('retries a 502 from a proxy and masks the token in what it keeps', () => {
    const error = thrown(() => interpret(answer(502, `<html>bad gateway for /bot${TOKEN}/sendMessage</html>`), TOKEN));
    expect(error).toBeInstanceOf(TransientDeliveryError);
    expect((error as TransientDeliveryError).answer).not.toContain(TOKEN);
  });
  it('puts the token only in the request URL, never in the URL it shows', () => {
    const channel = parseChannel({ name: 'tg', type: 'telegram', chat_id: '-100', secret_env: 'KFA_CHANNEL_TG' });
    const [request] = TRANSPORTS.telegram.requests(alertNotice(), channel, TOKEN, { telegramApiUrl: 'https://api.telegram.org', now: new Date(0) });
    expect(request?.url).toBe(`https://api.telegram.org/bot${TOKEN}/sendMessage`);
    expect(request?.shownUrl).toBe('https://api.telegram.org/bot***/sendMessage');
  });
});

describe('Slack, Discord and webhook answers', () => {
  it('Slack: "ok" succeeds, 429 waits by Retry-After, 404 no_service gives up', () => {
    expect(TRANSPORTS.slack.interpret(answer(200, 'ok'), 'u')).toMatchObject({ status: 200 });
    expect((thrown(() => TRANSPORTS.slack.interpret(answer(429, 'rate_limited', { 'retry-after': '30' }), 'u')) as RateLimitedError).retryAfterMs).toBe(30_000);
    expect(thrown(() => TRANSPORTS.slack.interpret(answer(404, 'no_service'), 'u'))).toBeInstanceOf(PermanentDeliveryError);
  });
  it('Discord: 204 succeeds, 429 waits by the body\'s retry_after, else by the header', () => {
    expect(TRANSPORTS.discord.interpret(answer(204, ''), 'u')).toEqual({ status: 204 });
    expect((thrown(() => TRANSPORTS.discord.interpret(answer(429, { retry_after: 1.5 }), 'u')) as RateLimitedError).retryAfterMs).toBe(1500);
    expect((thrown(() => TRANSPORTS.discord.interpret(answer(429, 'x', { 'retry-after': '2' }), 'u')) as RateLimitedError).retryAfterMs).toBe(2000);
  });
  it('webhook: 2xx succeeds, 408 and 5xx retry, a redirect or 410 gives up', () => {
    expect(TRANSPORTS.webhook.interpret(answer(202, ''), 's')).toEqual({ status: 202 });
    expect(thrown(() => TRANSPORTS.webhook.interpret(answer(408, ''), 's'))).toBeInstanceOf(TransientDeliveryError);
    expect(thrown(() => TRANSPORTS.webhook.interpret(answer(503, ''), 's'))).toBeInstanceOf(TransientDeliveryError);
    expect(thrown(() => TRANSPORTS.webhook.interpret(answer(302, '', { location: 'http://169.254.169.254/' }), 's'))).toBeInstanceOf(PermanentDeliveryError);
    expect(thrown(() => TRANSPORTS.webhook.interpret(answer(410, 'gone'), 's'))).toBeInstanceOf(PermanentDeliveryError);
  });
});
