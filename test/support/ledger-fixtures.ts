// Ledger entries as the scan records them, for tests of what reads the
// ledger back (digest delivery, `kfa alerts`, `kfa status`): a day at
// 49.05% and two findings on it, and the correction notice that withdraws
// such an alert.
import { buildCorrectionMessage } from '../../functions/domain/correction-message.ts';
import { alertFromPayload, buildAlertMessage, parseAlertPayload, snsMessageJson } from '../../functions/domain/messages.ts';
import { alertIdOf, CORRECTION_RULE, type Alert, type Finding, type Snapshot } from '../../functions/domain/types.ts';
import type { NewLedgerEntry } from '../../functions/store/alert-ledger.ts';
import { kiwoomRow, snapshot } from './domain-fixtures.ts';

export const CROSS_UP: Finding = {
  rule: 'limit_exh_rt_cross_up',
  direction: 'up',
  severity: 'critical',
  threshold: 4900,
  thresholdsCrossed: [4900],
  value: 4905,
  previousValue: 4880,
};

export const CHG: Finding = { rule: 'chg_qty_abs', direction: 'up', severity: 'warning', threshold: 10_000, value: 50_000, previousValue: 0 };

/** `stkCd` on `dt` at 49.05%, up, 50,000 shares bought by foreigners. */
export function crossingSnapshot(stkCd: string, dt: string): Snapshot {
  return snapshot({
    stkCd,
    dt,
    closePrice: 51000,
    closeDirection: 'up',
    predPre: 100,
    tradeQty: 1000,
    chgQty: 50_000,
    possStkcnt: 49_050_000,
    wghtBp: 4905,
    gainPosStkcnt: 50_950_000,
    frgnrLimit: 100_000_000,
    limitExhRtBp: 4905,
    row: kiwoomRow({
      dt,
      close_pric: '+51000',
      pred_pre: '+100',
      trde_qty: '1000',
      chg_qty: '+50000',
      poss_stkcnt: '49050000',
      wght: '+49.05',
      gain_pos_stkcnt: '50950000',
      frgnr_limit: '100000000',
      limit_exh_rt: '+49.05',
    }),
  });
}

/**
 * The entry the scan records for `finding` on `dt` (previous day 20250303),
 * its SNS message included; with a `variant`, a further entry for the same
 * day and rule (`r1`: a crossing a correction revealed).
 */
export function ledgerEntry(stkCd: string, dt: string, finding: Finding, name?: string, variant?: string): NewLedgerEntry {
  const alert: Alert = {
    ...finding,
    alertId: alertIdOf(stkCd, dt, finding.rule, variant),
    stkCd,
    ...(name !== undefined ? { name } : {}),
    dt,
    previousDt: '20250303',
    revision: false,
  };
  const current = crossingSnapshot(stkCd, dt);
  const message = buildAlertMessage(alert, { current, recent: [current] });
  return {
    stkCd,
    dt,
    rule: finding.rule,
    ...(variant === undefined ? {} : { variant }),
    revision: false,
    message: { subject: message.subject, messageJson: snsMessageJson(message), attributes: message.attributes },
  };
}

/** `stkCd` on `dt` as Kiwoom serves it after correcting limit_exh_rt to `rateBp`. */
export function correctedSnapshot(stkCd: string, dt: string, rateBp: number): Snapshot {
  const served = crossingSnapshot(stkCd, dt);
  const rate = (rateBp / 100).toFixed(2);
  return { ...served, limitExhRtBp: rateBp, row: { ...served.row, limit_exh_rt: `+${rate}` } };
}

/**
 * The correction notice the scan records with withdrawing all of `original`
 * (an entry of ledgerEntry) once its day reads `current` and the day before
 * `previous`: the notice's id and variant as the scan gives them.
 */
export function correctionEntry(original: NewLedgerEntry, current: Snapshot, previous: Snapshot | null): NewLedgerEntry {
  const alert = alertFromPayload(parseAlertPayload(original.message.messageJson));
  const variant = original.variant === undefined ? original.rule : `${original.rule}-${original.variant}`;
  const alertId = alertIdOf(original.stkCd, original.dt, CORRECTION_RULE, variant);
  const message = buildCorrectionMessage({
    alertId,
    original: alert,
    withdrawnBp: alert.thresholdsCrossed ?? [],
    all: true,
    current,
    previous,
  });
  return {
    alertId,
    stkCd: original.stkCd,
    dt: original.dt,
    rule: CORRECTION_RULE,
    variant,
    revision: true,
    message: { subject: message.subject, messageJson: snsMessageJson(message), attributes: message.attributes },
  };
}
