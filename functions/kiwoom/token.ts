// Bearer tokens (au10001). A new token may invalidate the previous one for
// the same app key, so there is one issuer per app key: concurrent callers
// share one in-flight request, and a rejected token is replaced only if
// nobody has replaced it already. Otherwise twenty calls that meet an 8005
// together would issue twenty tokens, each killing the one before.
//
// Near expiry Kiwoom may hand back the same token with minutes left; asking
// again on every call would only repeat that. So a token is used until it
// really expires, and au10001 is asked at most once per
// MIN_REISSUE_INTERVAL_MS for a token that is merely close to expiry. Token
// calls go through their own limiter (au10001 has its own quota) and their
// own retries; when issuance still fails, every code would fail the same way,
// so the error stops the run (TokenUnavailableError).
import type { AppCredentials, IssuedToken, TokenSource } from './types.ts';
import { raceAbort } from './abort.ts';
import {
  CallAbortedError,
  KiwoomError,
  RateLimitedError,
  TokenUnavailableError,
  TransientError,
  classifyAnswer,
  redact,
} from './errors.ts';
import { KiwoomHttp, type KiwoomHttpOptions } from './http.ts';
import { LimiterRegistry, type LimiterClock } from './limiter.ts';
import { silentLogger, type KiwoomLogger } from './logger.ts';
import { backoffMs, realSleep, retryPolicy, type RetryOptions } from './retry.ts';

export const TOKEN_API_ID = 'au10001';
export const TOKEN_PATH = '/oauth2/token';
/** The vendor's own client refreshes ten minutes before `expires_dt`. */
export const REFRESH_BEFORE_MS = 10 * 60_000;
/** At most one au10001 call per this long for a token that is only close to expiry. */
export const MIN_REISSUE_INTERVAL_MS = 5 * 60_000;
/**
 * Token calls per second per app key we allow ourselves. au10001 has its own
 * quota (about 2/s measured on the mock host); tokens are needed rarely.
 */
export const TOKEN_RATE_LIMIT = 1;

const KST_OFFSET_MS = 9 * 3_600_000;

/** The au10001 limiters of this process, one per app key, apart from the data calls' registry. */
export const sharedTokenLimiters = new LimiterRegistry();

/** `expires_dt` (`YYYYMMDDHHmmss`, Korea Standard Time, UTC+9, no DST) as an instant. */
export function parseExpiresDt(expiresDt: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(expiresDt.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s) - KST_OFFSET_MS;
  const check = new Date(utc + KST_OFFSET_MS);
  // Date.UTC rolls 20241332 over into the next year; Kiwoom never means that.
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return new Date(utc);
}

/**
 * One au10001 call, no limiter, no retry. Throws BadCredentialsError
 * (8001/8002/8011/8012), ModeMismatchError, IpNotAllowedError,
 * RateLimitedError (the token call has its own quota), TransientError, or
 * CallAbortedError when `signal` aborts.
 */
export async function issueToken(http: KiwoomHttp, credentials: AppCredentials, signal?: AbortSignal): Promise<IssuedToken> {
  const secrets = [credentials.appKey, credentials.secretKey];
  const answer = await http.post({
    path: TOKEN_PATH,
    apiId: TOKEN_API_ID,
    headers: {},
    body: { grant_type: 'client_credentials', appkey: credentials.appKey, secretkey: credentials.secretKey },
    secrets,
    ...(signal === undefined ? {} : { signal }),
  });
  const error = classifyAnswer({ httpStatus: answer.httpStatus, body: answer.body, apiId: TOKEN_API_ID, redact: secrets });
  if (error) throw error;
  const body = answer.body as Record<string, unknown>;
  const token = body['token'];
  const tokenType = body['token_type'];
  const expiresAt = typeof body['expires_dt'] === 'string' ? parseExpiresDt(body['expires_dt']) : null;
  const problem =
    typeof token !== 'string' || token.trim() === ''
      ? 'no token'
      : typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer'
        ? `token_type ${JSON.stringify(redact(String(tokenType), [...secrets, token]))} is not bearer`
        : expiresAt === null
          ? `expires_dt ${JSON.stringify(redact(String(body['expires_dt']), [...secrets, token]))} is not YYYYMMDDHHmmss`
          : null;
  if (problem !== null || typeof token !== 'string' || expiresAt === null) {
    throw new TransientError(`garbage token answer: ${problem ?? 'unreadable'}`, {
      apiId: TOKEN_API_ID,
      httpStatus: answer.httpStatus,
      category: 0,
    });
  }
  return { token, expiresAt };
}

