// Before any AWS call, the CLI checks that the SDK will find a region and
// credentials, and reports what is missing the way `kfa scan` reports its
// own variables: by name, with a hint, exit 2. The check follows the SDK's
// credential chain as far as it can go without the network: environment
// variables, the shared config and credentials files, the SSO token cache,
// and the variables ECS, CloudShell and EKS set. An EC2 instance role is the
// one source it cannot see (asking the instance metadata service is a
// network call), so it says how to export those credentials instead.
import {
  getSSOTokenFromFile,
  loadSharedConfigFiles,
  type ParsedIniData,
  type Profile,
  type SharedConfigFiles,
} from '@smithy/core/config';
import { ConfigError, type AwsEnvironment } from '../functions/config.ts';

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Signs requests to a local stack (DynamoDB Local, fauxqs), which accepts any credentials. */
export const LOCAL_STACK_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface AwsSettingsCheck {
  problems: ConfigProblem[];
  /** Every endpoint is overridden to loopback and no credentials were found: sign with dummy ones. */
  localStackCredentials: boolean;
}

/** A cached SSO login, as the SDK stores it under ~/.aws/sso/cache. */
export interface SsoToken {
  expiresAt?: string;
  refreshToken?: string;
}

export type SsoTokenReader = (id: string) => Promise<SsoToken | undefined>;

const REGION_HINT = 'export AWS_REGION=ap-northeast-2 (Seoul), or run "aws configure set region ap-northeast-2"';

const CREDENTIALS_HINT =
  'run "aws configure" (or "aws sso login --profile <name>") and export AWS_PROFILE=<name>; ' +
  'on an EC2 instance role, eval "$(aws configure export-credentials --format env)"; ' +
  'for a local stack, "npm run local" prints the AWS_ENDPOINT_URL_* variables to export';

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

function profileOf(files: SharedConfigFiles, name: string): Profile | undefined {
  const fromConfig = files.configFile[name];
  const fromCredentials = files.credentialsFile[name];
  if (!fromConfig && !fromCredentials) return undefined;
  // As the SDK merges them: the credentials file wins where both set a key.
  return { ...fromConfig, ...fromCredentials };
}

/** Where a profile's credentials come from, if it names a source at all. */
function profileSource(profile: Profile): 'keys' | 'assume-role' | 'process' | 'web-identity' | 'sso' | 'login' | undefined {
  if (profile.aws_access_key_id && profile.aws_secret_access_key) return 'keys';
  if (profile.role_arn && (profile.source_profile || profile.credential_source)) return 'assume-role';
  if (profile.credential_process) return 'process';
  if (profile.role_arn && profile.web_identity_token_file) return 'web-identity';
  if (profile.sso_session || profile.sso_start_url) return 'sso';
  if (profile.login_session) return 'login';
  return undefined;
}

/** An SSO profile counts when its cached login is still valid, or can be refreshed without a new login. */
async function ssoProblem(
  profileName: string,
  profile: Profile,
  config: ParsedIniData,
  readToken: SsoTokenReader,
  now: Date,
): Promise<ConfigProblem | undefined> {
  const session = profile.sso_session;
  const startUrl = session ? config[`sso-session.${session}`]?.sso_start_url : profile.sso_start_url;
  const id = session ?? startUrl;
  const token = id ? await readToken(id).catch(() => undefined) : undefined;
  const expired = token?.expiresAt === undefined || !(Date.parse(token.expiresAt) > now.getTime());
  if (token && (!expired || token.refreshToken)) return undefined;
  return {
    variable: 'AWS_PROFILE',
    message:
      `profile "${profileName}" signs in with AWS SSO, and its login is ${token ? 'expired' : 'not in the SSO cache'} ` +
      `(hint: run "aws sso login --profile ${profileName}")`,
  };
}

/**
 * What is missing for the SDK to make a call, decided locally. `files` are
 * the parsed shared config and credentials files; `readToken` looks up a
 * cached SSO login by session name or start URL.
 */
export async function checkAwsSettings(
  env: AwsEnvironment,
  files: SharedConfigFiles,
  readToken: SsoTokenReader,
  now: Date,
): Promise<AwsSettingsCheck> {
  const problems: ConfigProblem[] = [];
  const profileName = env.profile ?? 'default';
  const profile = profileOf(files, profileName);
  const where = `${env.configFile} or ${env.credentialsFile}`;
  const done = (localStackCredentials = false): AwsSettingsCheck => ({ problems, localStackCredentials });

  if (env.region === undefined && !profile?.region) {
    problems.push({
      variable: 'AWS_REGION',
      message: `is not set, and the AWS profile "${profileName}" names no region (hint: ${REGION_HINT})`,
    });
  }

  // As the SDK does: with AWS_PROFILE set, the key pair in the environment is skipped.
  const envKeysCount = env.profile === undefined;
  if (envKeysCount && env.accessKeyId !== env.secretAccessKey) {
    const [set, unset] = env.accessKeyId ? ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] : ['AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'];
    problems.push({ variable: unset, message: `is not set, but ${set} is (hint: export both, or neither)` });
    return done();
  }
  if ((envKeysCount && env.accessKeyId) || env.webIdentity || env.containerCredentials) return done();

  const source = profile ? profileSource(profile) : undefined;
  if (source === 'sso' && profile) {
    const sso = await ssoProblem(profileName, profile, files.configFile, readToken, now);
    if (sso) problems.push(sso);
    return done();
  }
  if (source !== undefined) return done();

  const endpoints = Object.values(env.endpoints);
  if (endpoints.length > 0 && endpoints.every(isLoopback)) return done(true);

  if (env.profile !== undefined && profile === undefined) {
    problems.push({
      variable: 'AWS_PROFILE',
      message: `names profile "${env.profile}", which is in neither ${where} (hint: "aws configure --profile ${env.profile}", or unset AWS_PROFILE)`,
    });
    return done();
  }
  const keys = envKeysCount
    ? 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and'
    : 'AWS_PROFILE is set, so the SDK does not read AWS_ACCESS_KEY_ID, and';
  problems.push({
    variable: envKeysCount ? 'AWS_ACCESS_KEY_ID' : 'AWS_PROFILE',
    message: `no AWS credentials: ${keys} the AWS profile "${profileName}" has none in ${where} (hint: ${CREDENTIALS_HINT})`,
  });
  return done();
}

/**
 * The check against the real files and SSO cache. Throws one ConfigError
 * (exit 2) naming every missing setting; returns whether the clients should
 * sign with local-stack credentials.
 */
export async function requireAwsSettings(env: AwsEnvironment, now = new Date()): Promise<{ localStackCredentials: boolean }> {
  const files = await loadSharedConfigFiles({ filepath: env.credentialsFile, configFilepath: env.configFile, ignoreCache: true });
  const check = await checkAwsSettings(env, files, async (id) => (await getSSOTokenFromFile(id)) as SsoToken, now);
  if (check.problems.length > 0) throw new ConfigError(check.problems);
  return { localStackCredentials: check.localStackCredentials };
}
