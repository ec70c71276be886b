import { describe, expect, it } from 'vitest';
import { fromSnapshotItem, toSnapshotItem } from '../../functions/store/history-store.ts';
import { CorruptItemError } from '../../functions/store/errors.ts';
import { rawRow, storedSnapshot } from '../support/fixtures.ts';

describe('snapshot items', () => {
  it('keys a snapshot by SNAP#<code> and the trading day', () => {
    const item = toSnapshotItem(storedSnapshot({ stkCd: '039490_NX', dt: '20250103' }));
    expect([item.pk, item.sk]).toEqual(['SNAP#039490_NX', '20250103']);
  });

  it('stores parsed values under their snake_case names in exact units', () => {
    const item = toSnapshotItem(storedSnapshot({ limitExhRtBp: 4901, chgQty: -150000, tradeQty: 77 }));
    expect([item.limit_exh_rt_bp, item.chg_qty, item.trde_qty]).toEqual([4901, -150000, 77]);
  });

  it('leaves null values out of the item', () => {
    const item = toSnapshotItem(storedSnapshot({ limitExhRtBp: null, closeDirection: null }));
    expect(Object.keys(item)).not.toContain('limit_exh_rt_bp');
    expect(Object.keys(item)).not.toContain('close_direction');
  });

  it('restores an omitted value as null', () => {
    const stored = storedSnapshot({ frgnrLimit: null, gainPosStkcnt: null, closeDirection: null });
    const back = fromSnapshotItem({ ...toSnapshotItem(stored) });
    expect([back.snapshot.frgnrLimit, back.snapshot.gainPosStkcnt, back.snapshot.closeDirection]).toEqual([null, null, null]);
  });

  it('round-trips a revised day with its rule state and earlier rows', () => {
    const stored = storedSnapshot(
      { dt: '20250106' },
      {
        ruleState: { disarmedUpBp: [4900], disarmedDownBp: [] },
        revision: 2,
        previousRows: [rawRow({ dt: '20250106', chg_qty: '-1' }), rawRow({ dt: '20250106', chg_qty: '-2' })],
      },
    );
    expect(fromSnapshotItem({ ...toSnapshotItem(stored) })).toEqual(stored);
  });

  it('rejects an item without stk_cd or dt', () => {
    expect(() => fromSnapshotItem({ pk: 'SNAP#005930', sk: '20250102', row: rawRow() })).toThrow(CorruptItemError);
  });
});
