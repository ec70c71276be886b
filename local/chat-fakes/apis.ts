// What each fake API accepts and answers, in the live services' forms:
// Telegram's {ok, result | error_code, description, parameters}, Slack's
// plain "ok" / "invalid_payload", Discord's 204 / {message, retry_after},
// and a receiver that checks the webhook signature.
import { verifyKfaWebhook } from './webhook-receiver.ts';

export type ChatApi = 'telegram' | 'slack' | 'discord' | 'webhook';

export interface FakeAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface Received {
  api: ChatApi;
  /** The request path with tokens masked. */
  path: string;
  headers: Record<string, string>;
  rawBody: string;
  body: unknown;
  /** Webhook only: did the signature verify. */
  verified?: boolean;
  /** What the fake answered. */
  status: number;
}

const json = (status: number, value: unknown): FakeAnswer => ({ status, body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });

/** Telegram's HTML parse mode: only these tags, properly nested. */
const TELEGRAM_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a', 'tg-spoiler', 'blockquote', 'span']);

function telegramHtmlProblem(text: string): string | null {
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([a-zA-Z-]+)[^>]*>|&([a-zA-Z]+|#\d+|#x[0-9a-fA-F]+)?;?|<|>/g)) {
    const whole = m[0];
    if (whole === '<' || whole === '>') return `Bad Request: can't parse entities: unescaped ${whole}`;
    if (whole.startsWith('&')) {
      if (!/^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);$/.test(whole)) return `Bad Request: can't parse entities: unsupported entity ${whole}`;
      continue;
    }
    const name = (m[2] as string).toLowerCase();
    if (!TELEGRAM_TAGS.has(name)) return `Bad Request: can't parse entities: unsupported start tag "${name}"`;
    if (m[1] === '') stack.push(name);
    else if (stack.pop() !== name) return `Bad Request: can't parse entities: can't find end tag corresponding to start tag "${name}"`;
  }
  return stack.length > 0 ? `Bad Request: can't parse entities: can't find end tag corresponding to start tag "${stack.at(-1)}"` : null;
}

let nextMessageId = 1000;

export function telegramAnswer(expectedToken: string, token: string, body: unknown): FakeAnswer {
  if (token !== expectedToken) return json(401, { ok: false, error_code: 401, description: 'Unauthorized' });
  const b = body as { chat_id?: unknown; text?: unknown; parse_mode?: unknown };
  if (b.chat_id === undefined || typeof b.text !== 'string' || b.text.trim() === '') {
    return json(400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
  }
  const visible = b.text.replace(/<[^>]*>/g, '').replace(/&(lt|gt|amp|quot);/g, 'x');
  if (visible.length > 4096) return json(400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
  if (b.parse_mode === 'HTML') {
    const problem = telegramHtmlProblem(b.text);
    if (problem) return json(400, { ok: false, error_code: 400, description: problem });
  }
  return json(200, { ok: true, result: { message_id: nextMessageId++, chat: { id: b.chat_id }, date: 0, text: visible } });
}

export function slackAnswer(body: unknown): FakeAnswer {
  const b = body as { text?: unknown; blocks?: unknown; attachments?: { blocks?: unknown }[] };
  const blocks = Array.isArray(b.blocks) ? b.blocks : (b.attachments?.[0]?.blocks as unknown[] | undefined);
  if (typeof b.text !== 'string' && !Array.isArray(blocks)) return { status: 400, body: 'invalid_payload' };
  if (Array.isArray(blocks) && blocks.length > 50) return { status: 400, body: 'invalid_blocks' };
  return { status: 200, body: 'ok', headers: { 'content-type': 'text/html' } };
}

export function discordAnswer(body: unknown): FakeAnswer {
  const b = body as { content?: unknown; embeds?: { title?: string; description?: string }[] };
  if (!Array.isArray(b.embeds) && typeof b.content !== 'string') return json(400, { message: 'Cannot send an empty message', code: 50006 });
  for (const e of b.embeds ?? []) {
    if ((e.description ?? '').length > 4096 || (e.title ?? '').length > 256) return json(400, { message: 'Invalid Form Body', code: 50035 });
  }
  return { status: 204, body: '' };
}

export function webhookAnswer(secret: string, headers: Record<string, string>, rawBody: string, nowSeconds: number): { answer: FakeAnswer; verified: boolean } {
  const verified = verifyKfaWebhook(secret, headers, rawBody, nowSeconds);
  return { verified, answer: verified ? json(200, { received: true }) : json(401, { error: 'bad signature' }) };
}
