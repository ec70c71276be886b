// The one issuer of Kiwoom tokens for the app key: a new token may invalidate
// the previous one, so nothing else ever calls au10001 in a deployment. The
// schedule asks it to `ensure` a token with hours to spare before the scan;
// the scan asks it to `renew` after an 8005, naming the rejected token by its
// SHA-256 so the token never travels in an event or a log.
//
// Issuance is exclusive: an invocation that decides to issue takes the issuer
// lock (functions/kiwoom/token-lock.ts) and decides again once it holds it,
// so an `ensure` and a `renew` that overlap cannot leave a token the other
// one killed in the secret. The secret is written only when Kiwoom handed
// out a different token, and a token that is merely near expiry is asked for
// at most once per ten minutes; a rejected, expired or missing one is
// replaced at once.
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { createAwsClients } from '../aws-clients.ts';
import { loadConfig } from '../config.ts';
import { KiwoomHttp } from '../kiwoom/http.ts';
import type { LimiterClock, LimiterRegistry } from '../kiwoom/limiter.ts';
import type { KiwoomLogger } from '../kiwoom/logger.ts';
import { fromPowertools } from '../logging.ts';
import { realSleep } from '../kiwoom/retry.ts';
import {
  AppCredentialsNotSetError,
  TokenSecretStore,
  tokenSha256,
  type TokenFunctionResult,
} from '../kiwoom/secrets-token-source.ts';
import { TokenIssuerLock, TokenLockBusyError, tokenLockScope } from '../kiwoom/token-lock.ts';
import { describeError, tokenIssuer, type TokenIssuer } from '../kiwoom/token.ts';
import { appKeyId } from '../kiwoom/app-key-id.ts';
import type { AppCredentials, IssuedToken } from '../kiwoom/types.ts';

/** Renew when the stored token has less than this left (the hourly schedule's default). */
export const DEFAULT_MIN_VALID_MINUTES = 120;
/** A token that is only near expiry is asked for (and written) at most this often. */
export const MIN_ISSUE_INTERVAL_MS = 10 * 60_000;
/** The lock outlives the holder's invocation by this much at most. */
const LOCK_MARGIN_MS = 5_000;
/** Between looks at a lock another issuance holds. */
const LOCK_POLL_MS = 500;
/** Stop waiting for the lock when this little of the invocation is left. */
const LOCK_GIVE_UP_MS = 10_000;
/** The function's timeout (infra/constructs/token.ts), for callers without a Lambda context. */
const DEFAULT_REMAINING_MS = 60_000;

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
  lock: Pick<TokenIssuerLock, 'tryAcquire' | 'release'>;
  now: () => Date;
  /** How long this invocation may still run (Lambda's remaining time); the lock expires no later. */
  remainingMs?: () => number;
  /** Waits between looks at a busy lock. */
  sleep?: (ms: number) => Promise<void>;
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
  if (stored !== undefined && whyIssue(event, stored, null, deps.now()) === null) return kept(deps, event, stored);
  return issueExclusively(deps, event);
}

/** Under the issuer lock: decide again, issue, write only a different token. */
async function issueExclusively(deps: TokenDeps, event: TokenEvent): Promise<TokenRunResult> {
  const holder = randomUUID();
  const lastIssueAt = await acquireLock(deps, holder);
  let issuedAt: Date | null = null;
  try {
    // Whoever held the lock before may have replaced the token meanwhile.
    const stored = await deps.store.readToken();
    const reason = whyIssue(event, stored, lastIssueAt, deps.now());
    if (reason === null && stored !== undefined) return kept(deps, event, stored);
    const credentials = await appCredentials(deps, event, stored);
    if (!('appKey' in credentials)) return credentials;
    issuedAt = deps.now();
    const issued = await deps.issue(credentials);
    if (stored !== undefined && stored.token === issued.token && stored.expiresAt.getTime() === issued.expiresAt.getTime()) {
      deps.logger.info('Kiwoom handed back the stored token; secret left as it is', {
        action: event.action,
        reason,
        expires_at: issued.expiresAt.toISOString(),
      });
      return { renewed: false, expires_at: issued.expiresAt.toISOString() };
    }
    // The key's id rides along so the deployed scan scopes its lease as a CLI scan with the same key does.
    await deps.store.writeToken(issued, appKeyId(credentials.appKey));
    deps.metrics.addMetric('TokenIssued', MetricUnit.Count, 1);
    deps.logger.info('token issued', { action: event.action, reason, expires_at: issued.expiresAt.toISOString() });
    return { renewed: true, expires_at: issued.expiresAt.toISOString() };
  } finally {
    await deps.lock.release(holder, issuedAt).catch((error: unknown) => {
      deps.logger.warn('could not release the token lock; it expires by itself', { error: describeError(error) });
    });
  }
}

