// Item keys in the History table. Everything for one code shares a prefix so
// a single Query reads a code's days or alerts in order.
import type { LedgerRule, TradingDay } from '../domain/types.ts';

export interface HistoryKey {
  pk: string;
  sk: string;
}

export const SNAPSHOT_PREFIX = 'SNAP#';
export const CODE_STATE_PREFIX = 'CODE#';
export const LEASE_PREFIX = 'LEASE#';
export const ALERT_PREFIX = 'ALERT#';

export const snapshotKey = (stkCd: string, dt: TradingDay): HistoryKey => ({ pk: `${SNAPSHOT_PREFIX}${stkCd}`, sk: dt });

export const codeStateKey = (stkCd: string): HistoryKey => ({ pk: `${CODE_STATE_PREFIX}${stkCd}`, sk: 'STATE' });

/** The last failed attempt at a code, beside its state (which a failure never touches). */
export const codeFailureKey = (stkCd: string): HistoryKey => ({ pk: `${CODE_STATE_PREFIX}${stkCd}`, sk: 'FAILED' });

export const leaseKey = (scope: string): HistoryKey => ({ pk: `${LEASE_PREFIX}${scope}`, sk: 'LEASE' });

/** One ledger entry per (code, day, rule), and per variant where a day and rule have more than one. */
export const alertKey = (stkCd: string, dt: TradingDay, rule: LedgerRule, variant?: string): HistoryKey => ({
  pk: `${ALERT_PREFIX}${stkCd}`,
  sk: variant === undefined ? `${dt}#${rule}` : `${dt}#${rule}#${variant}`,
});
