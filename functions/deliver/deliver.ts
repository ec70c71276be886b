// Delivers one SNS notice to every chat channel whose filter it passes,
// exactly once per (delivery key, channel), in named steps:
//   claim (ledger) → render (transport) → send each part (honouring 429 while
//   this invocation has time) → mark sent / failed / release for retry.
// Channels of one notice go out side by side and settle independently: a
// channel that fails is retried alone by the record's redelivery, the others
// find their ledger entry sent and stay quiet. A channel that failed
// transiently earlier in the batch is not called again in it.
import type { Log } from '../scan/ports.ts';
import { noticeFor, type Channel } from './channel.ts';
import {
  ChannelConfigError,
  DeliveryError,
  PermanentDeliveryError,
  RateLimitedError,
  RedeliverError,
  TransientDeliveryError,
  UnsafeTargetError,
} from './errors.ts';
import type { HttpSender } from './http/sender.ts';
import { parseNotice, type Notice } from './notice.ts';
import type { ChannelSecrets } from './secrets.ts';
import type { Claim, ClaimRequest } from './store/delivery-ledger.ts';
import { mask, secretValue, TRANSPORTS, type Accepted, type OutgoingRequest, type Transport } from './transports.ts';

export interface DeliveryLedgerPort {
  claim(request: ClaimRequest): Promise<Claim>;
  partSent(deliveryKey: string, channel: string, claimId: string, partsSent: number, partsTotal: number, now: Date): Promise<boolean>;
  markSent(deliveryKey: string, channel: string, claimId: string, reference: string | undefined, now: Date): Promise<boolean>;
  release(deliveryKey: string, channel: string, claimId: string, error: string, now: Date, notBefore?: number): Promise<boolean>;
  markFailed(deliveryKey: string, channel: string, claimId: string, error: string, now: Date): Promise<boolean>;
}

export interface DeliveryMetrics {
  count(name: DeliveryMetric, value?: number): void;
}

export type DeliveryMetric = 'DeliveriesSent' | 'DeliveryFailedPermanent' | 'DeliveryRetried' | 'DeliveryRateLimited' | 'DuplicatesDropped';

export interface DeliverDeps {
  ledger: DeliveryLedgerPort;
  sender: HttpSender;
  secrets: ChannelSecrets;
  logger: Log;
  metrics: DeliveryMetrics;
  now: () => Date;
  /** Milliseconds this invocation may still work (Lambda's remaining time). */
  remainingMs: () => number;
  /** Injected so tests honour a 429 without waiting. */
  sleep: (ms: number) => Promise<void>;
  telegramApiUrl: string;
}

export const TIMING = {
  /** Left for the ledger update and the batch reply after the last request. */
  reserveMs: 5_000,
  /** One chat API call. */
  requestTimeoutMs: 10_000,
  /** Less than this left: do not start a request, let SQS redeliver. */
  minRequestMs: 2_000,
  /** A claim outlives the invocation by this much, then a redelivery may take it. */
  claimMarginMs: 30_000,
  /** 429 waits per request before the record is handed back to SQS. */
  maxRateLimitWaits: 3,
} as const;

export type ChannelOutcome =
  | { channel: string; outcome: 'sent'; parts: number; reference?: string }
  | { channel: string; outcome: 'duplicate'; reason: string }
  | { channel: string; outcome: 'failed_permanent'; reason: string }
  | { channel: string; outcome: 'retry'; reason: string };

export interface NoticeOutcome {
  deliveryKey: string;
  channels: ChannelOutcome[];
}

/** Per invocation: channels that failed transiently, so later records of the batch do not wait on them again. */
export interface BatchState {
  unavailable: Map<string, string>;
}

export const newBatchState = (): BatchState => ({ unavailable: new Map() });

/** One SQS record's body. Throws RedeliverError when a channel must be tried again. */
export async function deliverRecord(deps: DeliverDeps, body: string, channels: readonly Channel[], batch: BatchState): Promise<NoticeOutcome> {
  const notice = parseNotice(body);
  const outcome = await deliverNotice(deps, notice, channels, batch);
  const retry = outcome.channels.filter((c): c is Extract<ChannelOutcome, { outcome: 'retry' }> => c.outcome === 'retry');
  if (retry.length > 0) throw new RedeliverError(notice.deliveryKey, retry.map((c) => ({ channel: c.channel, reason: c.reason })));
  return outcome;
}

