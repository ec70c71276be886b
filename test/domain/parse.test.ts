import { describe, expect, it } from 'vitest';
import {
  isTradingDay,
  parseRow,
  parseRows,
  RowError,
  RowShapeError,
  RowValueError,
} from '../../functions/domain/parse.ts';
import type { RawRow, Snapshot } from '../../functions/domain/types.ts';
import specExample from '../fixtures/ka10008-spec-example.json' with { type: 'json' };
import { kiwoomRow, thrown } from '../support/domain-fixtures.ts';

const STK = '005930';

function rawRow(overrides: Partial<Record<keyof RawRow, unknown>> = {}): Record<string, unknown> {
  return { ...kiwoomRow(), ...overrides };
}

type Figures = Omit<Snapshot, 'stkCd' | 'row'>;

const SPEC_EXPECTED: Figures[] = [
  {
    dt: '20241105',
    closePrice: 135300,
    closeDirection: 'unchanged',
    predPre: 0,
    tradeQty: 0,
    chgQty: 0,
    possStkcnt: 6663509,
    wghtBp: 2610,
    gainPosStkcnt: 18863197,
    frgnrLimit: 25526706,
    frgnrLimitIrds: 0,
    limitExhRtBp: 2610,
  },
  {
    dt: '20241101',
    closePrice: 65100,
    closeDirection: 'unchanged',
    predPre: 0,
    tradeQty: 0,
    chgQty: -3441,
    possStkcnt: 6642402,
    wghtBp: 2602,
    gainPosStkcnt: 18884304,
    frgnrLimit: 25526706,
    frgnrLimitIrds: 0,
    limitExhRtBp: 2602,
  },
  {
    dt: '20241031',
    closePrice: 65100,
    closeDirection: 'unchanged',
    predPre: 0,
    tradeQty: 0,
    chgQty: 4627,
    possStkcnt: 6645843,
    wghtBp: 2603,
    gainPosStkcnt: 18880863,
    frgnrLimit: 25526706,
    frgnrLimitIrds: 0,
    limitExhRtBp: 2603,
  },
  {
    dt: '20241030',
    closePrice: 65100,
    closeDirection: 'up',
    predPre: 100,
    tradeQty: 1,
    chgQty: -10245,
    possStkcnt: 6641216,
    wghtBp: 2602,
    gainPosStkcnt: 18885490,
    frgnrLimit: 25526706,
    frgnrLimitIrds: 0,
    limitExhRtBp: 2602,
  },
  {
    dt: '20241029',
    closePrice: 65000,
    closeDirection: 'down',
    predPre: -27300,
    tradeQty: 4,
    chgQty: 249,
    possStkcnt: 6651461,
    wghtBp: 2606,
    gainPosStkcnt: 18875245,
    frgnrLimit: 25526706,
    frgnrLimitIrds: 0,
    limitExhRtBp: 2606,
  },
];

describe("the specification's example response", () => {
  it('parses all five rows without errors, newest first', () => {
    const { snapshots, errors } = parseRows(STK, specExample.stk_frgnr);
    expect(errors).toEqual([]);
    expect(snapshots.map((s) => s.dt)).toEqual(['20241105', '20241101', '20241031', '20241030', '20241029']);
  });

  it.each(SPEC_EXPECTED.map((expected, index) => [index, expected] as const))(
    'parses row %d into exact values, field by field',
    (index, expected) => {
      const snapshot = parseRow(STK, specExample.stk_frgnr[index]);
      const { stkCd, row, ...figures } = snapshot;
      expect(stkCd).toBe(STK);
      expect(figures).toEqual(expected);
      expect(row).toEqual(specExample.stk_frgnr[index]);
    },
  );
});

