// Issue 11 from the scan's side of the deployed token path. Item 1: a
// failing token path stops the scan at once, with one message, and leaves
// every code for the next run. Item 2: a token Kiwoom hands back with minutes
// left is used until it expires, without a Lambda call per request. Item 3:
// an 8005 right after a renewal re-reads the secret once before giving up.
// End to end: the scan's Kiwoom client reads the token through
// SecretsManagerTokenSource (Secrets Manager and Lambda mocked), Lambda runs
// the real token function, and the simulator plays Kiwoom (au10001 answers
// 8001 for the wrong secret key; ka10008 answers 8005 for a dead token).
import '../support/token-function-env.ts';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';

import { issuerWithRetry, run as runTokenFunction, type TokenDeps } from '../../functions/handlers/token.ts';
import { KiwoomClient, createKiwoomClient } from '../../functions/kiwoom/client.ts';
import { KiwoomHttp } from '../../functions/kiwoom/http.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import { APP_KEY_PLACEHOLDER, SecretsManagerTokenSource, TokenSecretStore } from '../../functions/kiwoom/secrets-token-source.ts';
import { TokenIssuerLock, tokenLockScope } from '../../functions/kiwoom/token-lock.ts';
import { issueToken } from '../../functions/kiwoom/token.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import type { ScanSummary } from '../../functions/scan/scan.ts';
import { capturingLog, pipeline, type PipelineHarness } from '../pipeline/harness.ts';
import { rateStory } from '../pipeline/story.ts';
import { APP_SECRET_ARN, FakeLambda, FakeSecretsManager, TOKEN_FUNCTION, TOKEN_SECRET_ARN } from './deployed.ts';
import { caught, history } from './support.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

const CODES = ['000270', '000660', '005380', '005930', '017670', '035420'];
const HOUR = 3_600_000;
const quiet = { info: () => undefined, warn: () => undefined };

const secrets = new FakeSecretsManager();
let tokenFunction: TokenDeps | undefined;
const lambda = new FakeLambda(async (event) => runTokenFunction(tokenFunction!, event));

let lockTable: string;

beforeEach(async () => {
  lockTable = (await uniqueTables()).historyTable;
  secrets.install();
  lambda.install();
  secrets.versions.clear();
  secrets.reads.length = 0;
  secrets.writes.length = 0;
  lambda.events.length = 0;
  lambda.failedAt.length = 0;
});

afterEach(() => {
  tokenFunction = undefined;
});

/** The harness, its codes watched, and the token function pointed at its simulator. */
async function deployedScan(h: PipelineHarness): Promise<{ client: KiwoomClient; sentAt: { stkCd: string; at: number }[] }> {
  for (const stkCd of CODES) {
    await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
    h.story(stkCd, rateStory('20250303', [4880, 4905]));
  }
  tokenFunction = {
    store: new TokenSecretStore({ secrets: secrets.client(), tokenSecretArn: TOKEN_SECRET_ARN, appSecretArn: APP_SECRET_ARN }),
    issue: issuerWithRetry(new KiwoomHttp({ baseUrl: h.simulator.url }), quiet, {
      sleep: async () => undefined,
      limiters: new LimiterRegistry(),
      now: () => h.now,
    }),
    lock: new TokenIssuerLock(localClients().doc, h.tables.historyTable, tokenLockScope(TOKEN_SECRET_ARN)),
    now: () => h.now,
    logger: quiet,
    metrics: { addMetric: vi.fn() },
  };
  const sentAt: { stkCd: string; at: number }[] = [];
  const client = new KiwoomClient({
    baseUrl: h.simulator.url,
    tokens: new SecretsManagerTokenSource({
      secrets: secrets.client(),
      lambda: lambda.client(),
      tokenSecretArn: TOKEN_SECRET_ARN,
      tokenFunctionName: TOKEN_FUNCTION,
      now: () => h.now,
    }),
    appKey: 'deployed-identity',
    rateLimit: 50,
    limiters: new LimiterRegistry(),
    // Send times, to compare with the moment the token function failed.
    fetch: (url, init) => {
      if (String(url).endsWith('/api/dostk/frgnistt')) {
        sentAt.push({ stkCd: (JSON.parse(String(init?.body)) as { stk_cd: string }).stk_cd, at: performance.now() });
      }
      return fetch(url, init);
    },
  });
  return { client, sentAt };
}

function expectStoppedLeavingEveryCode(summary: ScanSummary, reason: string): void {
  expect(summary.stopped).toMatchObject({ reason });
  expect(summary.codes_failed).toEqual([]);
  expect(summary.codes_scanned).toBe(0);
  expect([...summary.codes_not_reached].sort()).toEqual(CODES);
}

