// The five newer Watchlist attributes: confirm_days, remind_every_days,
// snooze_until, exhaustion_days, subject_template.
import { describe, expect, it } from 'vitest';
import type { WatchSettings } from '../../functions/domain/types.ts';
import {
  DEFAULTS_KEY,
  resolveWatchSettings,
  toWatchItem,
  validateDefaultsItem,
  WatchItemError,
} from '../../functions/domain/watchlist.ts';
import { problemsOf, settingsOf } from '../support/domain-fixtures.ts';

const STK = '017670';

function item(attributes: Record<string, unknown> = {}): Record<string, unknown> {
  return { stk_cd: STK, ...attributes };
}

describe('defaults', () => {
  it('adds none of the newer settings to an item that does not set them', () => {
    const settings = settingsOf(resolveWatchSettings(item({ limit_exh_rt_above: 49 })));
    expect(Object.keys(settings).sort()).toEqual(
      ['aboveBp', 'belowBp', 'chgQtyAbs', 'enabled', 'frgnrLimitChange', 'hysteresisBp', 'moveBp', 'stkCd'],
    );
  });
});

describe.each(['confirm_days', 'remind_every_days', 'exhaustion_days'] as const)('%s', (attribute) => {
  const fields = { confirm_days: 'confirmDays', remind_every_days: 'remindEveryDays', exhaustion_days: 'exhaustionDays' } as const;
  const field: keyof WatchSettings = fields[attribute];

  it.each([
    [3, 3],
    ['3', 3],
    [' 20 ', 20],
  ])('reads %j as %d trading days', (value, expected) => {
    expect(settingsOf(resolveWatchSettings(item({ [attribute]: value })))[field]).toBe(expected);
  });

  it.each([
    [0, 'must be at least 1'],
    [1.5, 'is not a whole number of trading days'],
    ['three', 'is not a whole number of trading days'],
    ['-2', 'is not a whole number of trading days'],
  ])('refuses %j, naming the attribute', (value, message) => {
    expect(problemsOf(resolveWatchSettings(item({ [attribute]: value })))).toEqual([
      { attribute, message: `${JSON.stringify(value)} ${message}` },
    ]);
  });

  it('is inherited from the * item', () => {
    expect(settingsOf(resolveWatchSettings(item(), { stk_cd: DEFAULTS_KEY, [attribute]: 5 }))[field]).toBe(5);
  });
});

describe('remind_every_days and exhaustion_days switched off per code', () => {
  it('lets an explicit null on the item override the * item', () => {
    const defaults = { stk_cd: DEFAULTS_KEY, remind_every_days: 5, exhaustion_days: 10 };
    const settings = settingsOf(resolveWatchSettings(item({ remind_every_days: null, exhaustion_days: '' }), defaults));
    expect([settings.remindEveryDays, settings.exhaustionDays]).toEqual([undefined, undefined]);
  });
});

describe('snooze_until', () => {
  it('reads a day as YYYYMMDD, typed with or without dashes', () => {
    expect([
      settingsOf(resolveWatchSettings(item({ snooze_until: '20250310' }))).snoozeUntil,
      settingsOf(resolveWatchSettings(item({ snooze_until: '2025-03-10' }))).snoozeUntil,
      settingsOf(resolveWatchSettings(item({ snooze_until: 20250310 }))).snoozeUntil,
    ]).toEqual(['20250310', '20250310', '20250310']);
  });

  it('refuses a day that is not on the calendar', () => {
    expect(problemsOf(resolveWatchSettings(item({ snooze_until: '20250230' })))).toEqual([
      { attribute: 'snooze_until', message: '"20250230" is not a calendar day' },
    ]);
  });

  it('refuses text that is not a day', () => {
    expect(problemsOf(resolveWatchSettings(item({ snooze_until: 'next week' })))).toEqual([
      { attribute: 'snooze_until', message: '"next week" is not a day (YYYYMMDD or YYYY-MM-DD)' },
    ]);
  });

  it.each(['2024-1-1-05', '2024-11-5', '2024-1105', '202411-05', '2024/11/05', '2024--11-05', '20241105-', ' 2024 11 05'])(
    'refuses %j rather than guess which day it means',
    (typed) => {
      expect(problemsOf(resolveWatchSettings(item({ snooze_until: typed })))).toEqual([
        { attribute: 'snooze_until', message: `${JSON.stringify(typed)} is not a day (YYYYMMDD or YYYY-MM-DD)` },
      ]);
    },
  );

  it('snoozes every code when the * item sets it', () => {
    expect(settingsOf(resolveWatchSettings(item(), { stk_cd: DEFAULTS_KEY, snooze_until: '20250310' })).snoozeUntil).toBe('20250310');
  });
});

