// Issue 11, items 2 and 3: the token function is the one issuer per app key
// for real. Issuance is exclusive (a lock item in the History table, on
// DynamoDB Local), so the hourly ensure and a scan's renew cannot leave a
// dead token in the secret; and it writes the secret at most once per ten
// minutes unless Kiwoom rejected the stored token. Secrets Manager is an
// in-memory fake behind aws-sdk-client-mock; Kiwoom is the simulator.
import '../support/token-function-env.ts';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';

import { issuerWithRetry, run, type TokenDeps } from '../../functions/handlers/token.ts';
import { KiwoomHttp } from '../../functions/kiwoom/http.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import { TokenSecretStore, tokenSha256 } from '../../functions/kiwoom/secrets-token-source.ts';
import { TokenIssuerLock, tokenLockScope } from '../../functions/kiwoom/token-lock.ts';
import { issueToken } from '../../functions/kiwoom/token.ts';
import type { AppCredentials, IssuedToken } from '../../functions/kiwoom/types.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { APP_SECRET_ARN, deferred, FakeSecretsManager, TOKEN_SECRET_ARN } from '../kiwoom/deployed.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

const MINUTE = 60_000;
const T0 = new Date('2025-03-10T08:05:00Z');
const quiet = { info: () => undefined, warn: () => undefined };
const secrets = new FakeSecretsManager();
let lock: TokenIssuerLock;

beforeEach(async () => {
  // One lock item per test, as one deployment has one per token secret.
  lock = new TokenIssuerLock(localClients().doc, (await uniqueTables()).historyTable, tokenLockScope(TOKEN_SECRET_ARN));
  secrets.install();
  secrets.versions.clear();
  secrets.writes.length = 0;
  secrets.reads.length = 0;
  secrets.putAppCredentials('sim-appkey', 'sim-secretkey');
});

async function kiwoom(options: Parameters<typeof startKiwoomSimulator>[0] = {}): Promise<KiwoomSimulator> {
  const sim = await startKiwoomSimulator(options);
  onTestFinished(() => sim.close());
  return sim;
}

function tokenDeps(sim: KiwoomSimulator, overrides: Partial<TokenDeps> = {}): TokenDeps {
  const now = overrides.now ?? (() => T0);
  return {
    store: new TokenSecretStore({ secrets: secrets.client(), tokenSecretArn: TOKEN_SECRET_ARN, appSecretArn: APP_SECRET_ARN }),
    issue: issuerWithRetry(new KiwoomHttp({ baseUrl: sim.url }), quiet, {
      sleep: async () => undefined,
      limiters: new LimiterRegistry(),
      now,
    }),
    lock,
    now,
    logger: quiet,
    metrics: { addMetric: vi.fn() },
    ...overrides,
  };
}

/** Whether Kiwoom (the simulator) still accepts `token` for ka10008. */
async function accepted(sim: KiwoomSimulator, token: string | undefined): Promise<boolean> {
  const answer = await new KiwoomHttp({ baseUrl: sim.url }).post({
    path: '/api/dostk/frgnistt',
    apiId: 'ka10008',
    headers: { authorization: `Bearer ${token}` },
    body: { stk_cd: '000000' },
    secrets: [],
  });
  // 1902 (unknown stock) means the token passed; 8005 means it did not.
  return !String((answer.body as { return_msg?: string }).return_msg).includes('[8005');
}

