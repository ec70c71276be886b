// Channel secrets from Secrets Manager (mocked: no emulator exists here) and
// from KFA_CHANNEL_* variables on the local stack.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseChannel } from '../../functions/deliver/channel.ts';
import { ChannelConfigError, TransientDeliveryError } from '../../functions/deliver/errors.ts';
import { ChannelSecretSource } from '../../functions/deliver/secrets.ts';
import { secretValue } from '../../functions/deliver/transports.ts';

const ARN = 'arn:aws:secretsmanager:ap-northeast-2:111122223333:secret:kfa/channels/tg-AbCdEf';
const secretsMock = mockClient(SecretsManagerClient);
const channel = parseChannel({ name: 'tg', type: 'telegram', chat_id: '1', secret: ARN });

beforeEach(() => {
  secretsMock.reset();
});

describe('ChannelSecretSource', () => {
  it('reads the secret by ARN once and serves it from the cache for five minutes', async () => {
    secretsMock.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: '{"bot_token":"123:abc"}' });
    let now = 0;
    const source = new ChannelSecretSource({ client: new SecretsManagerClient({ region: 'ap-northeast-2' }), localSecrets: {}, now: () => now });
    expect(await source.resolve(channel)).toBe('{"bot_token":"123:abc"}');
    now = 299_000;
    await source.resolve(channel);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now = 301_000;
    await source.resolve(channel);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('calls a missing or forbidden secret a configuration problem, and throttling transient', async () => {
    const source = () => new ChannelSecretSource({ client: new SecretsManagerClient({ region: 'ap-northeast-2' }), localSecrets: {} });
    secretsMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(source().resolve(channel)).rejects.toBeInstanceOf(ChannelConfigError);
    secretsMock.on(GetSecretValueCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(source().resolve(channel)).rejects.toBeInstanceOf(TransientDeliveryError);
  });

  it('reads KFA_CHANNEL_* variables for env secrets, and says when one is missing', async () => {
    const local = parseChannel({ name: 'tg', type: 'telegram', chat_id: '1', secret_env: 'KFA_CHANNEL_TG' });
    expect(await new ChannelSecretSource({ client: null, localSecrets: { KFA_CHANNEL_TG: '1:x' } }).resolve(local)).toBe('1:x');
    await expect(new ChannelSecretSource({ client: null, localSecrets: {} }).resolve(local)).rejects.toThrow('KFA_CHANNEL_TG is not set');
  });
});

describe('secretValue', () => {
  it('takes a plain string or the channel type\'s JSON key, and checks its shape without echoing it', () => {
    expect(secretValue(channel, '123:abc')).toBe('123:abc');
    expect(secretValue(channel, '{"bot_token":"123:abc"}')).toBe('123:abc');
    const slack = parseChannel({ name: 's', type: 'slack', secret: 'kfa/channels/s' });
    expect(secretValue(slack, '{"url":"https://hooks.slack.com/services/T/B/K"}')).toBe('https://hooks.slack.com/services/T/B/K');
    expect(() => secretValue(channel, 'not-a-token-value')).toThrow(/not a Telegram bot token/);
    try {
      secretValue(channel, 'not-a-token-value');
    } catch (error) {
      expect((error as Error).message).not.toContain('not-a-token-value');
    }
  });
});
