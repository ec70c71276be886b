// The Kiwoom HTTP client: ka10008 pages through a learned, pipelined rate
// limiter, bounded concurrency, retries with backoff for transient answers
// and rate limits, and one token renewal per call when Kiwoom rejects the
// token. Tokens and keys stay in private fields and never reach a log line
// or an error.
import type { RawRow } from '../domain/types.ts';
import type { AppCredentials, Ka10008Page, Ka10008PageOptions, Ka10008Source, TokenSource } from './types.ts';
import { KiwoomError, RateLimitedError, TokenInvalidError, TransientError, classifyAnswer, safeCause } from './errors.ts';
import { KiwoomHttp, type RawAnswer } from './http.ts';
import { LimiterRegistry, sharedLimiters, type RateLimiter } from './limiter.ts';
import { silentLogger, type KiwoomLogger } from './logger.ts';
import { backoffMs, realSleep, retryPolicy, type RetryOptions, type RetryPolicy } from './retry.ts';
import { IssuingTokenSource, describeError } from './token.ts';

export const KA10008 = 'ka10008';
export const KA10008_PATH = '/api/dostk/frgnistt';
export const DEFAULT_MAX_PAGES = 10;
export const DEFAULT_MAX_IN_FLIGHT = 8;
/** The terms of service: 5 requests per second per app key, 1 on the mock host. */
export const LIVE_RATE_LIMIT = 5;
export const MOCK_RATE_LIMIT = 1;
const MOCK_HOSTNAME = 'mockapi.kiwoom.com';

export interface KiwoomClientOptions {
  baseUrl: string;
  tokens: TokenSource;
  /** Only to find this key's shared limiters; hashed, never stored. */
  appKey: string;
  /** Requests per second per API id: the ceiling the limiter starts at (default 5; 1 on the mock host). */
  rateLimit?: number;
  maxInFlight?: number;
  timeoutMs?: number;
  retry?: RetryOptions;
  logger?: KiwoomLogger;
  /** Monotonic milliseconds for the limiter (default `performance.now`). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Defaults to the process-wide registry, so every client of one app key shares one limiter per API id. */
  limiters?: LimiterRegistry;
  fetch?: typeof globalThis.fetch;
}

export interface KiwoomClientStats {
  /** HTTP requests sent to Kiwoom (token calls not included), retries included. */
  calls: number;
  /** Answers that were 1700/1701/1702 or HTTP 429. */
  rateLimitedAnswers: number;
  /** Requests repeated after a backoff (not counting the one resend after a token renewal). */
  retries: number;
  /** Different tokens this client has used: 1 + renewals that brought a new token. */
  tokenIssues: number;
  /** The limiter's current rate per API id, requests per second. */
  learnedRatePerSecond: Record<string, number>;
}

export class KiwoomClient implements Ka10008Source {
  readonly rateLimit: number;
  readonly #http: KiwoomHttp;
  readonly #tokens: TokenSource;
  readonly #limiters: LimiterRegistry;
  readonly #appKey: string;
  readonly #retry: RetryPolicy;
  readonly #logger: KiwoomLogger;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: (() => number) | undefined;
  readonly #slots: Slots;
  #lastToken: string | undefined;
  readonly #stats = { calls: 0, rateLimitedAnswers: 0, retries: 0, tokenIssues: 0 };

