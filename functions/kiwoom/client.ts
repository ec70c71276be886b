// The Kiwoom HTTP client: ka10008 pages through a learned, pipelined rate
// limiter, bounded concurrency, retries with backoff for transient answers
// and rate limits, and one token renewal per call when Kiwoom rejects the
// token (then one re-read of the token store before giving up). What the
// limiter learns is kept (AllowanceMemory) so the next process starts from
// it. A caller's abort signal ends every wait and request at once. Tokens and
// keys stay in private fields and never reach a log line or an error.
import type { RawRow } from '../domain/types.ts';
import type {
  AllowanceMemory,
  AppCredentials,
  Ka10008Page,
  Ka10008PageOptions,
  Ka10008Source,
  TokenSource,
} from './types.ts';
import { raceAbort } from './abort.ts';
import {
  CallAbortedError,
  KiwoomError,
  RateLimitedError,
  TokenInvalidError,
  TransientError,
  classifyAnswer,
  safeCause,
} from './errors.ts';
import { KiwoomHttp, type RawAnswer } from './http.ts';
import { LimiterRegistry, sharedLimiters, type RateLimiter } from './limiter.ts';
import { silentLogger, type KiwoomLogger } from './logger.ts';
import { backoffMs, realSleep, retryPolicy, type RetryOptions, type RetryPolicy } from './retry.ts';
import { LearnedAllowances } from './learned-allowances.ts';
import { IssuingTokenSource, describeError } from './token.ts';
import { TokenRecovery } from './token-recovery.ts';

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
  /** Where what the limiters learn is kept for the next process (a new Lambda container starts from it). */
  allowances?: AllowanceMemory;
  /** Larger answers count as transient (default 4 MiB). */
  maxBodyBytes?: number;
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
  /** The margin each limiter added to its window after 1700s at its rate, ms. */
  learnedMarginMs: Record<string, number>;
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
  readonly #learning: LearnedAllowances;
  #lastToken: string | undefined;
  readonly #stats = { calls: 0, rateLimitedAnswers: 0, retries: 0, tokenIssues: 0 };

  constructor(options: KiwoomClientOptions) {
    this.#http = new KiwoomHttp({
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      maxBodyBytes: options.maxBodyBytes,
      fetch: options.fetch,
    });
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
    this.#learning = new LearnedAllowances(options.allowances, this.#logger);
  }

  stats(): KiwoomClientStats {
    return {
      ...this.#stats,
      learnedRatePerSecond: this.#limiters.learnedRates(this.#appKey),
      learnedMarginMs: this.#limiters.learnedMargins(this.#appKey),
    };
  }

  /** Keeps what the limiters learned since the last save (the scan calls this when it ends). */
  async saveLearned(): Promise<void> {
    await this.#learning.saveAll();
  }

  /**
   * ka10008 pages, newest first. Stops when Kiwoom says `cont-yn` is not `Y`,
   * after the page that reaches `oldestDt`, or after `maxPages` (default 10).
   * Once `signal` aborts, no further page is asked for (CallAbortedError).
   */
  async *ka10008Pages(stkCd: string, options: Ka10008PageOptions = {}): AsyncGenerator<Ka10008Page> {
    const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    const seenKeys = new Set<string>(['']);
    let nextKey: string | undefined;
    for (let pageNo = 1; pageNo <= maxPages; pageNo += 1) {
      const page = await this.ka10008Page(stkCd, nextKey, { signal: options.signal });
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
  async ka10008Page(stkCd: string, nextKey?: string, options: { signal?: AbortSignal | undefined } = {}): Promise<Ka10008Page> {
    const continuation = nextKey === undefined ? { 'cont-yn': 'N', 'next-key': '' } : { 'cont-yn': 'Y', 'next-key': nextKey };
    const answer = await this.#call(
      { apiId: KA10008, path: KA10008_PATH, body: { stk_cd: stkCd }, headers: continuation, stkCd, signal: options.signal },
      readRows,
    );
    return {
      stkCd,
      rows: answer.result,
      hasMore: (answer.raw.headers.get('cont-yn') ?? '').trim().toUpperCase() === 'Y',
      nextKey: (answer.raw.headers.get('next-key') ?? '').trim(),
    };
  }

  async #call<T>(call: Call, read: (raw: RawAnswer, where: Where) => T): Promise<{ raw: RawAnswer; result: T }> {
    const { apiId, stkCd, signal } = call;
    const limiter = await this.#limiterFor(apiId);
    const recovery = new TokenRecovery(this.#tokens, this.#logger, call);
    for (let attempt = 1; ; ) {
      if (signal?.aborted) throw new CallAbortedError({ apiId, stkCd });
      // Asked afresh on every attempt: another call may have renewed the token during a backoff.
      const token = this.#noteToken(recovery.take() ?? (await this.#abortable(this.#tokens.get(signal), call)));
      const { outcome, startedAt } = await this.#attempt(limiter, call, token, read);
      if (!(outcome instanceof KiwoomError)) return outcome;
      const error = outcome;
      if (error instanceof RateLimitedError) await this.#onRateLimited(limiter, call, startedAt, error);
      if (error instanceof TokenInvalidError) {
        await this.#abortable(recovery.after(error, token), call);
        continue;
      }
      if (error.retryable && attempt < this.#retry.attempts) {
        const delayMs = backoffMs(this.#retry, attempt, this.#random);
        this.#stats.retries += 1;
        this.#logger.warn('kiwoom call failed; retrying', { apiId, stkCd, attempt, delayMs, error: describeError(error) });
        attempt += 1;
        await this.#abortable(this.#sleep(delayMs), call);
        continue;
      }
      throw error;
    }
  }

  /** One request in its slot and its turn at the limiter: the answer (or the error it stands for). */
  async #attempt<T>(
    limiter: RateLimiter,
    call: Call,
    token: string,
    read: (raw: RawAnswer, where: Where) => T,
  ): Promise<{ outcome: { raw: RawAnswer; result: T } | KiwoomError; startedAt: number }> {
    // Not raced: a slot granted in the same tick as an abort must still be given back.
    await this.#slots.take(call.signal).catch(() => {
      throw new CallAbortedError({ apiId: call.apiId, stkCd: call.stkCd });
    });
    try {
      const startedAt = await this.#abortable(limiter.acquire(call.signal), call);
      this.#stats.calls += 1;
      return { outcome: await this.#send(call, token, read), startedAt };
    } finally {
      this.#slots.give();
    }
  }

  async #onRateLimited(limiter: RateLimiter, call: Call, startedAt: number, error: RateLimitedError): Promise<void> {
    this.#stats.rateLimitedAnswers += 1;
    limiter.onRateLimited(startedAt, error.allowance);
    this.#logger.warn('kiwoom rate limited', {
      apiId: call.apiId,
      stkCd: call.stkCd,
      allowance: error.allowance,
      detailCode: error.detailCode,
      learnedRatePerSecond: limiter.ratePerSecond,
      learnedMarginMs: limiter.marginMs,
    });
    // What a 1700 teaches is kept at once: the call backs off anyway.
    await this.#learning.save(call.apiId, limiter);
  }

  async #send<T>(call: Call, token: string, read: (raw: RawAnswer, where: Where) => T): Promise<{ raw: RawAnswer; result: T } | KiwoomError> {
    const { apiId, stkCd } = call;
    const secrets = [token, this.#appKey];
    try {
      const raw = await this.#http.post({
        path: call.path,
        apiId,
        stkCd,
        headers: { authorization: `Bearer ${token}`, ...call.headers },
        body: call.body,
        secrets,
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      });
      const error = classifyAnswer({ httpStatus: raw.httpStatus, body: raw.body, apiId, stkCd, redact: secrets });
      if (error) return error;
      return { raw, result: read(raw, { apiId, stkCd }) };
    } catch (error) {
      if (error instanceof KiwoomError) return error;
      return new TransientError('unexpected failure', { apiId, stkCd, cause: safeCause(error, secrets) });
    }
  }

  /** `promise`, or CallAbortedError as soon as the call's signal aborts. */
  async #abortable<T>(promise: Promise<T>, call: Call): Promise<T> {
    try {
      return await raceAbort(promise, call.signal);
    } catch (error) {
      if (call.signal?.aborted && !(error instanceof KiwoomError && error.stopsRun)) {
        throw new CallAbortedError({ apiId: call.apiId, stkCd: call.stkCd });
      }
      throw error;
    }
  }

  async #limiterFor(apiId: string): Promise<RateLimiter> {
    const now = this.#now;
    // An injected sleep drives the limiter only together with an injected
    // clock: a sleep that returns at once against the real clock would spin.
    const limiter = this.#limiters.limiterFor(this.#appKey, apiId, {
      ratePerSecond: this.rateLimit,
      ...(now === undefined ? {} : { clock: { now, sleep: this.#sleep } }),
    });
    await this.#learning.startFrom(apiId, limiter);
    return limiter;
  }

  #noteToken(token: string): string {
    if (token !== this.#lastToken) {
      this.#lastToken = token;
      this.#stats.tokenIssues += 1;
    }
    return token;
  }
}