describe('parseRow', () => {
  it('keeps only the eleven ka10008 fields as the raw row', () => {
    const snapshot = parseRow(STK, { ...rawRow(), extra_field: 'x' });
    expect(Object.keys(snapshot.row).sort()).toEqual(
      [
        'chg_qty',
        'close_pric',
        'dt',
        'frgnr_limit',
        'frgnr_limit_irds',
        'gain_pos_stkcnt',
        'limit_exh_rt',
        'poss_stkcnt',
        'pred_pre',
        'trde_qty',
        'wght',
      ].sort(),
    );
  });

  it('reads an empty chg_qty as unknown, not zero', () => {
    expect(parseRow(STK, rawRow({ chg_qty: '' })).chgQty).toBeNull();
  });

  it('reads an empty close price as unknown price and direction', () => {
    const snapshot = parseRow(STK, rawRow({ close_pric: '' }));
    expect([snapshot.closePrice, snapshot.closeDirection]).toEqual([null, null]);
  });

  it.each(['0', '+0'])('reads a close price of %j as an unknown price, keeping the row and its rate', (close) => {
    const snapshot = parseRow(STK, rawRow({ close_pric: close, limit_exh_rt: '+49.05' }));
    expect([snapshot.closePrice, snapshot.closeDirection, snapshot.limitExhRtBp]).toEqual([null, null, 4905]);
  });

  it('reads the signed placeholder on chg_qty and the decimal one on limit_exh_rt as unknown', () => {
    const snapshot = parseRow(STK, rawRow({ chg_qty: '-4294967295', limit_exh_rt: '4294967295.00', wght: '-4294967295.00' }));
    expect([snapshot.chgQty, snapshot.limitExhRtBp, snapshot.wghtBp]).toEqual([null, null, null]);
  });

  it('reads saturated holdings as unknown', () => {
    expect(parseRow(STK, rawRow({ poss_stkcnt: '4294967295' })).possStkcnt).toBeNull();
  });

  it('reads zero-padded holdings', () => {
    expect(parseRow(STK, rawRow({ poss_stkcnt: '0006663509' })).possStkcnt).toBe(6663509);
  });

  it('reads negative room when holdings exceed the limit', () => {
    expect(parseRow(STK, rawRow({ gain_pos_stkcnt: '-1200' })).gainPosStkcnt).toBe(-1200);
  });

  it('reads a negative limit change', () => {
    expect(parseRow(STK, rawRow({ frgnr_limit_irds: '-500000' })).frgnrLimitIrds).toBe(-500000);
  });

  it('keeps the odd "-900.00" weight as the number it says', () => {
    expect(parseRow(STK, rawRow({ wght: '-900.00' })).wghtBp).toBe(-90000);
  });

  it('rejects the double minus seen in real rows, naming code, day, field and value', () => {
    const error = thrown(() => parseRow(STK, rawRow({ chg_qty: '--23722054' })));
    expect(error).toBeInstanceOf(RowValueError);
    expect((error as Error).message).toBe('005930 20241105: chg_qty "--23722054" is not a number');
    expect(error).toMatchObject({ stkCd: STK, dt: '20241105', field: 'chg_qty', raw: '--23722054' });
  });

  it('rejects negative holdings instead of guessing their meaning', () => {
    const error = thrown(() => parseRow(STK, rawRow({ poss_stkcnt: '-6663509' })));
    expect((error as Error).message).toBe(
      '005930 20241105: poss_stkcnt "-6663509" is negative, which this field cannot be',
    );
  });

  it.each(['trde_qty', 'frgnr_limit'] as const)('rejects a negative %s', (field) => {
    const error = thrown(() => parseRow(STK, rawRow({ [field]: '-1' })));
    expect(error).toMatchObject({ field, raw: '-1' });
  });

  it('rejects a percentage with more than two decimals', () => {
    const error = thrown(() => parseRow(STK, rawRow({ limit_exh_rt: '26.105' })));
    expect(error).toMatchObject({ field: 'limit_exh_rt', reason: 'has more than two decimals' });
  });

  it('rejects a fraction of a share', () => {
    const error = thrown(() => parseRow(STK, rawRow({ chg_qty: '10.5' })));
    expect(error).toMatchObject({ field: 'chg_qty', reason: 'is not a whole number' });
  });

  it.each(['20240230', '2024115', '', '20241305', '2024-11-05', '00000000'])(
    'rejects %j as a trading day',
    (dt) => {
      const error = thrown(() => parseRow(STK, rawRow({ dt })));
      expect(error).toBeInstanceOf(RowValueError);
      expect(error).toMatchObject({ field: 'dt', raw: dt, dt: null });
    },
  );

  it('rejects a row with a missing field as a shape error naming it', () => {
    const row = rawRow();
    delete row.limit_exh_rt;
    const error = thrown(() => parseRow(STK, row));
    expect(error).toBeInstanceOf(RowShapeError);
    expect((error as Error).message).toBe('005930 20241105: limit_exh_rt is missing');
  });

  it('rejects a field that is not a string', () => {
    const error = thrown(() => parseRow(STK, rawRow({ chg_qty: 3441 })));
    expect(error).toBeInstanceOf(RowShapeError);
    expect((error as Error).message).toBe('005930 20241105: chg_qty is a number, not a string');
  });

  it.each([null, 'row', 42, [['20241105']]])('rejects %j as a row that is not an object', (raw) => {
    const error = thrown(() => parseRow(STK, raw));
    expect(error).toBeInstanceOf(RowShapeError);
    expect(error).toMatchObject({ stkCd: STK, field: null });
  });

  it('throws shape and value errors from one RowError family', () => {
    const shape = thrown(() => parseRow(STK, null));
    const value = thrown(() => parseRow(STK, rawRow({ chg_qty: 'abc' })));
    expect([shape instanceof RowError, value instanceof RowError]).toEqual([true, true]);
  });
});

describe('parseRows', () => {
  it('isolates a bad row and keeps the others in input order', () => {
    const rows = [
      rawRow({ dt: '20241105' }),
      rawRow({ dt: '20241104', chg_qty: '--23722054' }),
      rawRow({ dt: '20241101' }),
    ];
    const { snapshots, errors } = parseRows(STK, rows);
    expect(snapshots.map((s) => s.dt)).toEqual(['20241105', '20241101']);
    expect(errors.map((e) => e.message)).toEqual(['005930 20241104: chg_qty "--23722054" is not a number']);
  });

  it('reports every bad row in input order', () => {
    const { errors } = parseRows(STK, [rawRow({ dt: '20241105', wght: 'x' }), null, rawRow({ dt: '20241101', trde_qty: '+' })]);
    expect(errors.map((e) => e.constructor.name)).toEqual(['RowValueError', 'RowShapeError', 'RowValueError']);
  });

  it('returns nothing for no rows', () => {
    expect(parseRows(STK, [])).toEqual({ snapshots: [], errors: [] });
  });
});

describe('isTradingDay', () => {
  it.each(['20241105', '20240229', '19991231'])('accepts the real date %s', (dt) => {
    expect(isTradingDay(dt)).toBe(true);
  });

  it.each(['20230229', '20241301', '20241100', '00000000', '2024-11-05', '2024110', '202411050', ' 20241105'])(
    'rejects %j',
    (dt) => {
      expect(isTradingDay(dt)).toBe(false);
    },
  );

  it('rejects a value that is not a string', () => {
    expect(isTradingDay(20241105)).toBe(false);
  });
});
