// A webhook receiver as README "Webhook" tells one to write it: recompute the
// HMAC-SHA256 of "timestamp.body" over the raw body, compare in constant
// time, refuse a timestamp more than five minutes from its own clock. It does
// not reuse the sender's code on purpose: it checks what a stranger's
// receiver would check.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function verifyKfaWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = String(headers['x-kfa-timestamp'] ?? '');
  const given = String(headers['x-kfa-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