export type TokenIssuer = (credentials: AppCredentials, signal?: AbortSignal) => Promise<IssuedToken>;

export interface TokenIssuerOptions {
  http: KiwoomHttp;
  /** The au10001 limiter lives here, per app key (default: this process's token limiters). */
  limiters?: LimiterRegistry;
  /** au10001 calls per second we allow ourselves (default TOKEN_RATE_LIMIT). */
  rateLimit?: number;
  /** Monotonic clock and sleep for the limiter (default the real ones). */
  limiterClock?: Partial<LimiterClock>;
  /** Retries of the token call on transient failures and its own rate limit. */
  retry?: RetryOptions;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Wall clock, to refuse a token that has already expired. */
  now?: () => Date;
  logger?: KiwoomLogger;
}

/**
 * au10001 through its own limiter, with bounded retries on transient failures
 * and on its own rate limit (learning that allowance as ka10008 does). The
 * local token source and the token function both issue through this.
 */
export function tokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const policy = retryPolicy(options.retry);
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const limiters = options.limiters ?? sharedTokenLimiters;
  return async (credentials, signal) => {
    const limiter = limiters.limiterFor(credentials.appKey, TOKEN_API_ID, {
      ratePerSecond: options.rateLimit ?? TOKEN_RATE_LIMIT,
      ...(options.limiterClock === undefined ? {} : { clock: options.limiterClock }),
    });
    for (let attempt = 1; ; attempt += 1) {
      let startedAt = 0;
      try {
        startedAt = await limiter.acquire(signal).catch((error: unknown) => {
          throw signal?.aborted ? new CallAbortedError({ apiId: TOKEN_API_ID }) : error;
        });
        const issued = await issueToken(options.http, credentials, signal);
        if (issued.expiresAt.getTime() <= now().getTime()) {
          throw new TransientError(`au10001 answered with a token that has already expired (${issued.expiresAt.toISOString()})`, {
            apiId: TOKEN_API_ID,
          });
        }
        return issued;
      } catch (error) {
        if (error instanceof RateLimitedError) limiter.onRateLimited(startedAt, error.allowance);
        const retryable = error instanceof KiwoomError && error.retryable;
        if (!retryable || attempt >= policy.attempts) throw error;
        const delayMs = backoffMs(policy, attempt, random);
        logger.warn('kiwoom token issuance failed; retrying', { error: describeError(error), attempt, delayMs });
        await sleep(delayMs);
      }
    }
  };
}

export interface IssuingTokenSourceOptions {
  http: KiwoomHttp | KiwoomHttpOptions;
  credentials: AppCredentials;
  now?: () => Date;
  refreshBeforeMs?: number;
  /** At most one au10001 call per this long for a token that is only close to expiry. */
  minReissueIntervalMs?: number;
  /** Retries of the token call itself on transient failures and its own rate limit. */
  retry?: RetryOptions;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: KiwoomLogger;
  /** Where the au10001 limiter lives (default: this process's token limiters). */
  limiters?: LimiterRegistry;
  /** Monotonic clock and sleep for the au10001 limiter. */
  limiterClock?: Partial<LimiterClock>;
  /** au10001 calls per second (default TOKEN_RATE_LIMIT). */
  tokenRateLimit?: number;
}

