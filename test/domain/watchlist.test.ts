import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WatchSettings } from '../../functions/domain/types.ts';
import {
  DEFAULTS_KEY,
  formatWatchProblems,
  resolveWatchSettings,
  toWatchItem,
  validateDefaultsItem,
  WatchItemError,
  watchItemSchema,
} from '../../functions/domain/watchlist.ts';
import { problemsOf, settingsOf, watchSettings } from '../support/domain-fixtures.ts';

const STK = '005930';

function item(attributes: Record<string, unknown> = {}): Record<string, unknown> {
  return { stk_cd: STK, ...attributes };
}

function defaultsItem(attributes: Record<string, unknown> = {}): Record<string, unknown> {
  return { stk_cd: DEFAULTS_KEY, ...attributes };
}

const BARE_SETTINGS: WatchSettings = watchSettings({ stkCd: STK, frgnrLimitChange: true });

describe('resolveWatchSettings: one item', () => {
  it('gives a bare item every rule off and the documented defaults', () => {
    expect(settingsOf(resolveWatchSettings(item()))).toEqual(BARE_SETTINGS);
  });

  it('ignores attributes it does not know and keeps them out of the settings', () => {
    const settings = settingsOf(resolveWatchSettings(item({ future_rule: 'x', limit_exh_rt_above: 49 })));
    expect(settings).toEqual({ ...BARE_SETTINGS, aboveBp: [4900] });
  });

  it('reports every bad attribute of an item at once', () => {
    const problems = problemsOf(resolveWatchSettings(item({ enabled: 'yes', chg_qty_abs: 0 })));
    expect(problems.map((p) => p.attribute)).toEqual(['enabled', 'chg_qty_abs']);
  });
});

describe('stk_cd', () => {
  it.each(['005930', '039490_NX', '039490_AL', '0000J0', 'Q50001'])('accepts %j', (stkCd) => {
    expect(settingsOf(resolveWatchSettings({ stk_cd: stkCd })).stkCd).toBe(stkCd);
  });

  it.each(['5930', '0059300', '005930_KR', '005930_nx', 'abcdef', ' 005930', '005930 ', '', 5930, null])(
    'rejects %j',
    (stkCd) => {
      const problems = problemsOf(resolveWatchSettings({ stk_cd: stkCd }));
      expect(problems.map((p) => p.attribute)).toEqual(['stk_cd']);
    },
  );

  it('rejects an item without stk_cd, saying so', () => {
    const result = resolveWatchSettings({ limit_exh_rt_above: 49 });
    expect(problemsOf(result)).toEqual([{ attribute: 'stk_cd', message: 'is missing' }]);
  });

  it('explains what a stock code looks like', () => {
    expect(problemsOf(resolveWatchSettings({ stk_cd: '5930' }))[0]?.message).toBe(
      '"5930" is not a stock code (6 digits or capital letters, optionally _NX or _AL)',
    );
  });

  it('refuses to resolve the defaults item as if it were a code', () => {
    const problems = problemsOf(resolveWatchSettings(defaultsItem()));
    expect(problems).toEqual([{ attribute: 'stk_cd', message: '"*" holds defaults, not a stock code' }]);
  });
});

describe('enabled', () => {
  it.each([
    [true, true],
    [false, false],
    ['true', true],
    ['false', false],
    [' FALSE ', false],
  ])('reads %j as %j', (value, expected) => {
    expect(settingsOf(resolveWatchSettings(item({ enabled: value }))).enabled).toBe(expected);
  });

  it.each(['yes', 1, 'off'])('rejects %j, naming enabled', (value) => {
    const problems = problemsOf(resolveWatchSettings(item({ enabled: value })));
    expect(problems.map((p) => p.attribute)).toEqual(['enabled']);
  });
});

