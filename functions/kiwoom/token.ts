// Bearer tokens (au10001). A new token may invalidate the previous one for
// the same app key, so there is one issuer per app key: concurrent callers
// share one in-flight request, and a rejected token is replaced only if
// nobody has replaced it already. Otherwise twenty calls that meet an 8005
// together would issue twenty tokens, each killing the one before.
import type { AppCredentials, IssuedToken, TokenSource } from './types.ts';
import { TransientError, classifyAnswer, redact } from './errors.ts';
import { KiwoomHttp, type KiwoomHttpOptions } from './http.ts';
import { silentLogger, type KiwoomLogger } from './logger.ts';
import { backoffMs, realSleep, retryPolicy, type RetryOptions } from './retry.ts';

export const TOKEN_API_ID = 'au10001';
export const TOKEN_PATH = '/oauth2/token';
/** The vendor's own client refreshes ten minutes before `expires_dt`. */
export const REFRESH_BEFORE_MS = 10 * 60_000;

const KST_OFFSET_MS = 9 * 3_600_000;

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
 * One au10001 call, no retry. Throws BadCredentialsError (8001/8002/8011/8012),
 * ModeMismatchError, IpNotAllowedError, RateLimitedError (the token call has
 * its own quota) or TransientError. The future token Lambda calls this too.
 */
export async function issueToken(http: KiwoomHttp, credentials: AppCredentials): Promise<IssuedToken> {
  const secrets = [credentials.appKey, credentials.secretKey];
  const answer = await http.post({
    path: TOKEN_PATH,
    apiId: TOKEN_API_ID,
    headers: {},
    body: { grant_type: 'client_credentials', appkey: credentials.appKey, secretkey: credentials.secretKey },
    secrets,
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

export interface IssuingTokenSourceOptions {
  http: KiwoomHttp | KiwoomHttpOptions;
  credentials: AppCredentials;
  now?: () => Date;
  refreshBeforeMs?: number;
  /** Retries of the token call itself on transient failures and its own rate limit. */
  retry?: RetryOptions;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: KiwoomLogger;
}

/** Issues tokens from configured app credentials, caches them, and renews without storms. */
export class IssuingTokenSource implements TokenSource {
  readonly #http: KiwoomHttp;
  readonly #credentials: AppCredentials;
  readonly #now: () => Date;
  readonly #refreshBeforeMs: number;
  readonly #retry: ReturnType<typeof retryPolicy>;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #logger: KiwoomLogger;
  #current: IssuedToken | undefined;
  #inFlight: Promise<IssuedToken> | undefined;
  #issued = 0;

  constructor(options: IssuingTokenSourceOptions) {
    this.#http = options.http instanceof KiwoomHttp ? options.http : new KiwoomHttp(options.http);
    this.#credentials = { appKey: options.credentials.appKey, secretKey: options.credentials.secretKey };
    this.#now = options.now ?? (() => new Date());
    this.#refreshBeforeMs = options.refreshBeforeMs ?? REFRESH_BEFORE_MS;
    this.#retry = retryPolicy(options.retry);
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Tokens this source has issued so far. */
  get issuedCount(): number {
    return this.#issued;
  }

  async get(): Promise<string> {
    const current = this.#current;
    if (current !== undefined && this.#isFresh(current)) return current.token;
    return (await this.#issueOnce()).token;
  }

  async renew(rejected: string): Promise<string> {
    // An issuance under way is the replacement (even should Kiwoom hand back
    // the same value: asking again would only repeat that).
    if (this.#inFlight !== undefined) return (await this.#inFlight).token;
    const current = this.#current;
    if (current !== undefined && current.token !== rejected && this.#isFresh(current)) return current.token;
    return (await this.#issueOnce()).token;
  }

  #isFresh(token: IssuedToken): boolean {
    return this.#now().getTime() < token.expiresAt.getTime() - this.#refreshBeforeMs;
  }

  #issueOnce(): Promise<IssuedToken> {
    if (this.#inFlight === undefined) {
      this.#inFlight = this.#issueWithRetry().finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  async #issueWithRetry(): Promise<IssuedToken> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const issued = await issueToken(this.#http, this.#credentials);
        this.#current = issued;
        this.#issued += 1;
        this.#logger.info('kiwoom token issued', { expiresAt: issued.expiresAt.toISOString() });
        return issued;
      } catch (error) {
        const retryable = error instanceof Error && 'retryable' in error && error.retryable === true;
        if (!retryable || attempt >= this.#retry.attempts) {
          this.#logger.error('kiwoom token issuance failed', { error: describeError(error), attempt });
          throw error;
        }
        const delayMs = backoffMs(this.#retry, attempt, this.#random);
        this.#logger.warn('kiwoom token issuance failed; retrying', { error: describeError(error), attempt, delayMs });
        await this.#sleep(delayMs);
      }
    }
  }
}

/** What a log line may say about an error: its class and message (never headers or bodies). */
export function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'unknown', message: String(error) };
}