describe('one issuer at a time (item 3)', () => {
  it('ends with the newest token in the secret when a renew starts while the hourly ensure is issuing', async () => {
    const sim = await kiwoom();
    const t1 = await issueToken(new KiwoomHttp({ baseUrl: sim.url }), { appKey: 'sim-appkey', secretKey: 'sim-secretkey' });
    secrets.putToken(t1.token, new Date(T0.getTime() + 60 * MINUTE));
    const http = new KiwoomHttp({ baseUrl: sim.url });

    // The ensure's au10001 call succeeds at Kiwoom (T2 replaces T1 there), but its answer is held.
    const ensureIssued = deferred();
    const ensureAnswer = deferred();
    const slowIssue = async (credentials: AppCredentials): Promise<IssuedToken> => {
      const issued = await issueToken(http, credentials);
      ensureIssued.resolve();
      await ensureAnswer.promise;
      return issued;
    };
    // The renew waits on a sleep the test lets go of.
    const renewWaiting = deferred();
    const renewMayPoll = deferred();
    const renewSleep = async (): Promise<void> => {
      renewWaiting.resolve();
      await renewMayPoll.promise;
    };

    const ensure = run(tokenDeps(sim, { issue: slowIssue }), { action: 'ensure', min_valid_minutes: 120 });
    await ensureIssued.promise;
    const renew = run(tokenDeps(sim, { sleep: renewSleep }), { action: 'renew', rejected_token_sha256: tokenSha256(t1.token) });
    await Promise.race([renew, renewWaiting.promise]);
    ensureAnswer.resolve();
    await ensure;
    renewMayPoll.resolve();
    const renewed = await renew;

    expect(await accepted(sim, secrets.storedToken())).toBe(true);
    expect(renewed.renewed).toBe(false);
    expect(sim.issuedTokens()).toBe(2);
  });

  it('does not issue again when the ensure runs right after a renew replaced the token', async () => {
    const sim = await kiwoom();
    const t1 = await issueToken(new KiwoomHttp({ baseUrl: sim.url }), { appKey: 'sim-appkey', secretKey: 'sim-secretkey' });
    secrets.putToken(t1.token, new Date(T0.getTime() + 60 * MINUTE));

    const renewed = await run(tokenDeps(sim), { action: 'renew', rejected_token_sha256: tokenSha256(t1.token) });
    const ensured = await run(tokenDeps(sim), { action: 'ensure', min_valid_minutes: 120 });

    expect([renewed.renewed, ensured.renewed]).toEqual([true, false]);
    expect(await accepted(sim, secrets.storedToken())).toBe(true);
    expect(sim.issuedTokens()).toBe(2);
  });
});

describe('writes to the token secret (item 2)', () => {
  it('asks au10001 and writes the secret at most once per 10 minutes for ensure, however little the new token has left', async () => {
    // Kiwoom's tokens here live one hour: less than the 120 minutes ensure asks for.
    let now = T0;
    const sim = await kiwoom({ now: () => now, tokenTtlMs: 60 * MINUTE });
    const deps = tokenDeps(sim, { now: () => now });
    const ensure = () => run(deps, { action: 'ensure', min_valid_minutes: 120 });

    await ensure();
    now = new Date(T0.getTime() + 2 * MINUTE);
    await ensure();
    now = new Date(T0.getTime() + 9 * MINUTE);
    await ensure();
    expect(secrets.tokenWrites()).toBe(1);
    expect(sim.issuedTokens()).toBe(1);

    now = new Date(T0.getTime() + 11 * MINUTE);
    await ensure();
    expect(secrets.tokenWrites()).toBe(2);
  });

  it('replaces a token Kiwoom rejected even a minute after the last write', async () => {
    let now = T0;
    const sim = await kiwoom({ now: () => now, tokenTtlMs: 60 * MINUTE });
    const deps = tokenDeps(sim, { now: () => now });
    await run(deps, { action: 'ensure', min_valid_minutes: 120 });
    now = new Date(T0.getTime() + MINUTE);

    const result = await run(deps, { action: 'renew', rejected_token_sha256: tokenSha256(secrets.storedToken()!) });

    expect(result.renewed).toBe(true);
    expect(secrets.tokenWrites()).toBe(2);
  });

  it('does not write the secret when Kiwoom hands back the token it already holds', async () => {
    let now = T0;
    const sim = await kiwoom({ now: () => now, tokenTtlMs: 24 * 60 * MINUTE, sameTokenWhileValid: true });
    const deps = tokenDeps(sim, { now: () => now });
    await run(deps, { action: 'ensure' });
    // 23 h 55 min later the stored token has five minutes left, and au10001 hands it back again.
    now = new Date(T0.getTime() + (24 * 60 - 5) * MINUTE);

    const result = await run(deps, { action: 'ensure' });

    expect(result).toEqual({ renewed: false, expires_at: new Date(T0.getTime() + 24 * 60 * MINUTE).toISOString() });
    expect(secrets.tokenWrites()).toBe(1);
    expect(sim.requests.filter((r) => r.apiId === 'au10001')).toHaveLength(2);
  });
});
