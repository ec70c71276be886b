// Contracts between the Kiwoom client, its token sources and the callers.
import type { RawRow, TradingDay } from '../domain/types.ts';

/** The app key and secret key Kiwoom issued (au10001 calls them appkey/secretkey). */
export interface AppCredentials {
  appKey: string;
  secretKey: string;
}

/** A bearer token as au10001 returned it. */
export interface IssuedToken {
  token: string;
  /** Absolute expiry (Kiwoom's `expires_dt`, KST, converted to an instant). */
  expiresAt: Date;
}

/**
 * Where the client gets its bearer token. One issuer per app key: a new token
 * may invalidate the previous one, so implementations share one in-flight
 * request and renew only when the rejected token is still the current one.
 */
export interface TokenSource {
  /**
   * A token believed valid: cached, renewed ahead of expiry, and used until
   * it really expires when Kiwoom hands back the same one near expiry.
   * `signal` only ends this caller's wait; a shared issuance goes on.
   */
  get(signal?: AbortSignal): Promise<string>;
  /**
   * The server rejected `rejected` (8005 & co, or HTTP 401). Return a token
   * that is not `rejected`: the one somebody else already put in its place,
   * or a new one if `rejected` is still current.
   */
  renew(rejected: string, signal?: AbortSignal): Promise<string>;
  /**
   * The token somebody already put in place of `rejected`, re-read from
   * where tokens are kept, or undefined; never issues. Asked once when a
   * token just renewed is rejected too, before giving up.
   */
  replaced?(rejected: string): Promise<string | undefined>;
}

/** One ka10008 response page: rows newest first. */
export interface Ka10008Page {
  stkCd: string;
  rows: RawRow[];
  /** True when Kiwoom said `cont-yn: Y` (older rows exist). */
  hasMore: boolean;
  nextKey: string;
}

export interface Ka10008PageOptions {
  /** Stop once a page reaches a row at or older than this day. */
  oldestDt?: TradingDay;
  /** At most this many pages (the vendor's sample pages at most 10 times). */
  maxPages?: number;
  /** The caller's deadline: no further page, wait or request once it aborts (CallAbortedError). */
  signal?: AbortSignal;
}

/** What a scan needs from Kiwoom; the HTTP client implements it. */
export interface Ka10008Source {
  ka10008Pages(stkCd: string, options?: Ka10008PageOptions): AsyncIterable<Ka10008Page>;
}

/** What a limiter has learned of one API's allowance. */
export interface LearnedLimits {
  /** Requests per second (may be fractional; whole requests are admitted per window). */
  ratePerSecond: number;
  /** Added to the one-second window after 1700s at the stated rate (arrival jitter). */
  marginMs: number;
}

export interface LearnedAllowance extends LearnedLimits {
  learnedAt: Date;
}

/**
 * Where the client keeps what it learned, per API id, for the next process
 * of the same app key (a new Lambda container starts from it).
 */
export interface AllowanceMemory {
  /** What was learned recently enough to start from, if anything. */
  load(apiId: string): Promise<LearnedAllowance | undefined>;
  save(apiId: string, limits: LearnedLimits): Promise<void>;
}
