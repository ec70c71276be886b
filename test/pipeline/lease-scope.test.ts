// The CLI and the deployed scan take the same lease for the same Kiwoom app
// key. The CLI knows the key (KIWOOM_APPKEY); the deployed scan never sees
// it, and reads the key's id from the token secret, where the token function
// wrote it. DynamoDB Local holds the lease; Secrets Manager is mocked (no
// emulator exists for it here), the token function runs for real against
// the simulator.
import { APP_SECRET_ARN, TOKEN_SECRET_ARN } from '../support/token-function-env.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { loadConfig } from '../../functions/config.ts';
import { issuerWithRetry, run as tokenFunction } from '../../functions/handlers/token.ts';
import { KiwoomHttp } from '../../functions/kiwoom/http.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import { TokenIssuerLock } from '../../functions/kiwoom/token-lock.ts';
import { TokenSecretStore } from '../../functions/kiwoom/secrets-token-source.ts';
import type { ScanDeps } from '../../functions/scan/ports.ts';
import { buildScanDeps, createKiwoom, createTokenSource, leaseScope } from '../../functions/scan/wiring.ts';
import { DynamoAllowanceStore } from '../../functions/store/allowance-store.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { capturingLog, SIM_APP } from './harness.ts';
import { storyRows } from './story.ts';

const NOW = new Date('2025-03-04T09:30:00Z');
const TTL = 60_000;

const secretsMock = mockClient(SecretsManagerClient);
mockClient(LambdaClient);
let simulator: KiwoomSimulator;
let tokenSecret: string | undefined;

beforeEach(async () => {
  simulator = await startKiwoomSimulator();
  secretsMock.reset();
  tokenSecret = undefined;
  secretsMock.on(GetSecretValueCommand, { SecretId: APP_SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ appkey: SIM_APP.appKey, secretkey: SIM_APP.secretKey }),
  });
  secretsMock.on(GetSecretValueCommand, { SecretId: TOKEN_SECRET_ARN }).callsFake(() => {
    if (tokenSecret === undefined) throw new ResourceNotFoundException({ message: 'no current version', $metadata: {} });
    return { SecretString: tokenSecret };
  });
  secretsMock.on(PutSecretValueCommand).callsFake((input: { SecretString?: string }) => {
    tokenSecret = input.SecretString;
    return {};
  });
});

afterEach(async () => {
  await simulator.close();
});

/** The hourly schedule's `ensure`: the token function issues a token and stores it in the secret. */
async function tokenFunctionRuns(): Promise<void> {
  await tokenFunction(
    {
      store: new TokenSecretStore({
        secrets: new SecretsManagerClient({ region: 'ap-northeast-2' }),
        tokenSecretArn: TOKEN_SECRET_ARN,
        appSecretArn: APP_SECRET_ARN,
      }),
      issue: issuerWithRetry(new KiwoomHttp({ baseUrl: simulator.url }), capturingLog(), {
        limiters: new LimiterRegistry(),
        now: () => NOW,
      }),
      lock: new TokenIssuerLock(localClients().doc, (await uniqueTables()).historyTable, 'lease-scope-test'),
      now: () => NOW,
      logger: capturingLog(),
      metrics: { addMetric: vi.fn() },
    },
    { action: 'ensure' },
  );
}

/** The scan's dependencies as the CLI (app key in the environment) or the Lambda (token secret) wires them. */
function scanDeps(env: Record<string, string>, historyTable: string): ScanDeps {
  const config = loadConfig({ KIWOOM_BASE_URL: simulator.url, HISTORY_TABLE: historyTable, AWS_REGION: 'ap-northeast-2', ...env });
  const aws = {
    ...localClients(),
    secrets: new SecretsManagerClient({ region: 'ap-northeast-2' }),
    lambda: new LambdaClient({ region: 'ap-northeast-2' }),
  };
  const logger = capturingLog();
  const tokens = createTokenSource(config, aws, logger);
  return buildScanDeps(config, aws, createKiwoom(config, tokens, logger), {
    dryRun: false,
    logger,
    tokens,
    remainingMs: () => Number.POSITIVE_INFINITY,
  });
}