export async function deliverNotice(deps: DeliverDeps, notice: Notice, channels: readonly Channel[], batch: BatchState): Promise<NoticeOutcome> {
  const targets = channels.flatMap((channel) => {
    const content = noticeFor(channel, notice);
    return content ? [{ channel, content }] : [];
  });
  const settled = await Promise.allSettled(targets.map(({ channel, content }) => deliverToChannel(deps, content, channel, batch)));
  return {
    deliveryKey: notice.deliveryKey,
    channels: settled.map((result, i): ChannelOutcome => {
      if (result.status === 'fulfilled') return result.value;
      // The claim itself failed (DynamoDB): nothing was sent, so try again later.
      const channel = targets[i]?.channel.name ?? '?';
      deps.logger.warn('delivery bookkeeping failed', { channel, delivery_key: notice.deliveryKey, error: describe(result.reason) });
      return { channel, outcome: 'retry', reason: describe(result.reason) };
    }),
  };
}

async function deliverToChannel(deps: DeliverDeps, notice: Notice, channel: Channel, batch: BatchState): Promise<ChannelOutcome> {
  const name = channel.name;
  const log = { channel: name, type: channel.type, delivery_key: notice.deliveryKey };
  const unavailable = batch.unavailable.get(name);
  if (unavailable !== undefined) return { channel: name, outcome: 'retry', reason: `failed earlier in this batch: ${unavailable}` };

  const claim = await deps.ledger.claim({
    deliveryKey: notice.deliveryKey,
    channel: name,
    channelType: channel.type,
    now: deps.now(),
    holdMs: deps.remainingMs() + TIMING.claimMarginMs,
  });
  if (!claim.claimed) {
    if (claim.reason === 'backoff') {
      return { channel: name, outcome: 'retry', reason: `waiting until ${new Date(claim.entry.notBefore ?? 0).toISOString()} as the API asked` };
    }
    deps.metrics.count('DuplicatesDropped');
    deps.logger.info('duplicate dropped', { ...log, ledger_status: claim.entry.status });
    return { channel: name, outcome: 'duplicate', reason: claim.reason };
  }

  let secret = '';
  let parts: number;
  let accepted: Accepted | undefined;
  try {
    secret = secretValue(channel, await deps.secrets.resolve(channel));
    const transport = TRANSPORTS[channel.type];
    const requests = transport.requests(notice, channel, secret, { telegramApiUrl: deps.telegramApiUrl, now: deps.now() });
    parts = requests.length;
    accepted = await sendParts(deps, transport, requests, secret, notice.deliveryKey, channel, claim);
  } catch (error) {
    return settleFailure(deps, error, secret, notice, channel, claim.claimId, batch, log);
  }
  await recordSent(deps, notice.deliveryKey, channel, claim.claimId, accepted, log);
  deps.metrics.count('DeliveriesSent');
  deps.logger.info('delivered', { ...log, parts, reference: accepted?.reference });
  return { channel: name, outcome: 'sent', parts, ...(accepted?.reference ? { reference: accepted.reference } : {}) };
}

/**
 * The API has accepted: whatever happens to the bookkeeping now, the record
 * is not retried for this channel. If the write is lost, the claim lapses
 * and an SNS duplicate arriving later could send once more: the one
 * duplicate a crash between the API and the ledger allows.
 */
async function recordSent(
  deps: DeliverDeps,
  deliveryKey: string,
  channel: Channel,
  claimId: string,
  accepted: Accepted | undefined,
  log: Record<string, string>,
): Promise<void> {
  try {
    if (!(await deps.ledger.markSent(deliveryKey, channel.name, claimId, accepted?.reference, deps.now()))) {
      deps.logger.warn('sent, but the claim was taken over meanwhile (its new holder may send once more)', log);
    }
  } catch (error) {
    deps.logger.error('sent, but the ledger could not record it', { ...log, error: describe(error) });
  }
}

