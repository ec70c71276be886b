// The deployed token source against mocked Secrets Manager and Lambda (no
// emulator exists for either here). What matters: one secret read serves many
// calls, and after an 8005 the token function is asked at most once, and only
// when the secret still holds the rejected token.
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  SecretsManagerTokenSource,
  TokenFunctionError,
  TokenUnavailableError,
  formatExpiresDt,
  parseAppCredentials,
  parseTokenSecret,
  tokenSha256,
  AppCredentialsError,
  AppCredentialsNotSetError,
  APP_KEY_PLACEHOLDER,
} from '../../functions/kiwoom/secrets-token-source.ts';

const TOKEN_SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:111122223333:secret:kfa-token-AbCdEf';
const TOKEN_FUNCTION = 'kfa-token';
const NOW = new Date('2025-03-10T09:30:00Z');
const HOUR = 3_600_000;

const secretsMock = mockClient(SecretsManagerClient);
const lambdaMock = mockClient(LambdaClient);

function tokenSecret(token: string, expiresAt: Date): { SecretString: string } {
  return {
    SecretString: JSON.stringify({ token, expires_dt: formatExpiresDt(expiresAt), expires_at: expiresAt.toISOString() }),
  };
}

function invokeAnswer(result: unknown, functionError?: string) {
  return {
    StatusCode: 200,
    FunctionError: functionError,
    Payload: new TextEncoder().encode(JSON.stringify(result)) as never,
  };
}

function makeSource(now: () => Date = () => NOW): SecretsManagerTokenSource {
  return new SecretsManagerTokenSource({
    secrets: new SecretsManagerClient({ region: 'ap-northeast-2' }),
    lambda: new LambdaClient({ region: 'ap-northeast-2' }),
    tokenSecretArn: TOKEN_SECRET_ARN,
    tokenFunctionName: TOKEN_FUNCTION,
    now,
  });
}

function invokedEvents(): unknown[] {
  return lambdaMock
    .commandCalls(InvokeCommand)
    .map((call) => JSON.parse(new TextDecoder().decode(call.args[0].input.Payload as Uint8Array)));
}

beforeEach(() => {
  secretsMock.reset();
  lambdaMock.reset();
});

describe('SecretsManagerTokenSource.get', () => {
  it('reads the token secret once for many gets while the token is fresh', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(tokenSecret('tok-A', new Date(NOW.getTime() + 20 * HOUR)));
    const source = makeSource();

    const tokens = await Promise.all([source.get(), source.get(), source.get()]);
    tokens.push(await source.get(), await source.get());

    expect(tokens).toEqual(Array(5).fill('tok-A'));
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('re-reads the secret once the cached token is within 10 minutes of expiry, and takes a newer one without asking the token function', async () => {
    let now = NOW;
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret('tok-A', new Date(NOW.getTime() + HOUR)))
      .resolves(tokenSecret('tok-B', new Date(NOW.getTime() + 25 * HOUR)));
    const source = makeSource(() => now);
    expect(await source.get()).toBe('tok-A');

    now = new Date(NOW.getTime() + HOUR - 9 * 60_000);

    expect(await source.get()).toBe('tok-B');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('asks the token function to ensure a token when the secret still holds one near expiry', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret('tok-A', new Date(NOW.getTime() + 5 * 60_000)))
      .resolves(tokenSecret('tok-B', new Date(NOW.getTime() + 24 * HOUR)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: true, expires_at: 'x' }));

    expect(await makeSource().get()).toBe('tok-B');
    expect(invokedEvents()).toEqual([{ action: 'ensure', min_valid_minutes: 30 }]);
  });

  it('asks the token function to ensure a token when the secret holds only the placeholder', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"token":"generated-placeholder","expires_dt":"","expires_at":""}' })
      .resolves(tokenSecret('tok-B', new Date(NOW.getTime() + 24 * HOUR)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: true, expires_at: 'x' }));

    expect(await makeSource().get()).toBe('tok-B');
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1);
  });

  it('fails with TokenUnavailableError when the secret is still expired after the token function ran', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(tokenSecret('tok-A', new Date(NOW.getTime() - 60_000)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: false, expires_at: 'x' }));

    await expect(makeSource().get()).rejects.toBeInstanceOf(TokenUnavailableError);
  });

  it('stops the run, saying the credentials are not configured and how to put them, when the token function answers not_configured', async () => {
    // The token secret as the stack creates it, and the token function's answer while the app secret holds the placeholder.
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"generated-placeholder","expires_dt":"","expires_at":""}' });
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: false, expires_at: '', not_configured: true }));

    const failure = await makeSource().get().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AppCredentialsNotSetError);
    expect((failure as AppCredentialsNotSetError).stopsRun).toBe(true);
    expect((failure as Error).message).toMatch(/Kiwoom app credentials are not configured/);
    expect((failure as Error).message).toContain('Put the Kiwoom app credentials');
    expect((failure as Error).message).toContain('aws secretsmanager put-secret-value --secret-id <KiwoomAppSecretArn>');
    expect(invokedEvents()).toEqual([{ action: 'ensure', min_valid_minutes: 30 }]);
  });

  it('goes on with a stored token still valid although the token function answers not_configured', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(tokenSecret('tok-A', new Date(NOW.getTime() + 5 * 60_000)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: false, expires_at: 'x', not_configured: true }));

    expect(await makeSource().get()).toBe('tok-A');
  });

  it('passes on a failed token function as TokenFunctionError naming the error type', async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    lambdaMock
      .on(InvokeCommand)
      .resolves(invokeAnswer({ errorType: 'BadCredentialsError', errorMessage: 'au10001: app key rejected' }, 'Unhandled'));

    const failure = makeSource().get();

    await expect(failure).rejects.toBeInstanceOf(TokenFunctionError);
    await expect(failure).rejects.toThrow(/BadCredentialsError/);
  });
});