describe('name', () => {
  it('is trimmed', () => {
    expect(settingsOf(resolveWatchSettings(item({ name: '  삼성전자 ' }))).name).toBe('삼성전자');
  });

  it('may be 40 characters of Korean text', () => {
    const name = '가'.repeat(40);
    expect(settingsOf(resolveWatchSettings(item({ name }))).name).toBe(name);
  });

  it('may not be longer than 40 characters', () => {
    const problems = problemsOf(resolveWatchSettings(item({ name: 'x'.repeat(41) })));
    expect(problems[0]?.message).toMatch(/is longer than 40 characters$/);
  });

  it('is left out when blank', () => {
    expect(settingsOf(resolveWatchSettings(item({ name: '   ' })))).not.toHaveProperty('name');
  });

  it('must be text', () => {
    expect(problemsOf(resolveWatchSettings(item({ name: 5930 })))).toEqual([
      { attribute: 'name', message: '5930 is not text' },
    ]);
  });

  it('refuses an escape sequence that would clear the terminal, naming the character', () => {
    expect(problemsOf(resolveWatchSettings(item({ name: '삼성전자\u001b[2J' })))).toEqual([
      {
        attribute: 'name',
        message: '"삼성전자\\u001b[2J" contains U+001B, a control or invisible formatting character (it could rewrite a terminal or disguise an alert)',
      },
    ]);
  });

  it('refuses a right-to-left override that would spoof a subject', () => {
    const [problem] = problemsOf(resolveWatchSettings(item({ name: '삼성\u202E자전' })));
    expect([problem?.attribute, problem?.message.includes('contains U+202E'), problem?.message.includes('\u202E')]).toEqual([
      'name',
      true,
      false,
    ]);
  });

  it.each([
    ['a line break', '삼성\n전자'],
    ['a trailing line break', '삼성전자\n'],
    ['a zero-width space', '삼성\u200B전자'],
    ['a C1 control', '삼성\u009B2J'],
    ['a lone surrogate', '삼성\uD800'],
  ])('refuses %s', (_, name) => {
    expect(problemsOf(resolveWatchSettings(item({ name }))).map((p) => p.attribute)).toEqual(['name']);
  });

  it('counts its length as SMS and subjects do, in UTF-16 units', () => {
    const problems = problemsOf(resolveWatchSettings(item({ name: '📈'.repeat(21) })));
    expect(problems[0]?.message).toMatch(/is longer than 40 characters$/);
  });
});

