// The publish step: ledger entries to SNS, one message per alert or one
// digest per run, each entry marked sent only by the publish that carried it.
import { isSnoozed } from '../domain/rules.ts';
import { CORRECTION_RULE } from '../domain/types.ts';
import { deliverDigest } from '../notify/digest-delivery.ts';
import { LeaseLostError } from '../store/errors.ts';
import type { LedgerEntry, LedgerMessage } from './ports.ts';
import type { RunContext } from './run-context.ts';
import { errorText } from './summary.ts';

/** Below this much time left, the rest of the retries wait for the next invocation. */
const RETRY_FLOOR_MS = 10_000;

/** Alerts recorded but not yet sent (a failed publish, a crash, a slice cut short). */
export async function retryUnsent(run: RunContext): Promise<void> {
  const unsent = await run.deps.ledger.unsent();
  for (const entry of unsent) {
    // One attempt per run: an entry this run already tried waits for the next.
    if (entry.status === 'sent' || run.attempted.has(entry.alertId)) continue;
    if (run.deps.remainingMs() < RETRY_FLOOR_MS) return;
    const ok = await publishEntry(run, entry);
    if (ok) run.summary.alerts_retried += 1;
  }
}

/**
 * Claims the entry for this scan, fenced by its lease, so a scan that lost
 * the lease never publishes. Throws LeaseLostError; false when another scan
 * sent the entry meanwhile (or the claim could not be written: it stays
 * unsent for the next run).
 */
async function claimed(run: RunContext, entry: LedgerEntry): Promise<boolean> {
  const fence = run.lease?.fence;
  if (!fence) return true;
  try {
    const claim = await run.deps.ledger.claim(entry, fence);
    if (!claim.claimed && claim.entry?.status === 'sent') run.summary.alerts_already_sent += 1;
    return claim.claimed;
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    run.summary.alerts_failed += 1;
    run.deps.logger.error('could not claim an alert for publishing; the next run retries it', {
      alert_id: entry.alertId,
      error: errorText(error),
    });
    return false;
  }
}

/**
 * Snooze is decided at publish time: an entry recorded before its code was
 * snoozed (a failed publish, an unsent digest) is suppressed now, for good,
 * instead of published during or after the snooze. True when suppressed.
 */
async function suppressedBySnooze(run: RunContext, entry: LedgerEntry): Promise<boolean> {
  const settings = run.settingsOf(entry.stkCd);
  if (!settings || !isSnoozed(settings, entry.dt)) return false;
  const now = await run.deps.ledger.suppress(entry, `snoozed until ${settings.snoozeUntil}`, run.lease?.fence);
  if (now?.status === 'suppressed') run.summary.alerts_suppressed += 1;
  return true;
}

/** One alert, one SNS message; false when it was not published (the entry stays unsent unless sent by another scan). */
export async function publishEntry(run: RunContext, entry: LedgerEntry): Promise<boolean> {
  if (!run.deps.publisher) return false;
  run.attempted.add(entry.alertId);
  return run.publishing.run(() => claimAndPublish(run, entry));
}

/** Snooze, fenced claim, publish, bookkeeping: for one alert while no other is between publish and bookkeeping. */
async function claimAndPublish(run: RunContext, entry: LedgerEntry): Promise<boolean> {
  const { deps, summary } = run;
  if (!deps.publisher) return false;
  if (await suppressedBySnooze(run, entry)) return false;
  if (!(await claimed(run, entry))) return false;
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
    await deps.ledger.markFailed(entry.stkCd, entry.dt, entry.rule, reason, entry.variant).catch(() => undefined);
    return false;
  }
  summary.alerts_published += 1;
  summary.alerts.push(payloadOf(entry.message));
  try {
    await deps.ledger.markSent(entry.stkCd, entry.dt, entry.rule, messageId, entry.variant);
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
export async function sendDigest(run: RunContext): Promise<void> {
  const { deps, summary } = run;
  if (!deps.publisher) return;
  // The unsent index may not list an entry recorded a moment ago: merge both.
  const entries: LedgerEntry[] = [];
  const notices = new Map<string, LedgerEntry>();
  for (const entry of [...(await deps.ledger.unsent()), ...run.recorded]) {
    if (await suppressedBySnooze(run, entry)) continue;
    // A correction notice is its own message: nobody should miss it inside a digest.
    if (entry.rule === CORRECTION_RULE) notices.set(entry.alertId, entry);
    else entries.push(entry);
  }
  for (const notice of notices.values()) await publishEntry(run, notice);
  if (entries.length === 0) return;
  const delivery = await deliverDigest(deps.ledger, deps.publisher, entries, { runId: run.runId }, run.lease?.fence);
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
