// The one issuer of Kiwoom tokens for the app key: a new token may invalidate
// the previous one, so nothing else ever calls au10001 in a deployment. The
// schedule asks it to `ensure` a token with hours to spare before the scan;
// the scan asks it to `renew` after an 8005, naming the rejected token by its
// SHA-256 so the token never travels in an event or a log.
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { z } from 'zod';
import { createAwsClients } from '../aws-clients.ts';
import { loadConfig } from '../config.ts';
import { KiwoomHttp } from '../kiwoom/http.ts';
import type { KiwoomLogger } from '../kiwoom/logger.ts';
import { fromPowertools } from '../logging.ts';
import { backoffMs, realSleep, retryPolicy } from '../kiwoom/retry.ts';
import {
  AppCredentialsNotSetError,
  TokenSecretStore,
  tokenSha256,
  type TokenFunctionResult,
} from '../kiwoom/secrets-token-source.ts';
import { describeError, issueToken } from '../kiwoom/token.ts';
import type { AppCredentials, IssuedToken } from '../kiwoom/types.ts';

/** Renew when the stored token has less than this left (the hourly schedule's default). */
export const DEFAULT_MIN_VALID_MINUTES = 120;

const eventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('ensure'), min_valid_minutes: z.number().int().positive().max(1440).optional() }),
  z.object({ action: z.literal('renew'), rejected_token_sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
]);
export type TokenEvent = z.infer<typeof eventSchema>;

export class TokenEventError extends Error {
  override readonly name = 'TokenEventError';
}

export interface TokenDeps {
  store: Pick<TokenSecretStore, 'readToken' | 'writeToken' | 'readAppCredentials'>;
  issue: (credentials: AppCredentials) => Promise<IssuedToken>;
  now: () => Date;
  logger: Pick<KiwoomLogger, 'info' | 'warn'>;
  metrics: Pick<Metrics, 'addMetric'>;
}

/**
 * Before the app credentials are put, the answer says so instead of failing
 * (`not_configured`, with the stored token's expiry, or '' when there is none).
 */
export type TokenRunResult = TokenFunctionResult & { not_configured?: true };

export async function run(deps: TokenDeps, input: unknown): Promise<TokenRunResult> {
  const parsed = eventSchema.safeParse(input);
  if (!parsed.success) {
    throw new TokenEventError(`expected {action:"ensure"} or {action:"renew",rejected_token_sha256}: ${parsed.error.message}`);
  }
  const event = parsed.data;
  const stored = await deps.store.readToken();
  const reason = whyIssue(event, stored, deps.now());
  if (reason === null && stored !== undefined) {
    deps.logger.info('token kept', { action: event.action, expires_at: stored.expiresAt.toISOString() });
    return { renewed: false, expires_at: stored.expiresAt.toISOString() };
  }
  let credentials: AppCredentials;
  try {
    credentials = await deps.store.readAppCredentials();
  } catch (error) {
    if (!(error instanceof AppCredentialsNotSetError)) throw error;
    // Not yet configured is a state, not a failure: its own metric, so the
    // hourly check does not raise the errors alarm until the key is put.
    deps.metrics.addMetric('TokenNotConfigured', MetricUnit.Count, 1);
    deps.logger.warn('no token issued: the app credentials are not configured yet', { action: event.action, reason: error.message });
    return { renewed: false, expires_at: stored?.expiresAt.toISOString() ?? '', not_configured: true };
  }
  const issued = await deps.issue(credentials);
  await deps.store.writeToken(issued);
  deps.metrics.addMetric('TokenIssued', MetricUnit.Count, 1);
  deps.logger.info('token issued', { action: event.action, reason, expires_at: issued.expiresAt.toISOString() });
  return { renewed: true, expires_at: issued.expiresAt.toISOString() };
}

/** Why a new token is needed, or null to keep the stored one. */
function whyIssue(event: TokenEvent, stored: IssuedToken | undefined, now: Date): string | null {
  if (stored === undefined) return 'no stored token';
  if (event.action === 'renew') {
    // Somebody already replaced the rejected token: issuing again would
    // invalidate that replacement for every other caller.
    return tokenSha256(stored.token) === event.rejected_token_sha256 ? 'stored token rejected' : null;
  }
  const minValidMs = (event.min_valid_minutes ?? DEFAULT_MIN_VALID_MINUTES) * 60_000;
  return stored.expiresAt.getTime() - now.getTime() < minValidMs ? 'stored token expires soon' : null;
}

/** au10001 with bounded retries on transient failures and on its own rate limit. */
export function issuerWithRetry(
  http: KiwoomHttp,
  logger: Pick<KiwoomLogger, 'warn'>,
  options: { attempts?: number; sleep?: (ms: number) => Promise<void>; random?: () => number } = {},
): (credentials: AppCredentials) => Promise<IssuedToken> {
  const policy = retryPolicy({ attempts: options.attempts ?? 4, baseMs: 500, capMs: 8_000 });
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  return async (credentials) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await issueToken(http, credentials);
      } catch (error) {
        const retryable = error instanceof Error && 'retryable' in error && error.retryable === true;
        if (!retryable || attempt >= policy.attempts) throw error;
        const delayMs = backoffMs(policy, attempt, random);
        logger.warn('token issuance failed; retrying', { error: describeError(error), attempt, delayMs });
        await sleep(delayMs);
      }
    }
  };
}

// ── wiring, once per cold start ──────────────────────────────────────────────

const config = loadConfig();
const logger = new Logger({ logLevel: config.logLevel as LogLevel });
const log = fromPowertools(logger);
const metrics = new Metrics();
const clients = createAwsClients(config);
const deps: TokenDeps = {
  store: new TokenSecretStore({
    secrets: clients.secrets,
    tokenSecretArn: required(config.kiwoom.tokenSecretArn, 'KIWOOM_TOKEN_SECRET_ARN'),
    appSecretArn: required(config.kiwoom.appSecretArn, 'KIWOOM_APP_SECRET_ARN'),
  }),
  issue: issuerWithRetry(new KiwoomHttp({ baseUrl: config.kiwoom.baseUrl }), log),
  now: () => new Date(),
  logger: log,
  metrics,
};

function required(value: string | undefined, variable: string): string {
  if (value === undefined) throw new TokenEventError(`${variable} is not set`);
  return value;
}

export const handler = middy((event: unknown) => run(deps, event))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
