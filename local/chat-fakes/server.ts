// Local fakes of the Telegram Bot API, Slack and Discord incoming webhooks,
// and a webhook receiver, on one loopback HTTP server. `npm start` and the
// tests point channels at them and read what each received. Faults (429 with
// retry_after, 403, 500) are scripted per API, answered in order before the
// normal behaviour resumes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { discordAnswer, slackAnswer, telegramAnswer, webhookAnswer, type ChatApi, type FakeAnswer, type Received } from './apis.ts';

export type { ChatApi, FakeAnswer, Received } from './apis.ts';

export const FAKE_TELEGRAM_TOKEN = '123456:local-fake-bot-token';
export const FAKE_WEBHOOK_SECRET = 'local-webhook-signing-secret';

export interface ChatFakes {
  url: string;
  telegramApiUrl: string;
  slackWebhookUrl: string;
  discordWebhookUrl: string;
  webhookUrl: string;
  received: Received[];
  /** What `api` received, in order. */
  of(api: ChatApi): Received[];
  /** Answers the next `times` requests to `api` with `answer` instead of the normal one. */
  script(api: ChatApi, answer: FakeAnswer, times?: number): void;
  /** The receiver's clock (seconds), for checking the replay window; defaults to the real clock. */
  setClock(nowSeconds: () => number): void;
  clear(): void;
  close(): Promise<void>;
}

export interface ChatFakeOptions {
  telegramToken?: string;
  webhookSecret?: string;
}

/** Telegram's answer when the bot was blocked or removed from the chat. */
export const TELEGRAM_BLOCKED: FakeAnswer = {
  status: 403,
  body: JSON.stringify({ ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' }),
};

export const telegramTooManyRequests = (retryAfterSeconds: number): FakeAnswer => ({
  status: 429,
  body: JSON.stringify({
    ok: false,
    error_code: 429,
    description: `Too Many Requests: retry after ${retryAfterSeconds}`,
    parameters: { retry_after: retryAfterSeconds },
  }),
});

export const discordTooManyRequests = (retryAfterSeconds: number): FakeAnswer => ({
  status: 429,
  body: JSON.stringify({ message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false }),
  headers: { 'retry-after': String(Math.ceil(retryAfterSeconds)) },
});

export async function startChatFakes(options: ChatFakeOptions = {}): Promise<ChatFakes> {
  const token = options.telegramToken ?? FAKE_TELEGRAM_TOKEN;
  const secret = options.webhookSecret ?? FAKE_WEBHOOK_SECRET;
  const received: Received[] = [];
  const scripted = new Map<ChatApi, FakeAnswer[]>();
  let clock = () => Math.floor(Date.now() / 1000);

  const route = (path: string): { api: ChatApi; token?: string } | null => {
    const telegram = /^\/telegram\/bot([^/]+)\/sendMessage$/.exec(path);
    if (telegram) return { api: 'telegram', token: decodeURIComponent(telegram[1] as string) };
    if (path.startsWith('/slack/services/')) return { api: 'slack' };
    if (path.startsWith('/discord/api/webhooks/')) return { api: 'discord' };
    if (path.startsWith('/webhook/')) return { api: 'webhook' };
    return null;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const target = req.method === 'POST' ? route(path) : null;
    if (!target) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    let body: unknown = rawBody;
    try {
      body = JSON.parse(rawBody);
    } catch {
      // kept as text
    }
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    let answer: FakeAnswer;
    let verified: boolean | undefined;
    if (target.api === 'webhook') ({ answer, verified } = webhookAnswer(secret, headers, rawBody, clock()));
    else if (target.api === 'telegram') answer = telegramAnswer(token, target.token ?? '', body);
    else if (target.api === 'slack') answer = slackAnswer(body);
    else answer = discordAnswer(body);
    const fault = scripted.get(target.api)?.shift();
    if (fault) answer = fault;
    received.push({
      api: target.api,
      path: path.replace(/\/bot[^/]+\//, '/bot***/'),
      headers,
      rawBody,
      body,
      ...(verified === undefined ? {} : { verified }),
      status: answer.status,
    });
    res.writeHead(answer.status, answer.headers ?? {}).end(answer.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.writeHead(500).end('fake failed'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Never the reason a run cannot exit (a failed `npm start` still ends).
  server.unref();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    telegramApiUrl: `${url}/telegram`,
    slackWebhookUrl: `${url}/slack/services/T0000/B0000/localfakekey`,
    discordWebhookUrl: `${url}/discord/api/webhooks/1000/localfaketoken`,
    webhookUrl: `${url}/webhook/kfa`,
    received,
    of: (api) => received.filter((r) => r.api === api),
    script(api, answer, times = 1) {
      scripted.set(api, [...(scripted.get(api) ?? []), ...Array.from({ length: times }, () => answer)]);
    },
    setClock(now) {
      clock = now;
    },
    clear() {
      received.length = 0;
      scripted.clear();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
