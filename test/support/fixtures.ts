// Small factories for store tests: a plausible ka10008 day and its parsed form
// (the domain fixtures with other figures).
import type { RawRow, Snapshot } from '../../functions/domain/types.ts';
import type { StoredSnapshot } from '../../functions/store/history-store.ts';
import { snapshot as domainSnapshot, kiwoomRow } from './domain-fixtures.ts';

export function rawRow(overrides: Partial<RawRow> = {}): RawRow {
  return kiwoomRow({
    dt: '20250102',
    close_pric: '+53400',
    pred_pre: '+400',
    trde_qty: '12345678',
    chg_qty: '-150000',
    poss_stkcnt: '3000000000',
    wght: '+50.26',
    gain_pos_stkcnt: '2969000000',
    frgnr_limit: '5969000000',
    limit_exh_rt: '+50.26',
    ...overrides,
  });
}

export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  const dt = overrides.dt ?? '20250102';
  return domainSnapshot({
    dt,
    closePrice: 53400,
    closeDirection: 'up',
    predPre: 400,
    tradeQty: 12345678,
    chgQty: -150000,
    possStkcnt: 3000000000,
    wghtBp: 5026,
    gainPosStkcnt: 2969000000,
    frgnrLimit: 5969000000,
    limitExhRtBp: 5026,
    row: rawRow({ dt }),
    ...overrides,
  });
}

export function storedSnapshot(overrides: Partial<Snapshot> = {}, extra: Partial<StoredSnapshot> = {}): StoredSnapshot {
  return {
    snapshot: snapshot(overrides),
    ruleState: { disarmedUpBp: [], disarmedDownBp: [] },
    revision: 0,
    previousRows: [],
    storedAt: '2025-01-02T09:30:00.000Z',
    ...extra,
  };
}

/** `count` consecutive calendar days from `first` (weekends included; the store does not care). */
export function days(first: string, count: number): string[] {
  const start = Date.UTC(Number(first.slice(0, 4)), Number(first.slice(4, 6)) - 1, Number(first.slice(6, 8)));
  return Array.from({ length: count }, (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10).replaceAll('-', ''));
}
