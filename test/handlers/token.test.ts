// The token function: Kiwoom is the simulator over real HTTP on loopback,
// Secrets Manager is mocked (no emulator exists for it here).
import '../support/token-function-env.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

import { run, issuerWithRetry, TokenEventError, type TokenDeps } from '../../functions/handlers/token.ts';
import { KiwoomHttp } from '../../functions/kiwoom/http.ts';
import { BadCredentialsError } from '../../functions/kiwoom/errors.ts';
import {
  APP_KEY_PLACEHOLDER,
  AppCredentialsError,
  TokenSecretStore,
  formatExpiresDt,
  tokenSha256,
} from '../../functions/kiwoom/secrets-token-source.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import { TokenIssuerLock } from '../../functions/kiwoom/token-lock.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

const TOKEN_SECRET_ARN = process.env.KIWOOM_TOKEN_SECRET_ARN as string;
const APP_SECRET_ARN = process.env.KIWOOM_APP_SECRET_ARN as string;
const NOW = new Date('2025-03-10T08:30:00Z');
const MINUTE = 60_000;

const secretsMock = mockClient(SecretsManagerClient);
let simulator: KiwoomSimulator;
let lock: TokenIssuerLock;

// A fresh simulator per test: its token count and rolling window start empty.
beforeEach(async () => {
  simulator = await startKiwoomSimulator();
  lock = new TokenIssuerLock(localClients().doc, (await uniqueTables()).historyTable, 'token-test');
  secretsMock.reset();
  secretsMock.on(PutSecretValueCommand).resolves({});
  givenAppCredentials({ appkey: 'sim-appkey', secretkey: 'sim-secretkey' });
});

afterEach(async () => {
  await simulator.close();
});

function givenStoredToken(token: string, expiresAt: Date): void {
  secretsMock.on(GetSecretValueCommand, { SecretId: TOKEN_SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ token, expires_dt: formatExpiresDt(expiresAt), expires_at: expiresAt.toISOString() }),
  });
}

function givenAppCredentials(value: unknown): void {
  secretsMock.on(GetSecretValueCommand, { SecretId: APP_SECRET_ARN }).resolves({ SecretString: JSON.stringify(value) });
}

const quietLogger = { info: () => undefined, warn: () => undefined };

function makeDeps(overrides: Partial<TokenDeps> = {}): TokenDeps {
  return {
    store: new TokenSecretStore({
      secrets: new SecretsManagerClient({ region: 'ap-northeast-2' }),
      tokenSecretArn: TOKEN_SECRET_ARN,
      appSecretArn: APP_SECRET_ARN,
    }),
    issue: issuerWithRetry(new KiwoomHttp({ baseUrl: simulator.url }), quietLogger, {
      sleep: async () => undefined,
      limiters: new LimiterRegistry(),
      now: () => NOW,
    }),
    lock,
    now: () => NOW,
    logger: quietLogger,
    metrics: { addMetric: vi.fn() },
    ...overrides,
  };
}

function writtenTokenSecrets(): Record<string, string>[] {
  return secretsMock
    .commandCalls(PutSecretValueCommand)
    .map((call) => JSON.parse(call.args[0].input.SecretString as string) as Record<string, string>);
}

describe('token function: ensure', () => {
  it('keeps a stored token with more than the default 120 minutes left and calls no Kiwoom endpoint', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() + 121 * MINUTE));

    const result = await run(makeDeps(), { action: 'ensure' });

    expect(result).toEqual({ renewed: false, expires_at: new Date(NOW.getTime() + 121 * MINUTE).toISOString() });
    expect(simulator.issuedTokens()).toBe(0);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('issues a token from Kiwoom and writes it back when fewer than min_valid_minutes are left', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() + 300 * MINUTE));

    const result = await run(makeDeps(), { action: 'ensure', min_valid_minutes: 360 });

    expect(result.renewed).toBe(true);
    expect(simulator.issuedTokens()).toBe(1);
    const [written] = writtenTokenSecrets();
    expect(written?.token).toMatch(/\S/);
    expect(written?.token).not.toBe('tok-A');
    expect(written?.expires_at).toBe(result.expires_at);
    expect(written?.expires_dt).toBe(formatExpiresDt(new Date(result.expires_at)));
    expect(secretsMock.commandCalls(PutSecretValueCommand)[0]?.args[0].input.SecretId).toBe(TOKEN_SECRET_ARN);
  });

  it('issues a token when the token secret has no value yet', async () => {
    secretsMock
      .on(GetSecretValueCommand, { SecretId: TOKEN_SECRET_ARN })
      .rejects(new ResourceNotFoundException({ message: 'no current version', $metadata: {} }));

    const result = await run(makeDeps(), { action: 'ensure' });

    expect(result.renewed).toBe(true);
    expect(writtenTokenSecrets()).toHaveLength(1);
  });

  it('issues a token when the token secret holds the unparsable placeholder the stack created', async () => {
    secretsMock
      .on(GetSecretValueCommand, { SecretId: TOKEN_SECRET_ARN })
      .resolves({ SecretString: '{"token":"generated","expires_dt":"","expires_at":""}' });

    expect((await run(makeDeps(), { action: 'ensure' })).renewed).toBe(true);
  });

  it('never returns the token itself', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() - MINUTE));

    const result = await run(makeDeps(), { action: 'ensure' });

    expect(Object.keys(result).sort()).toEqual(['expires_at', 'renewed']);
    expect(JSON.stringify(result)).not.toContain(writtenTokenSecrets()[0]?.token);
  });

  it('retries au10001 after a transient HTTP 500 and then succeeds', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() - MINUTE));
    simulator.inject({ kind: 'http500', apiId: 'au10001', count: 1 });

    expect((await run(makeDeps(), { action: 'ensure' })).renewed).toBe(true);
    expect(simulator.issuedTokens()).toBe(1);
  });
});