/** Sends the parts not yet sent (a redelivery resumes after the last accepted part). */
async function sendParts(
  deps: DeliverDeps,
  transport: Transport,
  requests: OutgoingRequest[],
  secret: string,
  deliveryKey: string,
  channel: Channel,
  claim: Extract<Claim, { claimed: true }>,
): Promise<Accepted | undefined> {
  let last: Accepted | undefined;
  for (let part = Math.min(claim.entry.partsSent, requests.length); part < requests.length; part++) {
    last = await sendHonouringRateLimit(deps, transport, requests[part] as OutgoingRequest, secret);
    if (requests.length > 1) await deps.ledger.partSent(deliveryKey, channel.name, claim.claimId, part + 1, requests.length, deps.now());
  }
  return last;
}

/**
 * A 429 is waited out (the injected sleep) when the wait fits in what is
 * left of this invocation; otherwise the RateLimitedError goes up and the
 * ledger remembers not to try before the API's time.
 */
async function sendHonouringRateLimit(deps: DeliverDeps, transport: Transport, request: OutgoingRequest, secret: string): Promise<Accepted> {
  for (let waits = 0; ; waits++) {
    const timeoutMs = Math.min(TIMING.requestTimeoutMs, deps.remainingMs() - TIMING.reserveMs);
    if (timeoutMs < TIMING.minRequestMs) throw new TransientDeliveryError('too little time left in this invocation');
    try {
      const answer = await deps.sender.post({ url: request.url, body: request.body, headers: request.headers, timeoutMs });
      return transport.interpret(answer, secret);
    } catch (error) {
      const fits = error instanceof RateLimitedError && error.retryAfterMs + TIMING.minRequestMs + TIMING.reserveMs <= deps.remainingMs();
      if (!(error instanceof RateLimitedError) || !fits || waits >= TIMING.maxRateLimitWaits) throw error;
      deps.metrics.count('DeliveryRateLimited');
      deps.logger.info('rate limited: waiting as the API asked', { url: request.shownUrl, retry_after_ms: error.retryAfterMs });
      await deps.sleep(error.retryAfterMs);
    }
  }
}

async function settleFailure(
  deps: DeliverDeps,
  error: unknown,
  secret: string,
  notice: Notice,
  channel: Channel,
  claimId: string,
  batch: BatchState,
  log: Record<string, string>,
): Promise<ChannelOutcome> {
  const name = channel.name;
  const reason = mask(describe(error), secret);
  const now = deps.now();
  const permanent = error instanceof PermanentDeliveryError || error instanceof UnsafeTargetError || error instanceof ChannelConfigError;
  if (permanent) {
    await deps.ledger.markFailed(notice.deliveryKey, name, claimId, reason, now);
    deps.metrics.count('DeliveryFailedPermanent');
    // The DeliveryFailedPermanent alarm watches the metric; this line says which channel and why.
    deps.logger.error('delivery failed permanently', { ...log, reason, http_status: error instanceof DeliveryError ? error.httpStatus : null });
    return { channel: name, outcome: 'failed_permanent', reason };
  }
  const notBefore = error instanceof RateLimitedError ? now.getTime() + error.retryAfterMs : undefined;
  try {
    await deps.ledger.release(notice.deliveryKey, name, claimId, reason, now, notBefore);
  } catch (releaseError) {
    // The claim then lapses on its own and the redelivery takes it.
    deps.logger.warn('could not release the claim', { ...log, error: describe(releaseError) });
  }
  // Later records of this batch would meet the same outage or the same rate limit.
  batch.unavailable.set(name, reason);
  deps.metrics.count('DeliveryRetried');
  deps.logger.warn('delivery will be retried', { ...log, reason, not_before: notBefore === undefined ? undefined : new Date(notBefore).toISOString() });
  return { channel: name, outcome: 'retry', reason };
}

function describe(error: unknown): string {
  if (error instanceof DeliveryError && error.answer) return `${error.message} (answer: ${error.answer})`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
