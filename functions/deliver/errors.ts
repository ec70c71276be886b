// What can go wrong delivering one notice to one chat channel, as a small
// family keyed by what the caller does next: wait and try again in this
// invocation or a later one (RateLimited), let SQS redeliver (Transient),
// give up on this (alert, channel) and raise the alarm (Permanent), or refuse
// the target outright (UnsafeTarget, also permanent). Messages never carry a
// token or a URL that embeds one: callers pass masked text.

export type DeliveryErrorKind = 'rate_limited' | 'transient' | 'permanent' | 'unsafe_target';

export abstract class DeliveryError extends Error {
  abstract readonly kind: DeliveryErrorKind;
  /** HTTP status of the chat API's answer, when there was one. */
  readonly httpStatus: number | null;
  /** The API's answer (masked, shortened) for people to read. */
  readonly answer: string | null;

  constructor(message: string, details: { httpStatus?: number | null; answer?: string | null; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.httpStatus = details.httpStatus ?? null;
    this.answer = details.answer ?? null;
  }

  /** Another attempt may succeed (now or after a wait). */
  get retryable(): boolean {
    return false;
  }
}

/** 429: the API says when to come back (Telegram `parameters.retry_after`, Discord `retry_after`, `Retry-After`). */
export class RateLimitedError extends DeliveryError {
  override readonly name = 'RateLimitedError';
  readonly kind = 'rate_limited';
  constructor(
    readonly retryAfterMs: number,
    details: { httpStatus?: number | null; answer?: string | null } = {},
  ) {
    super(`rate limited: retry after ${Math.ceil(retryAfterMs / 1000)} s`, details);
  }
  override get retryable(): boolean {
    return true;
  }
}

/** 5xx, a timeout, a reset connection, a secret that could not be read: SQS redelivers the record. */
export class TransientDeliveryError extends DeliveryError {
  override readonly name = 'TransientDeliveryError';
  readonly kind = 'transient';
  override get retryable(): boolean {
    return true;
  }
}

/**
 * The channel cannot take this message as configured (Telegram 403: the bot
 * was blocked or removed; 404/410: the webhook is gone; 400: a payload the
 * API refuses). Retrying cannot help: the delivery is marked failed, counted
 * in the DeliveryFailedPermanent metric and logged as an error.
 */
export class PermanentDeliveryError extends DeliveryError {
  override readonly name = 'PermanentDeliveryError';
  readonly kind = 'permanent';
}

/** The URL is not https, or its host resolves to a private, loopback or link-local address (SSRF). */
export class UnsafeTargetError extends DeliveryError {
  override readonly name = 'UnsafeTargetError';
  readonly kind = 'unsafe_target';
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`refused target ${target}: ${reason}`);
  }
}

/** A channel item or a secret that does not have the shape a channel needs. */
export class ChannelConfigError extends Error {
  override readonly name = 'ChannelConfigError';
  constructor(
    readonly channel: string,
    readonly problems: string[],
    options?: ErrorOptions,
  ) {
    super(`channel ${channel}: ${problems.join('; ')}`, options);
  }
}

/** A record's body is not an SNS notification carrying an alert or digest payload. */
export class NoticeFormatError extends Error {
  override readonly name = 'NoticeFormatError';
}

/**
 * Thrown for a record some of whose channels must be tried again: the batch
 * processor reports it in batchItemFailures, so SQS redelivers only it.
 */
export class RedeliverError extends Error {
  override readonly name = 'RedeliverError';
  constructor(
    readonly deliveryKey: string,
    readonly channels: { channel: string; reason: string }[],
  ) {
    super(`${deliveryKey}: redeliver for ${channels.map((c) => `${c.channel} (${c.reason})`).join(', ')}`);
  }
}
