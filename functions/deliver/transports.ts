// Per channel type: the HTTP requests one notice becomes (Telegram may need
// several parts), and what the API's answer means for the caller (sent, wait
// and retry, redeliver later, or give up). Pure: no I/O, no clock.
import type { Channel, ChannelType } from './channel.ts';
import { ChannelConfigError, PermanentDeliveryError, RateLimitedError, TransientDeliveryError } from './errors.ts';
import { discordPayload } from './format/discord.ts';
import { slackPayload } from './format/slack.ts';
import { telegramMessages } from './format/telegram.ts';
import { webhookRequest } from './format/webhook.ts';
import type { HttpAnswer } from './http/sender.ts';
import type { Notice } from './notice.ts';

export interface OutgoingRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** The URL as it may be printed or logged: keys and tokens masked. */
  shownUrl: string;
}

export interface RenderContext {
  /** Telegram Bot API base URL. */
  telegramApiUrl: string;
  now: Date;
  test?: boolean;
}

/** What the API said on success, for the ledger and `kfa channels test` (e.g. Telegram's message_id). */
export interface Accepted {
  status: number;
  reference?: string;
}

export interface Transport {
  requests(notice: Notice, channel: Channel, secret: string, context: RenderContext): OutgoingRequest[];
  /** Returns on success; throws a DeliveryError saying what to do next. */
  interpret(answer: HttpAnswer, secret: string): Accepted;
}

/** Secrets may be a plain string or JSON with one known key (what the console's key/value editor writes). */
export function secretValue(channel: Channel, raw: string): string {
  const key = { telegram: 'bot_token', slack: 'url', discord: 'url', webhook: 'signing_secret' }[channel.type];
  let value = raw.trim();
  if (value.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new ChannelConfigError(channel.name, ['the secret looks like JSON but does not parse']);
    }
    const found = (parsed as Record<string, unknown>)[key];
    if (typeof found !== 'string' || found.trim() === '') {
      throw new ChannelConfigError(channel.name, [`the secret's JSON has no "${key}" string`]);
    }
    value = found.trim();
  }
  if (value === '') throw new ChannelConfigError(channel.name, ['the secret is empty']);
  if (channel.type === 'telegram' && !/^\d+:[A-Za-z0-9_-]+$/.test(value)) {
    throw new ChannelConfigError(channel.name, ['the secret is not a Telegram bot token (<bot id>:<key>, as @BotFather gives it)']);
  }
  if ((channel.type === 'slack' || channel.type === 'discord') && !/^https?:\/\//.test(value)) {
    throw new ChannelConfigError(channel.name, [`the secret is not a ${channel.type} webhook URL`]);
  }
  return value;
}

/** Masks a secret wherever it appears in text meant for people (an API's answer, an error). */
export function mask(text: string, secret: string): string {
  return secret.length >= 4 ? text.split(secret).join('***') : text;
}

function shortAnswer(answer: HttpAnswer, secret: string): string {
  return mask(answer.body.replace(/\s+/g, ' ').trim(), secret).slice(0, 300);
}

/** Retry-After in seconds (or an HTTP date); a missing or odd value means a cautious default. */
function retryAfterHeader(answer: HttpAnswer, fallbackMs: number): number {
  const raw = answer.headers['retry-after'];
  if (raw === undefined) return fallbackMs;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - Date.parse(answer.headers['date'] ?? '')) || fallbackMs : fallbackMs;
}

/** The classification every API shares once its own special cases are handled. */
function byStatus(answer: HttpAnswer, secret: string, retryAfterMs: number): never {
  const details = { httpStatus: answer.status, answer: shortAnswer(answer, secret) };
  if (answer.status === 429) throw new RateLimitedError(retryAfterMs, details);
  if (answer.status >= 500 || answer.status === 408) throw new TransientDeliveryError(`HTTP ${answer.status}`, details);
  if (answer.status >= 300 && answer.status < 400) throw new PermanentDeliveryError(`HTTP ${answer.status}: redirects are not followed`, details);
  throw new PermanentDeliveryError(`HTTP ${answer.status}`, details);
}

const json = { 'content-type': 'application/json; charset=utf-8' };