describe('limit_exh_rt_above and limit_exh_rt_below', () => {
  it.each<[unknown, number[]]>([
    [49, [4900]],
    ['49', [4900]],
    [' 49 ', [4900]],
    [[49, 49.5], [4900, 4950]],
    [['49', '49.5'], [4900, 4950]],
    ['49,49.5', [4900, 4950]],
    ['49.5, 49', [4900, 4950]],
    [[49, '49.00', 49], [4900]],
    [new Set([49.5, 49]), [4900, 4950]],
    [0.29, [29]],
    [49.12, [4912]],
    ['0.5', [50]],
    ['+49', [4900]],
    [0.01, [1]],
    [100, [10000]],
    ['', []],
    [null, []],
    [[], []],
  ])('reads limit_exh_rt_above %j as %j basis points', (value, expected) => {
    expect(settingsOf(resolveWatchSettings(item({ limit_exh_rt_above: value }))).aboveBp).toEqual(expected);
  });

  it('reads limit_exh_rt_below the same way', () => {
    const settings = settingsOf(resolveWatchSettings(item({ limit_exh_rt_below: '30,25.5' })));
    expect(settings.belowBp).toEqual([2550, 3000]);
  });

  it.each<[unknown, string]>([
    ['49.123', '"49.123" has more than two decimals'],
    [49.123, '49.123 has more than two decimals'],
    [1e-7, '1e-7 has more than two decimals'],
    ['49,49.123', '"49.123" has more than two decimals'],
    [-1, '-1 must be more than 0 and at most 100'],
    ['100.01', '"100.01" must be more than 0 and at most 100'],
    [0, '0 must be more than 0 and at most 100'],
    ['0', '"0" must be more than 0 and at most 100'],
    ['-0', '"-0" must be more than 0 and at most 100'],
    ['0.00', '"0.00" must be more than 0 and at most 100'],
    ['.5', '".5" is not a number: write a digit before the point (0.5)'],
    ['49.', '"49." is not a number: write digits after the point or none (49)'],
    ['abc', '"abc" is not a number'],
    ['49,,50', '"" is not a number'],
    ['49;50', '"49;50" is not a number'],
    ['49%', '"49%" is not a number'],
    [Number.NaN, 'NaN is not a number'],
    [true, 'true is not a number'],
    [{ N: '49' }, 'a object is not a number'],
  ])('rejects limit_exh_rt_above %j: %s', (value, message) => {
    expect(problemsOf(resolveWatchSettings(item({ limit_exh_rt_above: value })))).toEqual([
      { attribute: 'limit_exh_rt_above', message },
    ]);
  });

  it('holds at most 20 thresholds a side', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => 50 + i);
    expect(settingsOf(resolveWatchSettings(item({ limit_exh_rt_above: twenty }))).aboveBp).toHaveLength(20);
    expect(problemsOf(resolveWatchSettings(item({ limit_exh_rt_below: [...twenty, 70].join(',') })))).toEqual([
      { attribute: 'limit_exh_rt_below', message: 'has 21 thresholds; an item holds at most 20 a side' },
    ]);
  });

  it('names limit_exh_rt_below when that is the bad one', () => {
    const problems = problemsOf(resolveWatchSettings(item({ limit_exh_rt_above: 49, limit_exh_rt_below: '-5' })));
    expect(problems.map((p) => p.attribute)).toEqual(['limit_exh_rt_below']);
  });

  it('converts every two-decimal percentage to basis points exactly, as a number or as text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (bp) => {
        const asNumber = bp / 100;
        const asText = `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;
        const settings = settingsOf(resolveWatchSettings(item({ limit_exh_rt_above: asNumber, limit_exh_rt_below: asText })));
        expect([settings.aboveBp, settings.belowBp]).toEqual([[bp], [bp]]);
      }),
    );
  });
});

describe('limit_exh_rt_move_pp', () => {
  it.each<[unknown, number | null]>([
    [1.5, 150],
    ['0.5', 50],
    [0.01, 1],
    [null, null],
    ['', null],
  ])('reads %j as %j basis points', (value, expected) => {
    expect(settingsOf(resolveWatchSettings(item({ limit_exh_rt_move_pp: value }))).moveBp).toBe(expected);
  });

  it.each<[unknown, string]>([
    [0, '0 must be more than 0 and at most 100'],
    [-1, '-1 must be more than 0 and at most 100'],
    ['1.234', '"1.234" has more than two decimals'],
  ])('rejects %j: %s', (value, message) => {
    expect(problemsOf(resolveWatchSettings(item({ limit_exh_rt_move_pp: value })))).toEqual([
      { attribute: 'limit_exh_rt_move_pp', message },
    ]);
  });
});

describe('chg_qty_abs', () => {
  it.each<[unknown, number | null]>([
    [1_000_000, 1_000_000],
    ['1000000', 1_000_000],
    ['1,000,000', 1_000_000],
    [' 250000 ', 250_000],
    [null, null],
    ['', null],
  ])('reads %j as %j shares', (value, expected) => {
    expect(settingsOf(resolveWatchSettings(item({ chg_qty_abs: value }))).chgQtyAbs).toBe(expected);
  });

  it.each<[unknown, string]>([
    [0, '0 must be positive'],
    [-5, '-5 must be positive'],
    ['-5', '"-5" must be positive'],
    [1.5, '1.5 is not a whole number of shares'],
    ['1.5', '"1.5" is not a whole number of shares'],
    ['1,00,000', '"1,00,000" is not a whole number of shares'],
    [2 ** 53, '9007199254740992 is too large'],
    ['abc', '"abc" is not a whole number of shares'],
  ])('rejects %j: %s', (value, message) => {
    expect(problemsOf(resolveWatchSettings(item({ chg_qty_abs: value })))).toEqual([
      { attribute: 'chg_qty_abs', message },
    ]);
  });
});

describe('hysteresis_pp and frgnr_limit_change', () => {
  it.each<[unknown, number]>([
    [0.5, 50],
    ['0.25', 25],
    [0, 0],
  ])('reads hysteresis_pp %j as %d basis points', (value, expected) => {
    expect(settingsOf(resolveWatchSettings(item({ hysteresis_pp: value }))).hysteresisBp).toBe(expected);
  });

  it.each<[unknown, string]>([
    [-0.1, '-0.1 must be between 0 and 100'],
    ['-0', '"-0" must be between 0 and 100'],
  ])('rejects the hysteresis %j', (value, message) => {
    expect(problemsOf(resolveWatchSettings(item({ hysteresis_pp: value })))).toEqual([{ attribute: 'hysteresis_pp', message }]);
  });

  it.each([
    [false, false],
    ['false', false],
    [true, true],
  ])('reads frgnr_limit_change %j as %j', (value, expected) => {
    expect(settingsOf(resolveWatchSettings(item({ frgnr_limit_change: value }))).frgnrLimitChange).toBe(expected);
  });

  it('rejects a frgnr_limit_change that is not a boolean', () => {
    const problems = problemsOf(resolveWatchSettings(item({ frgnr_limit_change: 'sometimes' })));
    expect(problems.map((p) => p.attribute)).toEqual(['frgnr_limit_change']);
  });
});

describe('inheritance from the * item', () => {
  const defaults = defaultsItem({
    limit_exh_rt_above: 49,
    limit_exh_rt_below: 45,
    chg_qty_abs: 1_000_000,
    hysteresis_pp: 0.5,
  });

  it('fills every attribute the item leaves out', () => {
    expect(settingsOf(resolveWatchSettings(item(), defaults))).toEqual({
      ...BARE_SETTINGS,
      aboveBp: [4900],
      belowBp: [4500],
      chgQtyAbs: 1_000_000,
      hysteresisBp: 50,
    });
  });

  it("lets the item's own attribute win over the default", () => {
    expect(settingsOf(resolveWatchSettings(item({ limit_exh_rt_above: 30 }), defaults)).aboveBp).toEqual([3000]);
  });

  it('merges attribute by attribute, not item by item', () => {
    const settings = settingsOf(resolveWatchSettings(item({ limit_exh_rt_above: 30 }), defaults));
    expect([settings.aboveBp, settings.belowBp]).toEqual([[3000], [4500]]);
  });

  it('switches an inherited rule off with an explicit null', () => {
    expect(settingsOf(resolveWatchSettings(item({ chg_qty_abs: null }), defaults)).chgQtyAbs).toBeNull();
  });

  it('switches inherited thresholds off with an empty string', () => {
    expect(settingsOf(resolveWatchSettings(item({ limit_exh_rt_above: '' }), defaults)).aboveBp).toEqual([]);
  });

  it('inherits enabled when the item holds null there', () => {
    const settings = settingsOf(resolveWatchSettings(item({ enabled: null }), defaultsItem({ enabled: false })));
    expect(settings.enabled).toBe(false);
  });

  it('never inherits a name', () => {
    expect(settingsOf(resolveWatchSettings(item(), defaultsItem({ name: '기본값' })))).not.toHaveProperty('name');
  });

  it('reads string forms typed into the defaults item', () => {
    const settings = settingsOf(resolveWatchSettings(item(), defaultsItem({ frgnr_limit_change: 'false' })));
    expect(settings.frgnrLimitChange).toBe(false);
  });

  it('reports a bad default as inherited from the * item, under the code it spoils', () => {
    const result = resolveWatchSettings(item(), defaultsItem({ limit_exh_rt_above: '49.123' }));
    expect(result).toEqual({
      ok: false,
      stkCd: STK,
      problems: [
        {
          attribute: 'limit_exh_rt_above',
          message: '"49.123" has more than two decimals (inherited from watchlist item *)',
        },
      ],
    });
  });

  it('ignores a bad default the item overrides', () => {
    const result = resolveWatchSettings(item({ limit_exh_rt_above: 49 }), defaultsItem({ limit_exh_rt_above: 'x' }));
    expect(settingsOf(result).aboveBp).toEqual([4900]);
  });
});

describe('validateDefaultsItem', () => {
  it('accepts the * item with its settings', () => {
    const settings = settingsOf(validateDefaultsItem(defaultsItem({ limit_exh_rt_above: '49,50' })));
    expect(settings).toMatchObject({ stkCd: DEFAULTS_KEY, aboveBp: [4900, 5000] });
  });

  it('names the bad attribute of the * item', () => {
    const result = validateDefaultsItem(defaultsItem({ hysteresis_pp: -1 }));
    expect(result).toEqual({
      ok: false,
      stkCd: DEFAULTS_KEY,
      problems: [{ attribute: 'hysteresis_pp', message: '-1 must be between 0 and 100' }],
    });
  });

  it('rejects an item that is not the * item', () => {
    expect(problemsOf(validateDefaultsItem(item()))).toEqual([
      { attribute: 'stk_cd', message: '"005930" is not the defaults item "*"' },
    ]);
  });
});

describe('formatWatchProblems', () => {
  it('writes one line naming the item, the attribute and the value', () => {
    const result = resolveWatchSettings(item({ limit_exh_rt_above: '49.123' }));
    expect(result.ok ? '' : formatWatchProblems(result)).toBe(
      'watchlist item 005930: limit_exh_rt_above "49.123" has more than two decimals',
    );
  });

  it('joins several problems with semicolons', () => {
    const result = resolveWatchSettings(item({ enabled: 'yes', chg_qty_abs: 0 }));
    expect(result.ok ? '' : formatWatchProblems(result)).toBe(
      'watchlist item 005930: enabled "yes" is not true or false; chg_qty_abs 0 must be positive',
    );
  });

  it('says when an item has no stk_cd', () => {
    const result = resolveWatchSettings({});
    expect(result.ok ? '' : formatWatchProblems(result)).toBe('watchlist item (no stk_cd): stk_cd is missing');
  });
});

describe('toWatchItem', () => {
  it('writes every attribute under its stored name', () => {
    expect(
      toWatchItem({
        stkCd: STK,
        enabled: false,
        name: ' 삼성전자 ',
        limitExhRtAbove: [49.5, 49],
        limitExhRtBelow: 45,
        limitExhRtMovePp: 1.5,
        chgQtyAbs: 1_000_000,
        hysteresisPp: 0.25,
        frgnrLimitChange: false,
      }),
    ).toEqual({
      stk_cd: STK,
      enabled: false,
      name: '삼성전자',
      limit_exh_rt_above: [49, 49.5],
      limit_exh_rt_below: 45,
      limit_exh_rt_move_pp: 1.5,
      chg_qty_abs: 1_000_000,
      hysteresis_pp: 0.25,
      frgnr_limit_change: false,
    });
  });

  it('leaves out what the input leaves out, so the code inherits it', () => {
    expect(toWatchItem({ stkCd: STK })).toEqual({ stk_cd: STK });
  });

  it('writes null for a rule switched off', () => {
    expect(toWatchItem({ stkCd: STK, limitExhRtAbove: null, chgQtyAbs: null })).toEqual({
      stk_cd: STK,
      limit_exh_rt_above: null,
      chg_qty_abs: null,
    });
  });

  it('writes the defaults item', () => {
    expect(toWatchItem({ stkCd: DEFAULTS_KEY, limitExhRtAbove: 49 })).toEqual({
      stk_cd: DEFAULTS_KEY,
      limit_exh_rt_above: 49,
    });
  });

  it('writes items that resolve back to the same settings', () => {
    const written = toWatchItem({ stkCd: STK, limitExhRtAbove: [49.12, 0.29], limitExhRtMovePp: 2 });
    expect(settingsOf(resolveWatchSettings({ ...written }))).toEqual({
      ...BARE_SETTINGS,
      aboveBp: [29, 4912],
      moveBp: 200,
    });
  });

  it('refuses a percentage with more than two decimals, naming the attribute', () => {
    const error = (() => {
      try {
        toWatchItem({ stkCd: STK, limitExhRtAbove: 49.123 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(WatchItemError);
    expect((error as WatchItemError).problems).toEqual([
      { attribute: 'limit_exh_rt_above', message: '49.123 has more than two decimals' },
    ]);
  });

  it('refuses a bad stock code', () => {
    expect(() => toWatchItem({ stkCd: '5930' })).toThrow(
      'watchlist item 5930: stk_cd "5930" is not a stock code (6 digits or capital letters, optionally _NX or _AL)',
    );
  });
});

describe('watchItemSchema', () => {
  it('is the one schema behind the settings', () => {
    expect(watchItemSchema.parse(item({ limit_exh_rt_above: '49' }))).toEqual({ ...BARE_SETTINGS, aboveBp: [4900] });
  });
});