  constructor(options: KiwoomClientOptions) {
    this.#http = new KiwoomHttp({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, fetch: options.fetch });
    this.#tokens = options.tokens;
    this.#appKey = options.appKey;
    this.rateLimit = options.rateLimit ?? defaultRateLimit(options.baseUrl);
    if (!(this.rateLimit > 0)) throw new RangeError('rateLimit must be positive');
    this.#limiters = options.limiters ?? sharedLimiters;
    this.#retry = retryPolicy(options.retry);
    this.#logger = options.logger ?? silentLogger;
    this.#sleep = options.sleep ?? realSleep;
    this.#random = options.random ?? Math.random;
    this.#now = options.now;
    this.#slots = new Slots(options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  }

  stats(): KiwoomClientStats {
    return { ...this.#stats, learnedRatePerSecond: this.#limiters.learnedRates(this.#appKey) };
  }

  /**
   * ka10008 pages, newest first. Stops when Kiwoom says `cont-yn` is not `Y`,
   * after the page that reaches `oldestDt`, or after `maxPages` (default 10).
   */
  async *ka10008Pages(stkCd: string, options: Ka10008PageOptions = {}): AsyncGenerator<Ka10008Page> {
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    const seenKeys = new Set<string>(['']);
    let nextKey: string | undefined;
    for (let pageNo = 1; pageNo <= maxPages; pageNo += 1) {
      const page = await this.ka10008Page(stkCd, nextKey);
      yield page;
      if (!page.hasMore) return;
      if (options.oldestDt !== undefined && page.rows.some((row) => row.dt <= options.oldestDt!)) return;
      // Asking again with a key already used would page forever.
      if (seenKeys.has(page.nextKey)) {
        throw new TransientError(
          page.nextKey === '' ? 'cont-yn is Y but next-key is empty' : `repeated next-key ${JSON.stringify(page.nextKey)}`,
          { apiId: KA10008, stkCd },
        );
      }
      seenKeys.add(page.nextKey);
      nextKey = page.nextKey;
    }
  }

  /** One ka10008 page: the newest, or the one `nextKey` (from the previous page) points to. */
  async ka10008Page(stkCd: string, nextKey?: string): Promise<Ka10008Page> {
    const continuation = nextKey === undefined ? { 'cont-yn': 'N', 'next-key': '' } : { 'cont-yn': 'Y', 'next-key': nextKey };
    const answer = await this.#call(KA10008, KA10008_PATH, { stk_cd: stkCd }, continuation, stkCd, readRows);
    return {
      stkCd,
      rows: answer.result,
      hasMore: (answer.raw.headers.get('cont-yn') ?? '').trim().toUpperCase() === 'Y',
      nextKey: (answer.raw.headers.get('next-key') ?? '').trim(),
    };
  }

  async #call<T>(
    apiId: string,
    path: string,
    body: Record<string, unknown>,
    headers: Record<string, string>,
    stkCd: string,
    read: (raw: RawAnswer, where: { apiId: string; stkCd: string }) => T,
  ): Promise<{ raw: RawAnswer; result: T }> {
    const limiter = this.#limiterFor(apiId);
    let renewed = false;
    let replacement: string | undefined;
    for (let attempt = 1; ; ) {
      // Asked afresh on every attempt: another call may have renewed the token during a backoff.
      const token = this.#noteToken(replacement ?? (await this.#tokens.get()));
      replacement = undefined;
      let startedAt = 0;
      let outcome: { raw: RawAnswer; result: T } | KiwoomError;
      await this.#slots.take();
      try {
        startedAt = await limiter.acquire();
        this.#stats.calls += 1;
        outcome = await this.#send(apiId, path, body, headers, stkCd, token, read);
      } finally {
        this.#slots.give();
      }
      if (!(outcome instanceof KiwoomError)) return outcome;
      const error = outcome;
      if (error instanceof RateLimitedError) {
        this.#stats.rateLimitedAnswers += 1;
        limiter.onRateLimited(startedAt, error.allowance);
        this.#logger.warn('kiwoom rate limited', {
          apiId,
          stkCd,
          allowance: error.allowance,
          detailCode: error.detailCode,
          learnedRatePerSecond: limiter.ratePerSecond,
        });
      }
      if (error instanceof TokenInvalidError && !renewed) {
        renewed = true;
        this.#logger.info('kiwoom token rejected; renewing once', { apiId, stkCd, detailCode: error.detailCode });
        replacement = await this.#tokens.renew(token);
        continue;
      }
      if (error.retryable && attempt < this.#retry.attempts) {
        const delayMs = backoffMs(this.#retry, attempt, this.#random);
        this.#stats.retries += 1;
        this.#logger.warn('kiwoom call failed; retrying', { apiId, stkCd, attempt, delayMs, error: describeError(error) });
        attempt += 1;
        await this.#sleep(delayMs);
        continue;
      }
      throw error;
    }
  }

  async #send<T>(
    apiId: string,
    path: string,
    body: Record<string, unknown>,
    headers: Record<string, string>,
    stkCd: string,
    token: string,
    read: (raw: RawAnswer, where: { apiId: string; stkCd: string }) => T,
  ): Promise<{ raw: RawAnswer; result: T } | KiwoomError> {
    const secrets = [token, this.#appKey];
    try {
      const raw = await this.#http.post({
        path,
        apiId,
        stkCd,
        headers: { authorization: `Bearer ${token}`, ...headers },
        body,
        secrets,
      });
      const error = classifyAnswer({ httpStatus: raw.httpStatus, body: raw.body, apiId, stkCd, redact: secrets });
      if (error) return error;
      return { raw, result: read(raw, { apiId, stkCd }) };
    } catch (error) {
      if (error instanceof KiwoomError) return error;
      return new TransientError('unexpected failure', { apiId, stkCd, cause: safeCause(error, secrets) });
    }
  }

  #limiterFor(apiId: string): RateLimiter {
    const now = this.#now;
    // An injected sleep drives the limiter only together with an injected
    // clock: a sleep that returns at once against the real clock would spin.
    return this.#limiters.limiterFor(this.#appKey, apiId, {
      ratePerSecond: this.rateLimit,
      ...(now === undefined ? {} : { clock: { now, sleep: this.#sleep } }),
    });
  }

  #noteToken(token: string): string {
    if (token !== this.#lastToken) {
      this.#lastToken = token;
      this.#stats.tokenIssues += 1;
    }
    return token;
  }
}

/** `stk_frgnr` must be a list of objects; the numbers inside are the domain's to parse. */
function readRows(raw: RawAnswer, where: { apiId: string; stkCd: string }): RawRow[] {
  const rows = (raw.body as Record<string, unknown>)['stk_frgnr'];
  if (!Array.isArray(rows) || !rows.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))) {
    throw new TransientError('garbage body: stk_frgnr is not a list of rows', {
      ...where,
      httpStatus: raw.httpStatus,
      category: 0,
    });
  }
  return rows as RawRow[];
}

export function defaultRateLimit(baseUrl: string): number {
  try {
    return new URL(baseUrl).hostname === MOCK_HOSTNAME ? MOCK_RATE_LIMIT : LIVE_RATE_LIMIT;
  } catch {
    return LIVE_RATE_LIMIT;
  }
}

/** At most `size` requests in flight; the rest wait in arrival order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError('maxInFlight must be a whole number ≥ 1');
    this.#free = size;
  }
  take(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}

export interface CreateKiwoomClientOptions
  extends Omit<KiwoomClientOptions, 'tokens' | 'appKey'> {
  credentials: AppCredentials;
}

/** A client with an IssuingTokenSource over the configured app credentials. */
export function createKiwoomClient(options: CreateKiwoomClientOptions): KiwoomClient {
  const { credentials, ...rest } = options;
  const tokens = new IssuingTokenSource({
    http: { baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, fetch: options.fetch },
    credentials,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.retry === undefined ? {} : { retry: options.retry }),
  });
  return new KiwoomClient({ ...rest, tokens, appKey: credentials.appKey });
}