interface Where {
  apiId: string;
  stkCd: string;
}

interface Call extends Where {
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  signal: AbortSignal | undefined;
}

/**
 * `stk_frgnr` must be a list of objects; the numbers inside are the domain's
 * to parse. A success without the list (or with an empty one) is Kiwoom
 * saying it has no rows for the code: nothing to retry.
 */
function readRows(raw: RawAnswer, where: Where): RawRow[] {
  const rows = (raw.body as Record<string, unknown>)['stk_frgnr'];
  if (rows === undefined || rows === null) return [];
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

/** At most `size` requests in flight; the rest wait in arrival order. An aborted waiter leaves the line. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    if (!(Number.isInteger(size) && size >= 1)) throw new RangeError('maxInFlight must be a whole number ≥ 1');
    this.#free = size;
  }
  take(signal?: AbortSignal): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const granted = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        const index = this.#waiting.indexOf(granted);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(new Error('aborted while waiting for a slot'));
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.#waiting.push(granted);
    });
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
    // A client with its own limiters (a test, a benchmark) gets its own token limiter too.
    ...(options.limiters === undefined ? {} : { limiters: new LimiterRegistry() }),
    ...(options.now === undefined ? {} : { limiterClock: { now: options.now, ...(options.sleep ? { sleep: options.sleep } : {}) } }),
  });
  return new KiwoomClient({ ...rest, tokens, appKey: credentials.appKey });
}
