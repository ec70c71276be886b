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
  /** A token believed valid (cached until 10 minutes before expiry). */
  get(): Promise<string>;
  /**
   * The server rejected `rejected` (8005 & co, or HTTP 401). Return a token
   * that is not `rejected`: the one somebody else already put in its place,
   * or a new one if `rejected` is still current.
   */
  renew(rejected: string): Promise<string>;
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
}

/** What a scan needs from Kiwoom; the HTTP client implements it. */
export interface Ka10008Source {
  ka10008Pages(stkCd: string, options?: Ka10008PageOptions): AsyncIterable<Ka10008Page>;
}