/** The app credentials, or the `not_configured` answer while the secret still holds the stack's placeholder. */
async function appCredentials(
  deps: TokenDeps,
  event: TokenEvent,
  stored: IssuedToken | undefined,
): Promise<AppCredentials | TokenRunResult> {
  try {
    return await deps.store.readAppCredentials();
  } catch (error) {
    if (!(error instanceof AppCredentialsNotSetError)) throw error;
    // Not yet configured is a state, not a failure: its own metric, so the
    // hourly check does not raise the errors alarm until the key is put.
    deps.metrics.addMetric('TokenNotConfigured', MetricUnit.Count, 1);
    deps.logger.warn('no token issued: the app credentials are not configured yet', { action: event.action, reason: error.message });
    return { renewed: false, expires_at: stored?.expiresAt.toISOString() ?? '', not_configured: true };
  }
}

/** Takes the issuer lock, waiting while another issuance holds it; when au10001 was last asked. */
async function acquireLock(deps: TokenDeps, holder: string): Promise<Date | null> {
  const remaining = deps.remainingMs ?? (() => DEFAULT_REMAINING_MS);
  const sleep = deps.sleep ?? realSleep;
  for (;;) {
    const attempt = await deps.lock.tryAcquire(holder, deps.now(), remaining() + LOCK_MARGIN_MS);
    if (attempt.acquired) return attempt.lastIssueAt;
    if (remaining() < LOCK_GIVE_UP_MS) {
      throw new TokenLockBusyError(
        `another token issuance holds the issuer lock until ${attempt.expiresAt.toISOString()}; gave up waiting`,
      );
    }
    deps.logger.info('another token issuance is under way; waiting for it', { until: attempt.expiresAt.toISOString() });
    await sleep(LOCK_POLL_MS);
  }
}

function kept(deps: TokenDeps, event: TokenEvent, stored: IssuedToken): TokenFunctionResult {
  deps.logger.info('token kept', { action: event.action, expires_at: stored.expiresAt.toISOString() });
  return { renewed: false, expires_at: stored.expiresAt.toISOString() };
}

/** Why a new token is needed, or null to keep the stored one. `lastIssueAt` is known under the lock. */
function whyIssue(event: TokenEvent, stored: IssuedToken | undefined, lastIssueAt: Date | null, now: Date): string | null {
  if (stored === undefined) return 'no stored token';
  if (stored.expiresAt.getTime() <= now.getTime()) return 'stored token expired';
  if (event.action === 'renew') {
    // Somebody already replaced the rejected token: issuing again would
    // invalidate that replacement for every other caller.
    return tokenSha256(stored.token) === event.rejected_token_sha256 ? 'stored token rejected' : null;
  }
  const minValidMs = (event.min_valid_minutes ?? DEFAULT_MIN_VALID_MINUTES) * 60_000;
  if (stored.expiresAt.getTime() - now.getTime() >= minValidMs) return null;
  // Kiwoom may hand out tokens with less left than asked for: asking again
  // every few minutes would only rewrite the secret.
  if (lastIssueAt !== null && now.getTime() - lastIssueAt.getTime() < MIN_ISSUE_INTERVAL_MS) return null;
  return 'stored token expires soon';
}

/** au10001 through its own limiter, with bounded retries on transient failures and on its own rate limit. */
export function issuerWithRetry(
  http: KiwoomHttp,
  logger: Pick<KiwoomLogger, 'warn'>,
  options: {
    attempts?: number;
    sleep?: (ms: number) => Promise<void>;
    random?: () => number;
    limiters?: LimiterRegistry;
    limiterClock?: Partial<LimiterClock>;
    /** Wall clock, to refuse a token that has already expired. */
    now?: () => Date;
  } = {},
): TokenIssuer {
  return tokenIssuer({
    http,
    logger: { ...logger, debug: () => undefined, info: () => undefined, error: () => undefined },
    retry: { attempts: options.attempts ?? 4, baseMs: 500, capMs: 8_000 },
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.limiters === undefined ? {} : { limiters: options.limiters }),
    ...(options.limiterClock === undefined ? {} : { limiterClock: options.limiterClock }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

// ── wiring, once per cold start ──────────────────────────────────────────────

const config = loadConfig();
const logger = new Logger({ logLevel: config.logLevel as LogLevel });
const log = fromPowertools(logger);
const metrics = new Metrics();
const clients = createAwsClients(config);
const tokenSecretArn = required(config.kiwoom.tokenSecretArn, 'KIWOOM_TOKEN_SECRET_ARN');
const deps: TokenDeps = {
  store: new TokenSecretStore({
    secrets: clients.secrets,
    tokenSecretArn,
    appSecretArn: required(config.kiwoom.appSecretArn, 'KIWOOM_APP_SECRET_ARN'),
  }),
  issue: issuerWithRetry(new KiwoomHttp({ baseUrl: config.kiwoom.baseUrl }), log),
  lock: new TokenIssuerLock(clients.doc, config.historyTable, tokenLockScope(tokenSecretArn)),
  now: () => new Date(),
  logger: log,
  metrics,
};

function required(value: string | undefined, variable: string): string {
  if (value === undefined) throw new TokenEventError(`${variable} is not set`);
  return value;
}

export const handler = middy((event: unknown, context: Context) =>
  run({ ...deps, remainingMs: () => context.getRemainingTimeInMillis() }, event),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