describe('SecretsManagerTokenSource.renew (recovery after 8005)', () => {
  it('takes the newer token from the secret without invoking the token function when somebody already replaced the rejected one', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret('tok-A', new Date(NOW.getTime() + 20 * HOUR)))
      .resolves(tokenSecret('tok-B', new Date(NOW.getTime() + 24 * HOUR)));
    const source = makeSource();
    const rejected = await source.get();

    expect(await source.renew(rejected)).toBe('tok-B');
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('invokes the token function exactly once, with the rejected token hashed, under 10 concurrent renew calls', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret('tok-A', new Date(NOW.getTime() + 20 * HOUR)))
      .resolvesOnce(tokenSecret('tok-A', new Date(NOW.getTime() + 20 * HOUR)))
      .resolves(tokenSecret('tok-B', new Date(NOW.getTime() + 24 * HOUR)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: true, expires_at: 'x' }));
    const source = makeSource();
    const rejected = await source.get();

    const renewed = await Promise.all(Array.from({ length: 10 }, () => source.renew(rejected)));

    expect(new Set(renewed)).toEqual(new Set(['tok-B']));
    expect(invokedEvents()).toEqual([{ action: 'renew', rejected_token_sha256: tokenSha256('tok-A') }]);
    expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input).toMatchObject({
      FunctionName: TOKEN_FUNCTION,
      InvocationType: 'RequestResponse',
    });
  });

  it('serves the renewed token from the cache afterwards', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce(tokenSecret('tok-A', new Date(NOW.getTime() + 20 * HOUR)))
      .resolvesOnce(tokenSecret('tok-A', new Date(NOW.getTime() + 20 * HOUR)))
      .resolves(tokenSecret('tok-B', new Date(NOW.getTime() + 24 * HOUR)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: true, expires_at: 'x' }));
    const source = makeSource();
    await source.renew(await source.get());
    const readsAfterRenew = secretsMock.commandCalls(GetSecretValueCommand).length;

    expect(await source.get()).toBe('tok-B');
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(readsAfterRenew);
  });

  it('fails with TokenUnavailableError when the secret still holds the rejected token after the token function ran', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(tokenSecret('tok-A', new Date(NOW.getTime() + 20 * HOUR)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: false, expires_at: 'x' }));

    await expect(makeSource().renew('tok-A')).rejects.toBeInstanceOf(TokenUnavailableError);
  });

  it('stops the run with the not-configured message when a renewal finds the credentials reset to the placeholder', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(tokenSecret('tok-dead', new Date(NOW.getTime() + 20 * HOUR)));
    lambdaMock.on(InvokeCommand).resolves(invokeAnswer({ renewed: false, expires_at: 'x', not_configured: true }));

    await expect(makeSource().renew('tok-dead')).rejects.toBeInstanceOf(AppCredentialsNotSetError);
  });

  it('never puts the token itself into an error message', async () => {
    secretsMock.on(GetSecretValueCommand).resolves(tokenSecret('tok-SECRET-VALUE', new Date(NOW.getTime() + HOUR)));
    lambdaMock.on(InvokeCommand).rejects(new Error('network down'));

    const error: Error = await makeSource()
      .renew('tok-SECRET-VALUE')
      .then(() => new Error('expected a failure'))
      .catch((e: unknown) => e as Error);

    expect(error).toBeInstanceOf(TokenFunctionError);
    expect(JSON.stringify({ message: error.message, cause: String(error.cause) })).not.toContain('tok-SECRET-VALUE');
  });
});

describe('token secret JSON', () => {
  it('writes expires_dt in Korea Standard Time as Kiwoom does', () => {
    expect(formatExpiresDt(new Date('2024-11-06T23:37:13Z'))).toBe('20241107083713');
  });

  it('treats a secret without a parsable expires_at as no token', () => {
    expect(parseTokenSecret('{"token":"t","expires_dt":"20241107083713","expires_at":""}')).toBeUndefined();
  });

  it('rejects app credentials that still hold the stack placeholder', () => {
    expect(() => parseAppCredentials(JSON.stringify({ appkey: APP_KEY_PLACEHOLDER, secretkey: 'x' }))).toThrow(
      AppCredentialsError,
    );
  });

  it('reads app credentials from appkey and secretkey', () => {
    expect(parseAppCredentials('{"appkey":"k","secretkey":"s"}')).toEqual({ appKey: 'k', secretKey: 's' });
  });
});
