// ALERT_DELIVERY=digest: the ledger entries of a run (this run's and any an
// earlier run left unsent) go out as one SNS message, and each entry is then
// marked sent with that message's id. A failed publish marks every entry
// failed, which keeps it in the unsent index: the next run's digest carries
// it again, merged with that run's alerts, and an entry is only ever marked
// sent by the publish that carried it.
import {
  buildDigestMessage,
  digestBatches,
  parseAlertPayload,
  snsMessageJson,
  type AlertPayload,
  type DigestContext,
} from '../domain/messages.ts';
import type { LedgerRule, TradingDay } from '../domain/types.ts';
import type { ClaimResult, LedgerEntry, LedgerMessage } from '../store/alert-ledger.ts';
import type { LeaseFence } from '../store/fence.ts';

export interface DigestLedger {
  markSent(stkCd: string, dt: TradingDay, rule: LedgerRule, messageId: string, variant?: string): Promise<unknown>;
  markFailed(stkCd: string, dt: TradingDay, rule: LedgerRule, error: string, variant?: string): Promise<unknown>;
  claim(entry: LedgerEntry, fence: LeaseFence): Promise<ClaimResult>;
}

export interface DigestPublisher {
  publish(message: LedgerMessage): Promise<{ messageId: string }>;
}

export interface DigestDelivery {
  /** One per SNS message published. */
  digests: { messageId: string; alertIds: string[] }[];
  /** Entries marked sent. */
  sent: LedgerEntry[];
  /** Entries whose digest failed to publish: left unsent for the next run. */
  failed: { entry: LedgerEntry; error: string }[];
  /** Entries whose stored message is not an alert payload (skipped, left as they are). */
  unreadable: { entry: LedgerEntry; error: string }[];
  /**
   * Published, but marking them sent failed: they stay unsent and the next
   * run carries them again (the one duplicate a crash after a publish allows).
   */
  unconfirmed: { entry: LedgerEntry; error: string }[];
}

/**
 * Publishes `entries` (sent and suppressed ones are skipped; the same alert
 * twice is carried once) as digests of at most DIGEST_MAX_ALERTS alerts.
 * Never throws for a publish failure: it is recorded on the entries. With a
 * fence, every entry is first claimed for publishing under the scan's
 * lease: one another scan has sent meanwhile is left out, and a lost lease
 * (LeaseLostError) publishes nothing at all.
 */
export async function deliverDigest(
  ledger: DigestLedger,
  publisher: DigestPublisher,
  entries: readonly LedgerEntry[],
  context: DigestContext,
  fence?: LeaseFence,
): Promise<DigestDelivery> {
  const delivery: DigestDelivery = { digests: [], sent: [], failed: [], unreadable: [], unconfirmed: [] };
  const byId = new Map<string, { entry: LedgerEntry; payload: AlertPayload }>();
  for (const entry of entries) {
    if (entry.status === 'sent' || entry.status === 'suppressed' || byId.has(entry.alertId)) continue;
    try {
      byId.set(entry.alertId, { entry, payload: parseAlertPayload(entry.message.messageJson) });
    } catch (error) {
      delivery.unreadable.push({ entry, error: errorText(error) });
    }
  }
  if (fence) {
    for (const [alertId, { entry }] of byId) {
      if (!(await ledger.claim(entry, fence)).claimed) byId.delete(alertId);
    }
  }
  for (const batch of digestBatches([...byId.values()])) {
    const digest = buildDigestMessage(batch, context);
    let messageId: string;
    try {
      ({ messageId } = await publisher.publish({
        subject: digest.subject,
        messageJson: snsMessageJson(digest),
        attributes: digest.attributes,
      }));
    } catch (error) {
      const reason = errorText(error);
      for (const { entry } of batch) {
        // Bookkeeping only: the entry is unsent either way, so the next run retries it.
        await ledger.markFailed(entry.stkCd, entry.dt, entry.rule, `digest: ${reason}`, entry.variant).catch(() => undefined);
        delivery.failed.push({ entry, error: reason });
      }
      continue;
    }
    delivery.digests.push({ messageId, alertIds: digest.payload.alert_ids });
    for (const { entry } of batch) {
      try {
        await ledger.markSent(entry.stkCd, entry.dt, entry.rule, messageId, entry.variant);
        delivery.sent.push(entry);
      } catch (error) {
        delivery.unconfirmed.push({ entry, error: errorText(error) });
      }
    }
  }
  return delivery;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