describe('the deployed token path when the app secret is wrong (au10001 answers 8001)', () => {
  it('stops at the first failure of the token function, with one message, and leaves every code for the next run', async () => {
    const h = await pipeline();
    const { client, sentAt } = await deployedScan(h);
    h.atEvening('20250304');
    // The secret still holds a token that looks fresh but that Kiwoom no longer accepts.
    secrets.putToken('tok-dead-but-looks-fresh-0001', new Date(h.now.getTime() + 20 * HOUR));
    secrets.putAppCredentials('sim-appkey', 'not-the-secret');
    const log = capturingLog();

    const summary = await h.scanEvening('20250304', { kiwoom: client, logger: log });

    expectStoppedLeavingEveryCode(summary, 'TokenFunctionError');
    expect(summary.stopped?.error).toContain('BadCredentialsError');
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    // One renewal asked for, one au10001 call, and not a single ka10008 call sent after the failure.
    expect(lambda.events).toEqual([{ action: 'renew', rejected_token_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(h.simulator.requests.filter((r) => r.apiId === 'au10001')).toHaveLength(1);
    const failedAt = lambda.failedAt[0]!;
    expect(sentAt.filter((s) => s.at > failedAt)).toEqual([]);
    // The simulator saw at most the first attempt of each code, each answered 8005.
    const perCode = new Map<string, number>();
    for (const r of h.ka10008Requests()) perCode.set(String((r.body as { stk_cd: string }).stk_cd), (perCode.get(String((r.body as { stk_cd: string }).stk_cd)) ?? 0) + 1);
    expect([...perCode.values()].every((n) => n === 1)).toBe(true);
    expect(h.ka10008Requests().every((r) => r.outcome?.detailCode === '8005')).toBe(true);
  });

  it('calls no ka10008 at all when the secret holds no token yet and ensure fails', async () => {
    const h = await pipeline();
    const { client } = await deployedScan(h);
    // The placeholder the stack creates: no expires_at, so no token.
    secrets.put(TOKEN_SECRET_ARN, '{"token":"generated-placeholder","expires_dt":"","expires_at":""}');
    secrets.putAppCredentials('sim-appkey', 'not-the-secret');

    const summary = await h.scanEvening('20250304', { kiwoom: client });

    expectStoppedLeavingEveryCode(summary, 'TokenFunctionError');
    expect(lambda.events).toHaveLength(1);
    expect(h.simulator.requests.filter((r) => r.apiId === 'au10001')).toHaveLength(1);
    expect(h.ka10008Requests()).toEqual([]);
    expect(secrets.tokenWrites()).toBe(0);
  });
});

describe('the deployed token path before the app credentials are put', () => {
  it('stops at once saying the credentials are not configured and naming the command, with no Kiwoom call', async () => {
    const h = await pipeline();
    const { client } = await deployedScan(h);
    // Both secrets as the stack creates them.
    secrets.put(TOKEN_SECRET_ARN, '{"token":"generated-placeholder","expires_dt":"","expires_at":""}');
    secrets.putAppCredentials(APP_KEY_PLACEHOLDER, 'generated-secret-key');
    const log = capturingLog();

    const summary = await h.scanEvening('20250304', { kiwoom: client, logger: log });

    expectStoppedLeavingEveryCode(summary, 'AppCredentialsNotSetError');
    expect(summary.stopped?.error).toMatch(/Kiwoom app credentials are not configured/);
    expect(summary.stopped?.error).toContain('aws secretsmanager put-secret-value --secret-id <KiwoomAppSecretArn>');
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(lambda.events).toEqual([{ action: 'ensure', min_valid_minutes: 30 }]);
    expect(h.simulator.requests).toEqual([]);
    expect(secrets.tokenWrites()).toBe(0);
  });
});

describe('the local token path when au10001 keeps failing', () => {
  it('stops the run after one issuance and its retries instead of retrying au10001 for every code', async () => {
    const h = await pipeline();
    for (const stkCd of CODES) {
      await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
      h.story(stkCd, rateStory('20250303', [4880, 4905]));
    }
    h.simulator.inject({ kind: 'http500', apiId: 'au10001' });
    const client = createKiwoomClient({
      baseUrl: h.simulator.url,
      credentials: { appKey: 'sim-appkey', secretKey: 'sim-secretkey' },
      rateLimit: 50,
      limiters: new LimiterRegistry(),
      sleep: async () => undefined,
      random: () => 0,
    });

    const summary = await h.scanEvening('20250304', { kiwoom: client });

    expectStoppedLeavingEveryCode(summary, 'TokenUnavailableError');
    expect(h.simulator.requests.filter((r) => r.apiId === 'au10001')).toHaveLength(4);
    expect(h.ka10008Requests()).toEqual([]);
  });
});

/** The deployed client against a bare simulator (no scan): for the token path alone. */
function deployedClient(
  sim: KiwoomSimulator,
  now: () => Date,
  beforeSend: () => Promise<void> = async () => undefined,
): KiwoomClient {
  tokenFunction = {
    store: new TokenSecretStore({ secrets: secrets.client(), tokenSecretArn: TOKEN_SECRET_ARN, appSecretArn: APP_SECRET_ARN }),
    issue: issuerWithRetry(new KiwoomHttp({ baseUrl: sim.url }), quiet, {
      sleep: async () => undefined,
      limiters: new LimiterRegistry(),
      now,
    }),
    lock: new TokenIssuerLock(localClients().doc, lockTable, tokenLockScope(TOKEN_SECRET_ARN)),
    now,
    logger: quiet,
    metrics: { addMetric: vi.fn() },
  };
  return new KiwoomClient({
    baseUrl: sim.url,
    tokens: new SecretsManagerTokenSource({
      secrets: secrets.client(),
      lambda: lambda.client(),
      tokenSecretArn: TOKEN_SECRET_ARN,
      tokenFunctionName: TOKEN_FUNCTION,
      now,
    }),
    appKey: 'deployed-identity',
    rateLimit: 100,
    limiters: new LimiterRegistry(),
    sleep: async () => undefined,
    fetch: async (url, init) => {
      await beforeSend();
      return fetch(url, init);
    },
  });
}

async function kiwoomWith(options: Parameters<typeof startKiwoomSimulator>[0]): Promise<KiwoomSimulator> {
  const sim = await startKiwoomSimulator({ allowance: { ka10008: 100, au10001: 100 }, ...options });
  onTestFinished(() => sim.close());
  return sim;
}

describe('a token Kiwoom hands back with minutes left (item 2)', () => {
  it('costs no Lambda call, secret write or extra read per request while it is still valid', async () => {
    let now = new Date('2025-03-10T09:00:00Z');
    const sim = await kiwoomWith({ now: () => now, sameTokenWhileValid: true, data: { '005930': history('005930', 3) } });
    const issued = await issueToken(new KiwoomHttp({ baseUrl: sim.url }), { appKey: 'sim-appkey', secretKey: 'sim-secretkey' });
    secrets.putToken(issued.token, issued.expiresAt);
    secrets.putAppCredentials('sim-appkey', 'sim-secretkey');
    const client = deployedClient(sim, () => now);
    await client.ka10008Page('005930');

    now = new Date(issued.expiresAt.getTime() - 8 * 60_000); // inside the 10-minute margin
    secrets.reads.length = 0;
    for (let i = 0; i < 20; i += 1) await client.ka10008Page('005930');

    // One refresh in all: the scan reads before and after asking, the token function before and under its lock.
    expect(lambda.events.length).toBeLessThanOrEqual(1);
    expect(secrets.tokenWrites()).toBe(0);
    expect(secrets.tokenReads()).toBeLessThanOrEqual(4);
    expect(h10008Failures(sim)).toEqual([]);
  });
});

describe('an 8005 right after a renewal (item 3)', () => {
  async function renewedThenReplaced(replaceAfterRenew: boolean) {
    const sim = await kiwoomWith({ data: { '005930': history('005930', 3) } });
    const http = new KiwoomHttp({ baseUrl: sim.url });
    const app = { appKey: 'sim-appkey', secretKey: 'sim-secretkey' };
    const t1 = await issueToken(http, app);
    secrets.putToken(t1.token, t1.expiresAt);
    secrets.putAppCredentials(app.appKey, app.secretKey);
    let replaced = false;
    // Right after the renewal, before the client's retry reaches Kiwoom, another issuer replaces the token.
    const client = deployedClient(sim, () => new Date(), async () => {
      if (!replaceAfterRenew || replaced || lambda.events.length === 0) return;
      replaced = true;
      const t3 = await issueToken(http, app);
      secrets.putToken(t3.token, t3.expiresAt);
    });
    await client.ka10008Page('005930');
    // Somebody else issues a token for the key: T1 dies at Kiwoom, the secret still says T1.
    await issueToken(http, app);
    return { sim, client };
  }

  it('re-reads the secret once and goes on with the token found there', async () => {
    const { sim, client } = await renewedThenReplaced(true);

    const page = await client.ka10008Page('005930');

    expect(page.rows).toHaveLength(3);
    expect(lambda.events).toEqual([{ action: 'renew', rejected_token_sha256: expect.any(String) }]);
    expect(sim.requests.filter((r) => r.apiId === 'ka10008').map((r) => r.outcome?.detailCode ?? 'ok')).toEqual([
      'ok',
      '8005',
      '8005',
      'ok',
    ]);
  });

  it('gives up with a run-stopping error when the secret still holds the rejected token', async () => {
    const { sim, client } = await renewedThenReplaced(false);
    // Kiwoom now rejects every token: the renewed one too.
    sim.inject({ kind: 'tokenRejected' });

    const error = await caught(client.ka10008Page('005930'));

    expect(error).toMatchObject({ name: 'TokenUnavailableError', stopsRun: true });
    expect(lambda.events).toHaveLength(1);
  });
});

function h10008Failures(sim: KiwoomSimulator): string[] {
  return sim.requests.filter((r) => r.apiId === 'ka10008' && r.outcome?.detailCode !== undefined).map((r) => r.outcome!.detailCode!);
}
