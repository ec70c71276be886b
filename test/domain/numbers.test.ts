import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatBasisPoints,
  formatKiwoomInteger,
  parseBasisPoints,
  parseKiwoomInteger,
  parseKiwoomPrice,
  RowError,
  RowValueError,
} from '../../functions/domain/numbers.ts';
import { thrown } from '../support/domain-fixtures.ts';

const STK = '005930';

describe('parseKiwoomInteger', () => {
  it('reads a signed value', () => {
    expect(parseKiwoomInteger('-3441', 'chg_qty', STK)).toBe(-3441);
  });

  it('reads a plus sign as positive', () => {
    expect(parseKiwoomInteger('+100', 'pred_pre', STK)).toBe(100);
  });

  it('reads zero padding', () => {
    expect(parseKiwoomInteger('000123', 'trde_qty', STK)).toBe(123);
  });

  it('reads zero padding after a minus sign', () => {
    expect(parseKiwoomInteger('-000123', 'chg_qty', STK)).toBe(-123);
  });

  it('reads an empty string as unknown, not zero', () => {
    expect(parseKiwoomInteger('', 'chg_qty', STK)).toBeNull();
  });

  it.each(['4294967295', '+4294967295', '0004294967295'])('reads the saturated %s as unknown', (raw) => {
    expect(parseKiwoomInteger(raw, 'poss_stkcnt', STK)).toBeNull();
  });

  it.each(['-4294967295', '-0004294967295'])('reads the signed placeholder %s on a signed field as unknown', (raw) => {
    expect(parseKiwoomInteger(raw, 'chg_qty', STK)).toBeNull();
  });

  it('reads the signed placeholder on an unsigned field as unknown, not as a negative holding', () => {
    expect(parseKiwoomInteger('-4294967295', 'poss_stkcnt', STK, { unsigned: true })).toBeNull();
  });

  it('reads "-0" as a zero without sign', () => {
    expect(Object.is(parseKiwoomInteger('-0', 'chg_qty', STK), 0)).toBe(true);
  });

  it('reads the largest safe integer', () => {
    expect(parseKiwoomInteger('9007199254740991', 'trde_qty', STK)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('rejects a value beyond the safe integer range', () => {
    const error = thrown(() => parseKiwoomInteger('9007199254740992', 'trde_qty', STK));
    expect((error as RowValueError).reason).toBe('is out of the safe integer range');
  });

  it.each([
    'abc',
    '1.2.3',
    '++5',
    '+',
    '-',
    ' 5',
    '5 ',
    '--23722054',
    '1e3',
    '0x10',
    '1,000',
    '\uFF15', // a full-width digit five
  ])('rejects %j as not a number', (raw) => {
    const error = thrown(() => parseKiwoomInteger(raw, 'chg_qty', STK));
    expect(error).toBeInstanceOf(RowValueError);
    expect(error).toMatchObject({ stkCd: STK, field: 'chg_qty', raw, reason: 'is not a number' });
  });

  it('rejects a fraction for a share count', () => {
    const error = thrown(() => parseKiwoomInteger('12.5', 'poss_stkcnt', STK));
    expect(error).toMatchObject({ field: 'poss_stkcnt', raw: '12.5', reason: 'is not a whole number' });
  });

  it('rejects a minus sign on an unsigned field', () => {
    const error = thrown(() => parseKiwoomInteger('-5', 'poss_stkcnt', STK, { unsigned: true }));
    expect((error as RowValueError).message).toBe(
      '005930: poss_stkcnt "-5" is negative, which this field cannot be',
    );
  });

  it('accepts a plus sign on an unsigned field', () => {
    expect(parseKiwoomInteger('+5', 'trde_qty', STK, { unsigned: true })).toBe(5);
  });

  it('names the code, field and raw value in its message', () => {
    const error = thrown(() => parseKiwoomInteger('--23722054', 'chg_qty', STK));
    expect((error as Error).message).toBe('005930: chg_qty "--23722054" is not a number');
  });

  it('adds the trading day to the message once placed on a row', () => {
    const error = thrown(() => parseKiwoomInteger('--23722054', 'chg_qty', STK)) as RowValueError;
    const placed = error.onDay('20241105');
    expect(placed.message).toBe('005930 20241105: chg_qty "--23722054" is not a number');
    expect(placed.cause).toBe(error);
  });

  it('shortens a very long raw value in its message', () => {
    const error = thrown(() => parseKiwoomInteger('x'.repeat(500), 'chg_qty', STK)) as RowValueError;
    expect(error.message.length).toBeLessThan(100);
    expect(error.raw).toHaveLength(500);
  });

  it('throws an error that belongs to the RowError family', () => {
    expect(thrown(() => parseKiwoomInteger('abc', 'chg_qty', STK))).toBeInstanceOf(RowError);
  });
});

describe('parseBasisPoints', () => {
  it.each([
    ['+26.10', 2610],
    ['26.1', 2610],
    ['-0.05', -5],
    ['26', 2600],
    ['000026.10', 2610],
    ['0.00', 0],
    ['100.00', 10000],
    ['-900.00', -90000],
  ])('reads %j as %d basis points', (raw, bp) => {
    expect(parseBasisPoints(raw, 'limit_exh_rt', STK)).toBe(bp);
  });

  it('reads "-0.00" as a zero without sign', () => {
    expect(Object.is(parseBasisPoints('-0.00', 'wght', STK), 0)).toBe(true);
  });

  it('reads an empty string as unknown, not zero', () => {
    expect(parseBasisPoints('', 'limit_exh_rt', STK)).toBeNull();
  });

  it.each(['4294967295', '-4294967295', '+4294967295', '4294967295.00', '-4294967295.00', '4294967295.0'])(
    'reads the saturated %s as unknown',
    (raw) => {
      expect(parseBasisPoints(raw, 'limit_exh_rt', STK)).toBeNull();
    },
  );

  it('reads a value next to the placeholder as a value', () => {
    expect(parseBasisPoints('4294967295.01', 'wght', STK)).toBe(429496729501);
  });

  it('rejects more than two decimals', () => {
    const error = thrown(() => parseBasisPoints('26.123', 'wght', STK));
    expect((error as Error).message).toBe('005930: wght "26.123" has more than two decimals');
  });

  it.each(['26.', '.5', '1.2.3', '++1.00', '+', 'abc', ' 26.10', '26,10', 'NaN', 'Infinity'])(
    'rejects %j as not a number',
    (raw) => {
      const error = thrown(() => parseBasisPoints(raw, 'limit_exh_rt', STK));
      expect(error).toMatchObject({ field: 'limit_exh_rt', raw, reason: 'is not a number' });
    },
  );

  it('rejects a percentage whose basis points exceed the safe range', () => {
    const error = thrown(() => parseBasisPoints('90071992547409.92', 'wght', STK));
    expect((error as RowValueError).reason).toBe('is out of the safe integer range');
  });
});

describe('parseKiwoomPrice', () => {
  it('reads a plus sign as a rise against the previous close', () => {
    expect(parseKiwoomPrice('+65100', 'close_pric', STK)).toEqual({ price: 65100, direction: 'up' });
  });

  it('reads a minus sign as a fall, not a negative price', () => {
    expect(parseKiwoomPrice('-65000', 'close_pric', STK)).toEqual({ price: 65000, direction: 'down' });
  });

  it('reads no sign as unchanged', () => {
    expect(parseKiwoomPrice('65100', 'close_pric', STK)).toEqual({ price: 65100, direction: 'unchanged' });
  });

  it('reads an empty string as unknown', () => {
    expect(parseKiwoomPrice('', 'close_pric', STK)).toBeNull();
  });

  it.each(['0', '+0', '-0', '000'])('reads the zero price %j as unknown, not as an invalid row', (raw) => {
    expect(parseKiwoomPrice(raw, 'close_pric', STK)).toBeNull();
  });

  it.each(['-4294967295', '+4294967295'])('reads the signed placeholder %s as unknown', (raw) => {
    expect(parseKiwoomPrice(raw, 'close_pric', STK)).toBeNull();
  });

  it('rejects a double sign', () => {
    expect(() => parseKiwoomPrice('--65000', 'close_pric', STK)).toThrow(RowValueError);
  });
});

describe('formatBasisPoints', () => {
  it('writes a positive value with a plus sign as Kiwoom does', () => {
    expect(formatBasisPoints(2610, { sign: true })).toBe('+26.10');
  });

  it('writes a small negative value with a leading zero', () => {
    expect(formatBasisPoints(-5, { sign: true })).toBe('-0.05');
  });

  it('writes zero without a sign', () => {
    expect(formatBasisPoints(0, { sign: true })).toBe('0.00');
  });

  it('writes a positive value without a sign unless asked', () => {
    expect(formatBasisPoints(2610)).toBe('26.10');
  });

  it('refuses a fraction of a basis point', () => {
    expect(() => formatBasisPoints(26.5)).toThrow(RangeError);
  });
});

describe('formatKiwoomInteger', () => {
  it('writes a positive value with a plus sign when asked', () => {
    expect(formatKiwoomInteger(3441, { sign: true })).toBe('+3441');
  });

  it('writes zero without a sign', () => {
    expect(formatKiwoomInteger(0, { sign: true })).toBe('0');
  });

  it('writes a negative value with a minus sign', () => {
    expect(formatKiwoomInteger(-3441)).toBe('-3441');
  });
});

describe('number parsing properties', () => {
  it('reads back every safe basis-point value formatted as Kiwoom does', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.boolean(), (bp, sign) => {
        const saturated = Math.abs(bp) === 429496729500;
        expect(parseBasisPoints(formatBasisPoints(bp, { sign }), 'limit_exh_rt', STK)).toBe(saturated ? null : bp);
      }),
    );
  });

  it('reads back every safe integer written with an optional sign and zero padding', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.boolean(), fc.nat(6), (value, plus, padding) => {
        const sign = value < 0 ? '-' : plus && value > 0 ? '+' : '';
        const raw = `${sign}${'0'.repeat(padding)}${Math.abs(value)}`;
        const saturated = Math.abs(value) === 4294967295;
        expect(parseKiwoomInteger(raw, 'chg_qty', STK)).toBe(saturated ? null : value);
      }),
    );
  });

  const mutatedNumber = fc
    .tuple(
      fc.maxSafeInteger(),
      fc.array(
        fc.record({
          at: fc.nat(20),
          kind: fc.constantFrom('insert', 'delete', 'duplicate'),
          char: fc.constantFrom('+', '-', '.', '0', '9', ' ', 'e', ',', '\u00A0', '\uFF11'),
        }),
        { maxLength: 3 },
      ),
    )
    .map(([bp, edits]) => {
      let text = formatBasisPoints(bp, { sign: true });
      for (const { at, kind, char } of edits) {
        const i = at % (text.length + 1);
        if (kind === 'insert') text = text.slice(0, i) + char + text.slice(i);
        else if (kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
        else text = text.slice(0, i) + text.slice(i, i + 1) + text.slice(i);
      }
      return text;
    });

  const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), mutatedNumber);

  function outcome(parse: () => unknown): 'value' | 'row error' {
    try {
      parse();
      return 'value';
    } catch (error) {
      if (error instanceof RowValueError) return 'row error';
      throw error;
    }
  }

  it('throws nothing but RowValueError for any string, and returns only safe integers or null', () => {
    fc.assert(
      fc.property(anyText, (raw) => {
        for (const parse of [parseKiwoomInteger, parseBasisPoints]) {
          if (outcome(() => parse(raw, 'chg_qty', STK)) === 'value') {
            const value = parse(raw, 'chg_qty', STK);
            expect(value === null || Number.isSafeInteger(value)).toBe(true);
          }
        }
        outcome(() => parseKiwoomInteger(raw, 'poss_stkcnt', STK, { unsigned: true }));
        outcome(() => parseKiwoomPrice(raw, 'close_pric', STK));
      }),
      { numRuns: 2000 },
    );
  });
});
