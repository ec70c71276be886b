// A signed webhook: the SNS `default` payload exactly as published, POSTed as
// JSON, with X-KFA-Timestamp (Unix seconds) and X-KFA-Signature:
// sha256=<hex HMAC-SHA256 of "timestamp.body" with the channel's signing
// secret>. Signing the timestamp with the body lets a receiver reject a
// replay (README: older than 5 minutes) without keeping every body it saw.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Notice } from '../notice.ts';
import { TEST_BANNER } from './wording.ts';

export const SIGNATURE_HEADER = 'X-KFA-Signature';
export const TIMESTAMP_HEADER = 'X-KFA-Timestamp';
/** The delivery ledger key: a receiver can drop the one duplicate a crash after sending allows. */
export const DELIVERY_HEADER = 'X-KFA-Delivery';
export const REPLAY_WINDOW_SECONDS = 300;

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

export function webhookRequest(notice: Notice, secret: string, now: Date, options: { test?: boolean } = {}): WebhookRequest {
  const body = options.test ? JSON.stringify({ kind: 'test', test: true, message: TEST_BANNER, sample: JSON.parse(notice.body) }) : notice.body;
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      [TIMESTAMP_HEADER]: timestamp,
      [SIGNATURE_HEADER]: signature(secret, timestamp, body),
      [DELIVERY_HEADER]: notice.deliveryKey,
    },
  };
}

/**
 * What a receiver does (README "Webhook"): recompute the signature over the
 * raw body, compare in constant time, refuse a timestamp more than five
 * minutes away from its own clock.
 */
export function verifySignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowSeconds: number,
): { ok: true } | { ok: false; reason: string } {
  const { timestamp, signature: given } = headers;
  if (!timestamp || !/^\d+$/.test(timestamp) || !given) return { ok: false, reason: 'missing timestamp or signature' };
  if (Math.abs(nowSeconds - Number(timestamp)) > REPLAY_WINDOW_SECONDS) return { ok: false, reason: 'timestamp outside 5 minutes' };
  const expected = Buffer.from(signature(secret, timestamp, rawBody));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}