interface TelegramAnswer {
  ok?: boolean;
  error_code?: number;
  description?: string;
  result?: { message_id?: number };
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

const telegram: Transport = {
  requests(notice, channel, token, context) {
    const base = context.telegramApiUrl;
    return telegramMessages(notice, { test: context.test }).map((text) => ({
      url: `${base}/bot${token}/sendMessage`,
      shownUrl: `${base}/bot***/sendMessage`,
      headers: json,
      body: JSON.stringify({ chat_id: channel.chatId, text, parse_mode: 'HTML', link_preview_options: { is_disabled: true } }),
    }));
  },
  interpret(answer, token) {
    let parsed: TelegramAnswer = {};
    try {
      parsed = JSON.parse(answer.body) as TelegramAnswer;
    } catch {
      // A proxy's HTML error page: judge by the status alone.
    }
    if (answer.status === 200 && parsed.ok === true) {
      const id = parsed.result?.message_id;
      return { status: answer.status, ...(id !== undefined ? { reference: `message_id ${id}` } : {}) };
    }
    const details = { httpStatus: answer.status, answer: shortAnswer(answer, token) };
    const description = mask(parsed.description ?? '', token);
    if (answer.status === 429) {
      const seconds = parsed.parameters?.retry_after;
      throw new RateLimitedError(typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : retryAfterHeader(answer, 30_000), details);
    }
    const migrated = parsed.parameters?.migrate_to_chat_id;
    if (migrated !== undefined) {
      throw new PermanentDeliveryError(`the group became a supergroup: set the channel's chat id to ${migrated}`, details);
    }
    if (answer.status === 403) {
      throw new PermanentDeliveryError(`bot blocked or removed from the chat (403${description ? `: ${description}` : ''})`, details);
    }
    if (answer.status === 401) throw new PermanentDeliveryError('the bot token was refused (401): check the secret', details);
    if (answer.status === 400 || answer.status === 404) {
      throw new PermanentDeliveryError(`Telegram refused the message (${answer.status}${description ? `: ${description}` : ''})`, details);
    }
    return byStatus(answer, token, 30_000);
  },
};

const slack: Transport = {
  requests(notice, _channel, url, context) {
    return [{ url, shownUrl: maskedWebhookUrl(url), headers: json, body: JSON.stringify(slackPayload(notice, { test: context.test })) }];
  },
  interpret(answer, url) {
    if (answer.status === 200) return { status: 200, reference: answer.body.trim().slice(0, 40) || 'ok' };
    if (answer.status === 429) return byStatus(answer, url, retryAfterHeader(answer, 30_000));
    if (answer.status >= 400 && answer.status < 500) {
      // invalid_payload, no_service, channel_is_archived, action_prohibited …
      throw new PermanentDeliveryError(`Slack refused the message (${answer.status}: ${shortAnswer(answer, url)})`, {
        httpStatus: answer.status,
        answer: shortAnswer(answer, url),
      });
    }
    return byStatus(answer, url, 30_000);
  },
};

interface DiscordAnswer {
  retry_after?: number;
  message?: string;
  id?: string;
}

const discord: Transport = {
  requests(notice, _channel, url, context) {
    return [{ url, shownUrl: maskedWebhookUrl(url), headers: json, body: JSON.stringify(discordPayload(notice, { test: context.test })) }];
  },
  interpret(answer, url) {
    if (answer.status === 200 || answer.status === 204) {
      let id: string | undefined;
      try {
        id = (JSON.parse(answer.body) as DiscordAnswer).id;
      } catch {
        // 204 No Content without ?wait=true
      }
      return { status: answer.status, ...(id ? { reference: `message ${id}` } : {}) };
    }
    if (answer.status === 429) {
      let seconds: number | undefined;
      try {
        seconds = (JSON.parse(answer.body) as DiscordAnswer).retry_after;
      } catch {
        // fall back to the header
      }
      return byStatus(answer, url, typeof seconds === 'number' && seconds >= 0 ? Math.ceil(seconds * 1000) : retryAfterHeader(answer, 5_000));
    }
    return byStatus(answer, url, 5_000);
  },
};

const webhook: Transport = {
  requests(notice, channel, signingSecret, context) {
    const url = channel.url as string;
    const signed = webhookRequest(notice, signingSecret, context.now, { test: context.test });
    return [{ url, shownUrl: maskedQuery(url), headers: signed.headers, body: signed.body }];
  },
  interpret(answer, secret) {
    if (answer.status >= 200 && answer.status < 300) return { status: answer.status };
    return byStatus(answer, secret, retryAfterHeader(answer, 30_000));
  },
};

export const TRANSPORTS: Readonly<Record<ChannelType, Transport>> = { telegram, slack, discord, webhook };

/** "https://hooks.slack.com/***": the path of a Slack or Discord webhook URL is its key. */
export function maskedWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/***`;
  } catch {
    return '***';
  }
}

function maskedQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?***' : ''}`;
  } catch {
    return '***';
  }
}

/** Where a channel sends, for people: the chat id, or the masked URL. */
export function shownTarget(channel: Channel): string {
  if (channel.type === 'telegram') return `chat ${channel.chatId}`;
  if (channel.type === 'webhook') return maskedQuery(channel.url ?? '');
  return `URL in ${channel.secret.kind === 'aws' ? `secret ${channel.secret.id}` : `$${channel.secret.variable}`}`;
}