const cli = (appKey: string) => ({ KIWOOM_APPKEY: appKey, KIWOOM_SECRETKEY: 'any-secret' });
const deployed = { KIWOOM_TOKEN_SECRET_ARN: TOKEN_SECRET_ARN, TOKEN_FUNCTION_NAME: 'kfa-token' };

describe('the scan lease for one Kiwoom app key', () => {
  it('keeps the deployed scan out while a kfa scan with the same app key holds it', async () => {
    const { historyTable } = await uniqueTables();
    await tokenFunctionRuns();

    const byCli = await scanDeps(cli(SIM_APP.appKey), historyTable).lease.acquire('kfa-cli-run', TTL, NOW);
    const byLambda = await scanDeps(deployed, historyTable).lease.acquire('sfn-run', TTL, NOW);

    expect([byCli.acquired, byLambda]).toEqual([true, { acquired: false, holder: 'kfa-cli-run', expiresAt: new Date(NOW.getTime() + TTL) }]);
  });

  it('keeps a kfa scan out while the deployed scan holds it', async () => {
    const { historyTable } = await uniqueTables();
    await tokenFunctionRuns();

    await scanDeps(deployed, historyTable).lease.acquire('sfn-run', TTL, NOW);
    const byCli = await scanDeps(cli(SIM_APP.appKey), historyTable).lease.acquire('kfa-cli-run', TTL, NOW);

    expect(byCli).toMatchObject({ acquired: false, holder: 'sfn-run' });
  });

  it('does not keep out a scan with another app key', async () => {
    const { historyTable } = await uniqueTables();
    await tokenFunctionRuns();

    await scanDeps(deployed, historyTable).lease.acquire('sfn-run', TTL, NOW);
    const other = await scanDeps(cli('another-appkey'), historyTable).lease.acquire('kfa-cli-run', TTL, NOW);

    expect(other.acquired).toBe(true);
  });

  it('keeps the learned Kiwoom allowance under the same key for both, so the deployed scan starts from what a kfa scan learned', async () => {
    const { historyTable } = await uniqueTables();
    await tokenFunctionRuns();
    const cliConfig = loadConfig({ KIWOOM_BASE_URL: simulator.url, HISTORY_TABLE: historyTable, ...cli(SIM_APP.appKey) });
    const learnedByCli = new DynamoAllowanceStore(localClients().doc, historyTable, leaseScope(cliConfig, undefined, capturingLog()));
    await learnedByCli.save('ka10008', { ratePerSecond: 2, marginMs: 0 });

    const deployedConfig = loadConfig({ KIWOOM_BASE_URL: simulator.url, HISTORY_TABLE: historyTable, AWS_REGION: 'ap-northeast-2', ...deployed });
    const aws = { ...localClients(), secrets: new SecretsManagerClient({ region: 'ap-northeast-2' }), lambda: new LambdaClient({ region: 'ap-northeast-2' }) };
    const kiwoom = createKiwoom(deployedConfig, createTokenSource(deployedConfig, aws, capturingLog()), capturingLog(), aws, { dryRun: true });
    simulator.setRows('005930', storyRows([{ dt: '20250303', rateBp: 4880 }]));
    for await (const page of kiwoom.ka10008Pages('005930')) expect(page.rows).toHaveLength(1);

    expect(kiwoom.stats().learnedRatePerSecond).toEqual({ ka10008: 2 });
  });

  it('never writes the app key into the token secret', async () => {
    await tokenFunctionRuns();
    expect(tokenSecret).not.toContain(SIM_APP.appKey);
    expect(JSON.parse(tokenSecret ?? '{}')).toHaveProperty('app_key_id');
  });
});
