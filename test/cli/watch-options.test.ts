// The `kfa watch add` options as commander parses them, checked against the
// watchlist schema reading the same text from a stored item: the CLI and the
// table accept exactly the same forms, and refuse them with the same message.
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { resolveWatchSettings, toWatchItem, WatchItemError } from '../../functions/domain/watchlist.ts';
import { parseDay } from '../../cli/exit.ts';
import { addAlertHabitOptions, addThresholdOptions, itemFromOptions } from '../../cli/commands/watch.ts';

const STK = '005930';

/** What `kfa watch add 005930 <args>` would save: the stored attributes, or the error it exits 2 with. */
function viaCli(args: string[]): { saved: Record<string, unknown> } | { error: string } {
  let captured: Record<string, unknown> | undefined;
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const add = addThresholdOptions(addAlertHabitOptions(program.command('add <stk_cd>')), { forItem: true });
  add.exitOverride().action((stkCd: string, options: Record<string, unknown>) => {
    captured = { stkCd, options };
  });
  const argv = ['add', STK, ...args];
  try {
    program.parse(argv, { from: 'user' });
    const { stkCd, options } = captured as { stkCd: string; options: Parameters<typeof itemFromOptions>[1] };
    return { saved: { ...toWatchItem(itemFromOptions(stkCd, options, argv)) } };
  } catch (error) {
    if (error instanceof WatchItemError || error instanceof CommanderError) return { error: error.message };
    throw error;
  }
}

/** The same text stored in the table under `attribute`, as the scan reads it. */
function viaTable(attribute: string, text: string): { ok: true; settings: unknown } | { error: string } {
  const result = resolveWatchSettings({ stk_cd: STK, [attribute]: text });
  return result.ok ? { ok: true, settings: result.settings } : { error: result.problems.map((p) => `${p.attribute} ${p.message}`).join('; ') };
}

const FORMS = ['49', '49.5', '49.50', '+49', '049', ' 49 ', '49.', '.5', '-0', '0', '0.00', '-5', '49.123', '49,49.5', '1e2', '49%', '100', '100.01'];

describe('threshold forms: the CLI and the schema agree', () => {
  it.each(FORMS)('--above %j', (typed) => {
    const cli = viaCli(['--above', typed]);
    const table = viaTable('limit_exh_rt_above', typed);
    if ('error' in table) {
      expect(cli).toEqual({ error: expect.stringContaining(table.error) });
    } else {
      expect(cli).toEqual({ saved: expect.objectContaining({ stk_cd: STK }) });
      const saved = 'saved' in cli ? cli.saved : {};
      expect(resolveWatchSettings(saved)).toEqual(resolveWatchSettings({ stk_cd: STK, limit_exh_rt_above: typed }));
    }
  });

  it.each(['49.', '.5'])('refuses %j for --move-pp and --hysteresis-pp as the schema does', (typed) => {
    expect([viaCli(['--move-pp', typed]), viaCli(['--hysteresis-pp', typed])]).toEqual([
      { error: expect.stringContaining(`limit_exh_rt_move_pp ${JSON.stringify(typed)} is not a number`) },
      { error: expect.stringContaining(`hysteresis_pp ${JSON.stringify(typed)} is not a number`) },
    ]);
  });

  it('takes shares as typed with thousands separators, as a stored item may hold them', () => {
    expect(viaCli(['--chg-qty', '10,000,000'])).toEqual({ saved: { stk_cd: STK, chg_qty_abs: 10_000_000 } });
  });

  it('refuses more than 20 thresholds a side, naming the attribute', () => {
    const many = Array.from({ length: 21 }, (_, i) => String(50 + i)).join(',');
    expect(viaCli(['--below', many])).toEqual({ error: expect.stringContaining('limit_exh_rt_below has 21 thresholds') });
  });

  it('refuses a name with an escape sequence, naming the attribute', () => {
    expect(viaCli(['--name', 'x\u001b]52;c;aGk=\u0007'])).toEqual({ error: expect.stringMatching(/name ".*" contains U\+001B, U\+0007, /) });
  });
});

describe('day forms: the CLI and the schema agree', () => {
  it.each(['20241105', '2024-11-05', '2024-1-1-05', '2024-11-5', '2024/11/05', '20241131'])('%j', (typed) => {
    const table = viaTable('snooze_until', typed);
    let cli: string;
    try {
      cli = parseDay(typed);
    } catch (error) {
      cli = `error: ${(error as Error).message}`;
    }
    if ('error' in table) expect(cli).toMatch(/^error: /);
    else expect(cli).toBe((table.settings as { snoozeUntil: string }).snoozeUntil);
  });
});
