// The Kiwoom adapter's public surface.
export type * from './types.ts';
export * from './errors.ts';
export * from './limiter.ts';
export * from './token.ts';
export * from './client.ts';
export { KiwoomHttp, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS, type KiwoomHttpOptions } from './http.ts';
export { DEFAULT_RETRY, backoffMs, type RetryOptions, type RetryPolicy } from './retry.ts';
export { silentLogger, type KiwoomLogger, type LogFields } from './logger.ts';