describe('token function: renew', () => {
  it('issues a new token when the stored one is the rejected one', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() + 20 * 60 * MINUTE));

    const result = await run(makeDeps(), { action: 'renew', rejected_token_sha256: tokenSha256('tok-A') });

    expect(result.renewed).toBe(true);
    expect(simulator.issuedTokens()).toBe(1);
    expect(writtenTokenSecrets()).toHaveLength(1);
  });

  it('leaves a stored token that is not the rejected one untouched', async () => {
    const expiresAt = new Date(NOW.getTime() + 20 * 60 * MINUTE);
    givenStoredToken('tok-B', expiresAt);

    const result = await run(makeDeps(), { action: 'renew', rejected_token_sha256: tokenSha256('tok-A') });

    expect(result).toEqual({ renewed: false, expires_at: expiresAt.toISOString() });
    expect(simulator.issuedTokens()).toBe(0);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('token function: failures', () => {
  it('fails with BadCredentialsError and writes nothing when Kiwoom rejects the app key', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() - MINUTE));
    givenAppCredentials({ appkey: 'sim-appkey', secretkey: 'wrong-secret' });

    await expect(run(makeDeps(), { action: 'ensure' })).rejects.toBeInstanceOf(BadCredentialsError);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('does not send the placeholder credentials to Kiwoom, and reports "not configured" as its own metric instead of failing', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() - MINUTE));
    givenAppCredentials({ appkey: APP_KEY_PLACEHOLDER, secretkey: 'generated' });
    const metrics = { addMetric: vi.fn() };

    const result = await run(makeDeps({ metrics }), { action: 'ensure' });

    expect(result).toMatchObject({ renewed: false, not_configured: true });
    expect(metrics.addMetric).toHaveBeenCalledWith('TokenNotConfigured', 'Count', 1);
    expect(simulator.requests).toHaveLength(0);
    expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('still fails on credentials that are set but malformed (a real error for the alarm)', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() - MINUTE));
    givenAppCredentials({ appkey: 'sim-appkey' });

    await expect(run(makeDeps(), { action: 'ensure' })).rejects.toBeInstanceOf(AppCredentialsError);
  });

  it('rejects an event that is neither ensure nor renew with a hash', async () => {
    await expect(run(makeDeps(), { action: 'renew', rejected_token_sha256: 'tok-A' })).rejects.toBeInstanceOf(
      TokenEventError,
    );
  });

  it('never logs the token or the secret key', async () => {
    givenStoredToken('tok-A', new Date(NOW.getTime() - MINUTE));
    const lines: string[] = [];
    const recordingLogger = {
      info: (message: string, extra?: object) => void lines.push(message + JSON.stringify(extra ?? {})),
      warn: (message: string, extra?: object) => void lines.push(message + JSON.stringify(extra ?? {})),
    };
    simulator.inject({ kind: 'http500', apiId: 'au10001', count: 1 });

    await run(
      makeDeps({
        logger: recordingLogger,
        issue: issuerWithRetry(new KiwoomHttp({ baseUrl: simulator.url }), recordingLogger, {
          sleep: async () => undefined,
          limiters: new LimiterRegistry(),
        }),
      }),
      { action: 'ensure' },
    );

    const token = writtenTokenSecrets()[0]?.token as string;
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('\n')).not.toContain(token);
    expect(lines.join('\n')).not.toContain('sim-secretkey');
  });
});
