// The only reader of process.env. Every setting is parsed and checked here,
// once, and every problem is reported by the variable's name before any work
// starts; everything else receives a typed Config.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

export const LIVE_HOST = 'https://api.kiwoom.com';
export const MOCK_HOST = 'https://mockapi.kiwoom.com';

export interface KiwoomSettings {
  baseUrl: string;
  /** Requests per second per API id we allow ourselves (the limiter also learns lower). */
  rateLimit: number;
  /** Local runs: credentials straight from the environment. */
  appKey?: string;
  secretKey?: string;
  /** Deployed: the app credentials secret (recovery only) and the token secret. */
  appSecretArn?: string;
  tokenSecretArn?: string;
  /** Deployed: the one token issuer, asked for a new token after an 8005. */
  tokenFunctionName?: string;
}

/** The `deliver` function's settings (Telegram/Slack/Discord/webhook channels). */
export interface DeliverSettings {
  /**
   * DELIVER_LOCAL_STACK=true, set only by `npm start` and the tests: channels
   * may target plain-http loopback fakes and take secrets from KFA_CHANNEL_*
   * variables. Never on by default, never in a deployment.
   */
  localStack: boolean;
  /** Telegram Bot API base URL (a local fake in tests and `npm start`). */
  telegramApiUrl: string;
  /** Local stack only: KFA_CHANNEL_* variables, for channel items that name one instead of a secret. */
  localSecrets: Record<string, string>;
}

export interface Config {
  kiwoom: KiwoomSettings;
  deliver: DeliverSettings;
  watchlistTable: string;
  historyTable: string;
  alertTopicArn?: string;
  region?: string;
  /** Rows for the current Korean day count only after this time (KST, "HH:MM"): intraday figures are provisional. */
  dayCutoffKst: string;
  /** At most this many trading days per code per run; the rest waits for the next run. */
  maxDaysPerCode: number;
  /** How long a scan's lease lasts before another scan may take over (renewed while working). */
  leaseTtlMs: number;
  logLevel: string;
  /** `each`: one SNS message per alert; `digest`: one per scan run with all of its alerts. */
  alertDelivery: AlertDelivery;
}

export const ALERT_DELIVERIES = ['each', 'digest'] as const;
export type AlertDelivery = (typeof ALERT_DELIVERIES)[number];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `configuration error: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`,
    );
  }
}

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const positiveNumber = (fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallback;
      const n = Number(s);
      if (!Number.isFinite(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a positive number, got "${s}"` });
        return z.NEVER;
      }
      return n;
    });

const envSchema = z.object({
  KIWOOM_BASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      const value = s === undefined || s === '' ? LIVE_HOST : s.replace(/\/+$/, '');
      try {
        const url = new URL(value);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be an http(s) URL, got "${value}"` });
        return z.NEVER;
      }
      return value;
    }),
  KIWOOM_APPKEY: optionalText,
  KIWOOM_SECRETKEY: optionalText,
  KIWOOM_RATE_LIMIT: z.string().trim().optional(),
  KIWOOM_APP_SECRET_ARN: optionalText,
  KIWOOM_TOKEN_SECRET_ARN: optionalText,
  TOKEN_FUNCTION_NAME: optionalText,
  WATCHLIST_TABLE: optionalText,
  HISTORY_TABLE: optionalText,
  ALERT_TOPIC_ARN: optionalText.refine((s) => s === undefined || s.startsWith('arn:'), {
    message: 'must be an SNS topic ARN (arn:aws:sns:…)',
  }),
  AWS_REGION: optionalText,
  SCAN_DAY_CUTOFF: z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      const value = s === undefined || s === '' ? '18:00' : s;
      const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value);
      if (!m) {
        ctx.addIssue({ code: 'custom', message: `must be HH:MM (KST), got "${value}"` });
        return z.NEVER;
      }
      return value;
    }),
  SCAN_MAX_DAYS: positiveNumber(20).refine((n) => Number.isInteger(n), 'must be a whole number'),
  SCAN_LEASE_TTL_SECONDS: positiveNumber(120),
  LOG_LEVEL: optionalText,
  DELIVER_LOCAL_STACK: z
    .string()
    .trim()
    .optional()
    .transform((s, ctx) => {
      const value = (s ?? '').toLowerCase();
      if (value === '' || value === 'false' || value === '0') return false;
      if (value === 'true' || value === '1') return true;
      ctx.addIssue({ code: 'custom', message: `must be "true" or "false", got "${s}"` });
      return z.NEVER;
    }),
  TELEGRAM_API_URL: optionalText.refine((s) => s === undefined || /^https?:\/\/[^/]+/.test(s), {
    message: 'must be an http(s) URL such as https://api.telegram.org',
  }),
  ALERT_DELIVERY: z
    .string()
    .trim()
    .optional()
    .transform((s, ctx): AlertDelivery => {
      const value = s === undefined || s === '' ? 'each' : s.toLowerCase();
      if (!(ALERT_DELIVERIES as readonly string[]).includes(value)) {
        ctx.addIssue({ code: 'custom', message: `must be "each" or "digest", got "${s}"` });
        return z.NEVER;
      }
      return value as AlertDelivery;
    }),
});

