// What the CLI calls a missing region or missing credentials, decided from
// the environment, the shared files and the SSO cache alone: no test here
// (and no check) makes a network call.
import { describe, expect, it } from 'vitest';
import { checkAwsSettings, type SsoToken } from '../../cli/aws-settings.ts';
import { loadAwsEnvironment, type AwsEnvironment } from '../../functions/config.ts';

const NOW = new Date('2025-03-04T09:00:00Z');
const FILES = { configFile: '/home/u/.aws/config', credentialsFile: '/home/u/.aws/credentials' };

function env(vars: Record<string, string> = {}): AwsEnvironment {
  return loadAwsEnvironment({ AWS_CONFIG_FILE: FILES.configFile, AWS_SHARED_CREDENTIALS_FILE: FILES.credentialsFile, ...vars });
}

const NO_FILES = { configFile: {}, credentialsFile: {} };
const noTokens = async (): Promise<SsoToken | undefined> => undefined;

async function check(
  environment: AwsEnvironment,
  files: Parameters<typeof checkAwsSettings>[1] = NO_FILES,
  tokens: Record<string, SsoToken> = {},
) {
  return checkAwsSettings(environment, files, async (id) => tokens[id], NOW);
}

const variables = (result: { problems: { variable: string }[] }) => result.problems.map((p) => p.variable);

describe('region', () => {
  it('is found in AWS_REGION', async () => {
    expect(variables(await check(env({ AWS_REGION: 'ap-northeast-2', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })))).toEqual([]);
  });

  it("is found in the profile's region", async () => {
    const files = { configFile: { work: { region: 'ap-northeast-2', aws_access_key_id: 'a', aws_secret_access_key: 's' } }, credentialsFile: {} };
    expect(variables(await check(env({ AWS_PROFILE: 'work' }), files))).toEqual([]);
  });

  it('is reported missing by name, with a hint', async () => {
    const { problems } = await check(env({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' }));
    expect(problems).toEqual([
      {
        variable: 'AWS_REGION',
        message:
          'is not set, and the AWS profile "default" names no region ' +
          '(hint: export AWS_REGION=ap-northeast-2 (Seoul), or run "aws configure set region ap-northeast-2")',
      },
    ]);
  });
});

describe('credentials', () => {
  const REGION = { AWS_REGION: 'ap-northeast-2' };

  it('come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY', async () => {
    expect(await check(env({ ...REGION, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' }))).toEqual({
      problems: [],
      localStackCredentials: false,
    });
  });

  it('are missing when only one of the key pair is set, naming the other', async () => {
    expect(variables(await check(env({ ...REGION, AWS_ACCESS_KEY_ID: 'a' })))).toEqual(['AWS_SECRET_ACCESS_KEY']);
  });

  it.each([
    ['static keys', { aws_access_key_id: 'a', aws_secret_access_key: 's' }],
    ['an assumed role', { role_arn: 'arn:aws:iam::1:role/r', source_profile: 'base' }],
    ['a credential process', { credential_process: '/usr/bin/vault-creds' }],
  ])('come from a profile with %s', async (_, profile) => {
    expect(variables(await check(env(REGION), { configFile: { default: profile }, credentialsFile: {} }))).toEqual([]);
  });

  it('come from the credentials file for the profile AWS_PROFILE names', async () => {
    const files = { configFile: {}, credentialsFile: { work: { aws_access_key_id: 'a', aws_secret_access_key: 's' } } };
    expect(variables(await check(env({ ...REGION, AWS_PROFILE: 'work' }), files))).toEqual([]);
  });

  it.each([
    ['ECS and CloudShell', { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.2/creds' }],
    ['a web identity (EKS, CI)', { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/r' }],
  ])('come from the variables %s sets', async (_, vars) => {
    expect(variables(await check(env({ ...REGION, ...vars })))).toEqual([]);
  });

  describe('from AWS SSO', () => {
    const files = {
      configFile: { dev: { sso_session: 'corp', sso_account_id: '1', sso_role_name: 'r' }, 'sso-session.corp': { sso_start_url: 'https://corp.awsapps.com/start' } },
      credentialsFile: {},
    };
    const dev = env({ ...REGION, AWS_PROFILE: 'dev' });

    it('count while the cached login is valid', async () => {
      expect(variables(await check(dev, files, { corp: { expiresAt: '2025-03-04T17:00:00Z' } }))).toEqual([]);
    });

    it('count when an expired login can be refreshed', async () => {
      expect(variables(await check(dev, files, { corp: { expiresAt: '2025-03-01T00:00:00Z', refreshToken: 'r' } }))).toEqual([]);
    });

    it('are missing when the login has expired, saying how to log in', async () => {
      const { problems } = await check(dev, files, { corp: { expiresAt: '2025-03-04T08:59:59Z' } });
      expect(problems).toEqual([
        { variable: 'AWS_PROFILE', message: 'profile "dev" signs in with AWS SSO, and its login is expired (hint: run "aws sso login --profile dev")' },
      ]);
    });

    it('are missing when there is no cached login', async () => {
      expect((await check(dev, files)).problems[0]?.message).toContain('its login is not in the SSO cache');
    });
  });

  it('are missing when nothing provides them, naming the variables, with a hint', async () => {
    const { problems } = await check(env(REGION));
    expect(problems).toEqual([
      {
        variable: 'AWS_ACCESS_KEY_ID',
        message: expect.stringMatching(
          /^no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and the AWS profile "default" has none in \/home\/u\/\.aws\/config or \/home\/u\/\.aws\/credentials \(hint: run "aws configure"/,
        ),
      },
    ]);
  });

  it('reports a profile AWS_PROFILE names that no file has', async () => {
    expect(variables(await check(env({ ...REGION, AWS_PROFILE: 'gone' })))).toEqual(['AWS_PROFILE']);
  });

  it('do not come from the key pair when AWS_PROFILE is set, as the SDK then skips it', async () => {
    const files = { configFile: { work: { region: 'ap-northeast-2' } }, credentialsFile: {} };
    const { problems } = await check(env({ AWS_PROFILE: 'work', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' }), files);
    expect(problems).toEqual([
      { variable: 'AWS_PROFILE', message: expect.stringContaining('AWS_PROFILE is set, so the SDK does not read AWS_ACCESS_KEY_ID') },
    ]);
  });

  it('are dummy ones for a local stack: every endpoint overridden to loopback', async () => {
    const local = env({ ...REGION, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_ENDPOINT_URL_SNS: 'http://localhost:4566' });
    expect(await check(local)).toEqual({ problems: [], localStackCredentials: true });
  });

  it('are still required when an endpoint override leaves loopback', async () => {
    const remote = env({ ...REGION, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000', AWS_ENDPOINT_URL_SNS: 'https://sns.example.com' });
    expect(variables(await check(remote))).toEqual(['AWS_ACCESS_KEY_ID']);
  });

  it('never asks for the SSO cache unless a profile signs in with SSO', async () => {
    let asked = 0;
    await checkAwsSettings(env(REGION), NO_FILES, async () => ((asked += 1), undefined), NOW);
    await checkAwsSettings(env(REGION), NO_FILES, noTokens, NOW);
    expect(asked).toBe(0);
  });
});

describe('loadAwsEnvironment', () => {
  it('keeps whether the keys are set, never their values', () => {
    const read = loadAwsEnvironment({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'very-secret' });
    expect(JSON.stringify(read)).not.toMatch(/AKIAEXAMPLE|very-secret/);
    expect([read.accessKeyId, read.secretAccessKey]).toEqual([true, true]);
  });
});
