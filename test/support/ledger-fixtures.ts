// Ledger entries as the scan records them, for tests of what reads the
// ledger back (digest delivery, `kfa alerts`): a day at 49.05% and two
// findings on it.
import { buildAlertMessage, snsMessageJson } from '../../functions/domain/messages.ts';
import { alertIdOf, type Alert, type Finding, type Snapshot } from '../../functions/domain/types.ts';
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

/** The entry the scan records for `finding` on `dt` (previous day 20250303), its SNS message included. */
export function ledgerEntry(stkCd: string, dt: string, finding: Finding, name?: string): NewLedgerEntry {
  const alert: Alert = {
    ...finding,
    alertId: alertIdOf(stkCd, dt, finding.rule),
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
    revision: false,
    message: { subject: message.subject, messageJson: snsMessageJson(message), attributes: message.attributes },
  };
}