/** Reads and checks every setting; throws one ConfigError naming all problems. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  // The terms of service give the mock host 1 request per second.
  const defaultRate = e.KIWOOM_BASE_URL.startsWith(MOCK_HOST) ? 1 : 5;
  const rate = positiveNumber(defaultRate).safeParse(e.KIWOOM_RATE_LIMIT);
  if (!rate.success) {
    throw new ConfigError([
      { variable: 'KIWOOM_RATE_LIMIT', message: rate.error.issues[0]?.message ?? 'invalid' },
    ]);
  }
  return {
    deliver: {
      localStack: e.DELIVER_LOCAL_STACK,
      telegramApiUrl: (e.TELEGRAM_API_URL ?? TELEGRAM_API_URL).replace(/\/+$/, ''),
      localSecrets: e.DELIVER_LOCAL_STACK ? localChannelSecrets(env) : {},
    },
    kiwoom: {
      baseUrl: e.KIWOOM_BASE_URL,
      rateLimit: rate.data,
      appKey: e.KIWOOM_APPKEY,
      secretKey: e.KIWOOM_SECRETKEY,
      appSecretArn: e.KIWOOM_APP_SECRET_ARN,
      tokenSecretArn: e.KIWOOM_TOKEN_SECRET_ARN,
      tokenFunctionName: e.TOKEN_FUNCTION_NAME,
    },
    watchlistTable: e.WATCHLIST_TABLE ?? 'kfa-watchlist',
    historyTable: e.HISTORY_TABLE ?? 'kfa-history',
    alertTopicArn: e.ALERT_TOPIC_ARN,
    region: e.AWS_REGION,
    dayCutoffKst: e.SCAN_DAY_CUTOFF,
    maxDaysPerCode: e.SCAN_MAX_DAYS,
    leaseTtlMs: e.SCAN_LEASE_TTL_SECONDS * 1000,
    logLevel: e.LOG_LEVEL ?? 'INFO',
    alertDelivery: e.ALERT_DELIVERY,
  };
}

export const TELEGRAM_API_URL = 'https://api.telegram.org';

/** Local-stack channel secrets: only this prefix, so a channel item can never name AWS_SECRET_ACCESS_KEY. */
export const LOCAL_CHANNEL_SECRET_PREFIX = 'KFA_CHANNEL_';

function localChannelSecrets(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[0].startsWith(LOCAL_CHANNEL_SECRET_PREFIX) && e[1] !== undefined),
  );
}

/**
 * The settings a scan cannot do without, checked up front so the run fails
 * once, by name, instead of once per code.
 */
export function requireScanSettings(config: Config, options: { publish: boolean }): void {
  const problems: { variable: string; message: string }[] = [];
  const k = config.kiwoom;
  const fromSecrets = k.tokenSecretArn !== undefined;
  if (!fromSecrets) {
    if (!k.appKey) problems.push({ variable: 'KIWOOM_APPKEY', message: 'is not set' });
    if (!k.secretKey) problems.push({ variable: 'KIWOOM_SECRETKEY', message: 'is not set' });
  }
  if (options.publish && !config.alertTopicArn) {
    problems.push({ variable: 'ALERT_TOPIC_ARN', message: 'is not set (use --dry-run to scan without publishing)' });
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * The AWS SDK's own settings, read for the CLI's check before it makes any
 * AWS call (the SDK itself would only say "Region is missing"). Secrets are
 * never kept: only whether the variables are set.
 */
export interface AwsEnvironment {
  /** AWS_REGION (the JavaScript SDK reads no other region variable). */
  region?: string;
  /** AWS_PROFILE; the SDK uses "default" without it. */
  profile?: string;
  /** Which of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set. */
  accessKeyId: boolean;
  secretAccessKey: boolean;
  /** AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (EKS, CI with OIDC). */
  webIdentity: boolean;
  /** AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI (ECS, CloudShell). */
  containerCredentials: boolean;
  /** AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> that are set: variable → URL. */
  endpoints: Record<string, string>;
  /** The shared files the SDK reads (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else under ~/.aws). */
  configFile: string;
  credentialsFile: string;
}

export function loadAwsEnvironment(env: Record<string, string | undefined> = process.env): AwsEnvironment {
  const set = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const endpoints: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (/^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(name) && value?.trim()) endpoints[name] = value.trim();
  }
  return {
    region: set('AWS_REGION'),
    profile: set('AWS_PROFILE'),
    accessKeyId: set('AWS_ACCESS_KEY_ID') !== undefined,
    secretAccessKey: set('AWS_SECRET_ACCESS_KEY') !== undefined,
    webIdentity: set('AWS_WEB_IDENTITY_TOKEN_FILE') !== undefined && set('AWS_ROLE_ARN') !== undefined,
    containerCredentials:
      set('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI') !== undefined || set('AWS_CONTAINER_CREDENTIALS_FULL_URI') !== undefined,
    endpoints,
    configFile: set('AWS_CONFIG_FILE') ?? join(homedir(), '.aws', 'config'),
    credentialsFile: set('AWS_SHARED_CREDENTIALS_FILE') ?? join(homedir(), '.aws', 'credentials'),
  };
}
