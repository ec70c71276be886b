// A non-secret name for a Kiwoom app key: what the scan lease (one scan at a
// time per app key) and the learned allowance are keyed by. The CLI computes
// it from KIWOOM_APPKEY; deployed, the token function (the only reader of the
// app key) writes it into the token secret as `app_key_id`. Both are this
// function of the same key, so a `kfa scan` and the deployed scan with the
// same key take the same lease.
import { createHash } from 'node:crypto';

/** The first 16 hex digits of the app key's SHA-256: names the key, never reveals it. */
export function appKeyId(appKey: string): string {
  return createHash('sha256').update(appKey).digest('hex').slice(0, 16);
}