/** Issues tokens from configured app credentials, caches them, and renews without storms. */
export class IssuingTokenSource implements TokenSource {
  readonly #issue: TokenIssuer;
  readonly #credentials: AppCredentials;
  readonly #now: () => Date;
  readonly #refreshBeforeMs: number;
  readonly #minReissueMs: number;
  readonly #logger: KiwoomLogger;
  #current: IssuedToken | undefined;
  #lastIssueAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<IssuedToken> | undefined;
  #issued = 0;

  constructor(options: IssuingTokenSourceOptions) {
    this.#credentials = { appKey: options.credentials.appKey, secretKey: options.credentials.secretKey };
    this.#now = options.now ?? (() => new Date());
    this.#refreshBeforeMs = options.refreshBeforeMs ?? REFRESH_BEFORE_MS;
    this.#minReissueMs = options.minReissueIntervalMs ?? MIN_REISSUE_INTERVAL_MS;
    this.#logger = options.logger ?? silentLogger;
    this.#issue = tokenIssuer({
      http: options.http instanceof KiwoomHttp ? options.http : new KiwoomHttp(options.http),
      now: this.#now,
      logger: this.#logger,
      ...pick(options, ['retry', 'sleep', 'random', 'limiters', 'limiterClock']),
      ...(options.tokenRateLimit === undefined ? {} : { rateLimit: options.tokenRateLimit }),
    });
  }

  /** Tokens this source has issued so far. */
  get issuedCount(): number {
    return this.#issued;
  }

  async get(signal?: AbortSignal): Promise<string> {
    const current = this.#current;
    if (current !== undefined && this.#stillServes(current)) return current.token;
    return (await raceAbort(this.#issueOnce(), signal)).token;
  }

  async renew(rejected: string, signal?: AbortSignal): Promise<string> {
    // An issuance under way is the replacement (even should Kiwoom hand back
    // the same value: asking again would only repeat that).
    if (this.#inFlight !== undefined) return (await raceAbort(this.#inFlight, signal)).token;
    const other = await this.replaced(rejected);
    if (other !== undefined) return other;
    return (await raceAbort(this.#issueOnce(), signal)).token;
  }

  /** The token already in place of `rejected`, if any; never issues. */
  async replaced(rejected: string): Promise<string | undefined> {
    const current = this.#current;
    return current !== undefined && current.token !== rejected && !this.#expired(current) ? current.token : undefined;
  }

  /** Fresh, or close to expiry but au10001 was asked only a moment ago. */
  #stillServes(token: IssuedToken): boolean {
    const now = this.#now().getTime();
    if (this.#expired(token)) return false;
    return now < token.expiresAt.getTime() - this.#refreshBeforeMs || now - this.#lastIssueAt < this.#minReissueMs;
  }

  #expired(token: IssuedToken): boolean {
    return this.#now().getTime() >= token.expiresAt.getTime();
  }

  #issueOnce(): Promise<IssuedToken> {
    if (this.#inFlight === undefined) {
      this.#inFlight = this.#issueNow().finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  async #issueNow(): Promise<IssuedToken> {
    this.#lastIssueAt = this.#now().getTime();
    try {
      const issued = await this.#issue(this.#credentials);
      if (issued.token !== this.#current?.token) this.#issued += 1;
      this.#current = issued;
      this.#logger.info('kiwoom token issued', { expiresAt: issued.expiresAt.toISOString() });
      return issued;
    } catch (error) {
      this.#logger.error('kiwoom token issuance failed', { error: describeError(error) });
      throw asTokenFailure(error);
    }
  }
}

/**
 * Errors that concern the key stay as they are (they stop the run already);
 * anything else that kept issuance from succeeding becomes
 * TokenUnavailableError, which stops the run too.
 */
function asTokenFailure(error: unknown): unknown {
  if (error instanceof KiwoomError && (error.stopsRun || error instanceof CallAbortedError)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new TokenUnavailableError(`no token: au10001 failed after its retries: ${reason}`, { cause: error });
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as Partial<Pick<T, K>>;
}

/** What a log line may say about an error: its class and message (never headers or bodies). */
export function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'unknown', message: String(error) };
}
