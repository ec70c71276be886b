// `kfa channels add|list|remove|test` as a user runs them, against DynamoDB
// Local and the chat API fakes on loopback (DELIVER_LOCAL_STACK=true).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TELEGRAM_TOKEN, TELEGRAM_BLOCKED, startChatFakes, type ChatFakes } from '../../local/chat-fakes/server.ts';
import { LOCAL_SECRETS } from '../deliver/harness.ts';
import { uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa } from '../support/cli.ts';

let fakes: ChatFakes;
let env: Record<string, string>;

beforeAll(async () => {
  fakes = await startChatFakes();
  const tables = await uniqueTables();
  env = kfaEnv({
    WATCHLIST_TABLE: tables.watchlistTable,
    HISTORY_TABLE: tables.historyTable,
    DELIVER_LOCAL_STACK: 'true',
    TELEGRAM_API_URL: fakes.telegramApiUrl,
    ...LOCAL_SECRETS(fakes),
    KFA_CHANNEL_PRIVATE_SLACK: 'https://192.168.1.5/services/T/B/K',
  });
});
afterAll(async () => {
  await fakes.close();
});

const kfa = (...args: string[]) => spawnKfa(args, env);

describe('kfa channels', () => {
  it('adds a Telegram channel with a filter', async () => {
    const added = await kfa('channels', 'add', 'alerts-tg', '--type', 'telegram', '--chat-id', '-1001234567890', '--secret', 'env:KFA_CHANNEL_TELEGRAM', '--severities', 'critical,warning', '--codes', '017670,005930');
    expect(added.code).toBe(0);
    expect(added.stderr).toContain('added telegram channel alerts-tg: chat -1001234567890, severities critical,warning; codes 017670,005930');
  });

  it('adds Slack, Discord and webhook channels', async () => {
    expect((await kfa('channels', 'add', 'desk', '--type', 'slack', '--secret', 'env:KFA_CHANNEL_SLACK', '--rules', 'limit_exh_rt_cross_up')).code).toBe(0);
    expect((await kfa('channels', 'add', 'dc', '--type', 'discord', '--secret', 'env:KFA_CHANNEL_DISCORD')).code).toBe(0);
    expect((await kfa('channels', 'add', 'hook', '--type', 'webhook', '--url', fakes.webhookUrl, '--secret', 'env:KFA_CHANNEL_WEBHOOK')).code).toBe(0);
  });

  it('lists the channels as JSON and as text, naming secrets and never printing their keys', async () => {
    const listed = await kfa('channels', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toContainEqual({
      name: 'alerts-tg',
      type: 'telegram',
      chat_id: '-1001234567890',
      secret_env: 'KFA_CHANNEL_TELEGRAM',
      severities: ['critical', 'warning'],
      codes: ['017670', '005930'],
      enabled: true,
      valid: true,
    });
    const text = await kfa('channels', 'list');
    expect(text.stdout).toMatch(/alerts-tg\s+telegram enabled +chat -1001234567890/);
    expect(text.stdout).toContain('URL in $KFA_CHANNEL_SLACK');
    expect(listed.stdout + text.stdout).not.toContain('localfakekey');
  });

  it('refuses a webhook URL on a private address, and a Slack secret whose URL is one', async () => {
    const hook = await kfa('channels', 'add', 'inside', '--type', 'webhook', '--url', 'https://10.1.2.3/hook', '--secret', 'env:KFA_CHANNEL_WEBHOOK');
    expect(hook.code).toBe(2);
    expect(hook.stderr).toContain('refused target https://10.1.2.3');
    const slack = await kfa('channels', 'add', 'inside-slack', '--type', 'slack', '--secret', 'env:KFA_CHANNEL_PRIVATE_SLACK');
    expect(slack.code).toBe(2);
    expect(slack.stderr).toMatch(/refused target https:\/\/192\.168\.1\.5.*private/);
    expect(slack.stderr).not.toContain('/services/T/B/K');
    expect((await kfa('channels', 'list', '--json')).stdout).not.toContain('inside');
  });

  it('names what is wrong with bad options (exit 2)', async () => {
    const bad = await kfa('channels', 'add', 'x', '--type', 'sms', '--secret', 'kfa/channels/x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('type: must be one of telegram, slack, discord, webhook');
    const outside = await kfa('channels', 'add', 'x', '--type', 'telegram', '--chat-id', '1', '--secret', 'prod/kiwoom-app');
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('is outside kfa/channels/');
  });

  it('saves a Telegram channel whose secret cannot be fetched right now with a warning, but not a Slack one (its URL is in the secret)', async () => {
    // Secrets Manager unreachable: a closed loopback port, never a real AWS host.
    const offline = { ...env, AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9' };
    const tg = await spawnKfa(['channels', 'add', 'later-tg', '--type', 'telegram', '--chat-id', '42', '--secret', 'kfa/channels/later-tg'], offline);
    expect(tg.code).toBe(0);
    expect(tg.stderr).toMatch(/warning: secret kfa\/channels\/later-tg could not be fetched .*kfa channels test later-tg/);
    const slack = await spawnKfa(['channels', 'add', 'later-slack', '--type', 'slack', '--secret', 'kfa/channels/later-slack'], offline);
    expect(slack.code).toBe(2);
    expect(slack.stderr).toContain('not saved');
  });

  it('sends a marked test message and prints the API answer with the token masked', async () => {
    fakes.clear();
    const tested = await kfa('channels', 'test', 'alerts-tg');
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/telegram\/bot\*\*\*\/sendMessage → 200\n\{"ok":true,"result":\{"message_id":\d+/);
    expect(tested.stdout + tested.stderr).not.toContain(FAKE_TELEGRAM_TOKEN);
    expect((fakes.of('telegram')[0]?.body as { text: string }).text).toMatch(/^🧪 <b>\[테스트\]/);
  });

  it('exits 1 and shows the answer when the test message is refused', async () => {
    fakes.script('telegram', TELEGRAM_BLOCKED);
    const tested = await kfa('channels', 'test', 'alerts-tg');
    expect(tested.code).toBe(1);
    expect(tested.stdout).toContain('→ 403');
    expect(tested.stderr).toContain('bot blocked or removed from the chat');
  });

  it('sends a signed test webhook the receiver verifies', async () => {
    fakes.clear();
    expect((await kfa('channels', 'test', 'hook')).code).toBe(0);
    expect(fakes.of('webhook')[0]).toMatchObject({ verified: true, body: { kind: 'test', test: true } });
  });

  it('removes a channel, and says so when there is none', async () => {
    expect((await kfa('channels', 'remove', 'dc')).code).toBe(0);
    const again = await kfa('channels', 'remove', 'dc');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('there is no channel named dc');
  });
});
