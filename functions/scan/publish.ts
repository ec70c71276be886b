// The publish step: ledger entries to SNS, one message per alert or one
// digest per run, each entry marked sent only by the publish that carried it.
import { deliverDigest } from '../notify/digest-delivery.ts';
import type { LedgerEntry, LedgerMessage, ScanDeps } from './ports.ts';
import { errorText, type ScanSummary } from './summary.ts';

/** Alerts recorded but not yet sent by an earlier run (a failed publish, a crash). */
export async function retryUnsent(deps: ScanDeps, summary: ScanSummary): Promise<void> {
  const unsent = await deps.ledger.unsent();
  for (const entry of unsent) {
    if (entry.status === 'sent') continue;
    const ok = await publishEntry(deps, entry, summary);
    if (ok) summary.alerts_retried += 1;
  }
}

/** One alert, one SNS message; false when the publish failed (the entry stays unsent). */
export async function publishEntry(deps: ScanDeps, entry: LedgerEntry, summary: ScanSummary): Promise<boolean> {
  if (!deps.publisher) return false;
  let messageId: string;
  try {
    ({ messageId } = await deps.publisher.publish(entry.message));
  } catch (error) {
    summary.alerts_failed += 1;
    const reason = errorText(error);
    deps.logger.error('alert publish failed; the next run retries it', {
      alert_id: entry.alertId,
      error: reason,
    });
    await deps.ledger.markFailed(entry.stkCd, entry.dt, entry.rule, reason).catch(() => undefined);
    return false;
  }
  summary.alerts_published += 1;
  summary.alerts.push(payloadOf(entry.message));
  try {
    await deps.ledger.markSent(entry.stkCd, entry.dt, entry.rule, messageId);
  } catch (error) {
    // SNS has the message; the entry stays unsent, so the next run sends it
    // again with the same alert_id: the one duplicate SNS leaves possible.
    deps.logger.error('alert sent but not marked sent; the next run may repeat it', {
      alert_id: entry.alertId,
      error: errorText(error),
    });
  }
  return true;
}

/** The run's digest: this run's entries and any an earlier run left unsent, in one message. */
export async function sendDigest(
  deps: ScanDeps,
  runId: string,
  recorded: LedgerEntry[],
  summary: ScanSummary,
): Promise<void> {
  if (!deps.publisher) return;
  // The unsent index may not list an entry recorded a moment ago: merge both.
  const entries = [...(await deps.ledger.unsent()), ...recorded];
  if (entries.length === 0) return;
  const delivery = await deliverDigest(deps.ledger, deps.publisher, entries, { runId });
  const carried = [...delivery.sent, ...delivery.unconfirmed.map((u) => u.entry)];
  summary.digests_published += delivery.digests.length;
  summary.alerts_published += carried.length;
  summary.alerts_failed += delivery.failed.length;
  for (const entry of carried) summary.alerts.push(payloadOf(entry.message));
  for (const { entry, error } of [...delivery.failed, ...delivery.unreadable]) {
    deps.logger.error('digest could not carry an alert; the next run retries it', { alert_id: entry.alertId, error });
  }
}

export function payloadOf(message: LedgerMessage): Record<string, unknown> {
  const outer = JSON.parse(message.messageJson) as { default: string };
  return JSON.parse(outer.default) as Record<string, unknown>;
}