describe('subject_template', () => {
  it('keeps a template that uses only known placeholders', () => {
    const template = '[{rule}] {name} {value}';
    expect(settingsOf(resolveWatchSettings(item({ subject_template: template }))).subjectTemplate).toBe(template);
  });

  it('refuses an unknown placeholder, naming the attribute and the placeholder', () => {
    expect(problemsOf(resolveWatchSettings(item({ subject_template: '{name} {price}' })))).toEqual([
      { attribute: 'subject_template', message: 'has unknown placeholder {price} (known: {stk_cd} {name} {rule} {value} {dt})' },
    ]);
  });

  it('refuses an unmatched brace', () => {
    expect(problemsOf(resolveWatchSettings(item({ subject_template: '{name alert' })))).toEqual([
      { attribute: 'subject_template', message: 'has an unmatched { or }' },
    ]);
  });

  it('refuses a template that cannot fit a subject with the longest values, saying by how much', () => {
    expect(problemsOf(resolveWatchSettings(item({ subject_template: '{name}({stk_cd}) {rule} {value} {dt}' })))).toEqual([
      {
        attribute: 'subject_template',
        message:
          'is 9 characters too long: filled with the longest values (a 40-character {name}, {value} "-99,999,999,999주") ' +
          'behind the [kfa][정정][재발송] tags it makes a 108-character subject, and a subject may have 99',
      },
    ]);
  });

  it.each(['{name}({stk_cd}) {rule} {value}', '{name} {rule} {value} {dt}', '[kfa] {name} {rule} {value} {dt}'])(
    'keeps %j, which fits with the longest values',
    (template) => {
      expect(settingsOf(resolveWatchSettings(item({ subject_template: template }))).subjectTemplate).toBe(template);
    },
  );

  it.each([
    ['a right-to-left override', '{name} \u202E{value}', 'U+202E'],
    ['a line break', '{name}\n{value}', 'U+000A'],
    ['an escape', '\u001b]52;c;aGk=\u0007{name}', 'U+001B, U+0007'],
  ])('refuses %s, naming the character', (_, template, named) => {
    const [problem] = problemsOf(resolveWatchSettings(item({ subject_template: template })));
    expect([problem?.attribute, problem?.message.includes(`contains ${named}, `)]).toEqual(['subject_template', true]);
  });

  it('refuses a template longer than 200 characters', () => {
    expect(problemsOf(resolveWatchSettings(item({ subject_template: 'x'.repeat(201) })))).toEqual([
      { attribute: 'subject_template', message: 'is longer than 200 characters' },
    ]);
  });

  it('names the * item when the bad template is inherited', () => {
    const [problem] = problemsOf(resolveWatchSettings(item(), { stk_cd: DEFAULTS_KEY, subject_template: '{oops}' }));
    expect(problem?.message).toMatch(/\(inherited from watchlist item \*\)$/);
  });

  it('is checked on the defaults item itself', () => {
    expect(problemsOf(validateDefaultsItem({ stk_cd: DEFAULTS_KEY, subject_template: '{x}' })).map((p) => p.attribute)).toEqual([
      'subject_template',
    ]);
  });
});

describe('toWatchItem', () => {
  it('writes the newer attributes under their stored names', () => {
    expect(
      toWatchItem({
        stkCd: STK,
        confirmDays: 2,
        remindEveryDays: 5,
        snoozeUntil: '2025-03-10',
        exhaustionDays: 20,
        subjectTemplate: ' {name} {value} ',
      }),
    ).toEqual({
      stk_cd: STK,
      confirm_days: 2,
      remind_every_days: 5,
      snooze_until: '20250310',
      exhaustion_days: 20,
      subject_template: '{name} {value}',
    });
  });

  it('refuses a bad template at save time', () => {
    expect(() => toWatchItem({ stkCd: STK, subjectTemplate: '{nmae}' })).toThrow(WatchItemError);
  });

  it('writes items that resolve back to the same settings', () => {
    const written = toWatchItem({ stkCd: STK, confirmDays: 3, exhaustionDays: 10 });
    expect(settingsOf(resolveWatchSettings({ ...written }))).toMatchObject({ confirmDays: 3, exhaustionDays: 10 });
  });
});
