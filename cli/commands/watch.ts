import { Option, type Command } from 'commander';
import {
  DEFAULTS_KEY,
  formatWatchProblems,
  resolveWatchSettings,
  toWatchItem,
  validateDefaultsItem,
  WatchItemError,
  type WatchItemInput,
} from '../../functions/domain/watchlist.ts';
import type { WatchSettings } from '../../functions/domain/types.ts';
import { cliContext, say } from '../context.ts';
import { cell, out } from '../print.ts';
import { parseDay, parseSettingText, UsageError } from '../exit.ts';

/**
 * The rule options `watch add`, `watch defaults` and `replay` share
 * (addThresholdOptions), as typed: the watchlist schema reads them.
 */
export interface RuleOptions {
  above?: string;
  below?: string;
  movePp?: string;
  chgQty?: string;
  hysteresisPp?: string;
  limitChange?: boolean;
}

interface ThresholdOptions extends RuleOptions {
  name?: string;
  disabled?: boolean;
  enabled?: boolean;
  confirmDays?: string;
  remindEveryDays?: string;
  exhaustionDays?: string;
  subjectTemplate?: string;
}

/**
 * The alert-habit options of `watch add` and `watch defaults` (confirm_days,
 * remind_every_days, exhaustion_days, subject_template); kept apart from
 * addThresholdOptions so `replay` takes only what it uses.
 */
export function addAlertHabitOptions(command: Command): Command {
  return command
    .option('--confirm-days <n>', 'count a crossing only after the rate stays past the threshold this many trading days', parseSettingText)
    .option('--remind-every-days <n>', 'remind every n trading days while the rate stays past a crossed threshold', parseSettingText)
    .option('--exhaustion-days <n>', 'alert when foreign room runs out within n trading days at the 20-day pace', parseSettingText)
    .option('--subject-template <text>', 'email subject with {stk_cd} {name} {rule} {value} {dt}');
}

/** The threshold options shared by `watch add`, `watch defaults` and `replay`. */
export function addThresholdOptions(command: Command, { forItem }: { forItem: boolean }): Command {
  if (forItem) command.option('--name <name>', 'display name (e.g. 삼성전자)');
  command
    .option('--above <pct,…>', 'alert when the limit exhaustion rate crosses these percentages upward', parseSettingText)
    .option('--below <pct,…>', 'alert when the rate crosses these percentages downward', parseSettingText)
    .option('--move-pp <pp>', 'alert when the rate moves at least this many percentage points in a day', parseSettingText)
    .option('--chg-qty <shares>', 'alert when |chg_qty| is at least this many shares', parseSettingText)
    .option('--hysteresis-pp <pp>', 're-arm a crossed threshold only after the rate closes this far back', parseSettingText)
    .option('--no-limit-change', 'no alert when the foreign limit (frgnr_limit) changes');
  if (forItem) {
    command.addOption(new Option('--disabled', 'keep the item but do not scan it'));
    command.addOption(new Option('--enabled', 'scan the item (the default)').conflicts('disabled'));
  }
  return command;
}

/** Options → a Watchlist item; only what the user gave is set (the rest inherits from `*`). */
export function itemFromOptions(stkCd: string, options: ThresholdOptions, argv: string[]): WatchItemInput {
  const input: WatchItemInput = { stkCd };
  if (options.name !== undefined) input.name = options.name;
  if (options.above !== undefined) input.limitExhRtAbove = options.above;
  if (options.below !== undefined) input.limitExhRtBelow = options.below;
  if (options.movePp !== undefined) input.limitExhRtMovePp = options.movePp;
  if (options.chgQty !== undefined) input.chgQtyAbs = options.chgQty;
  if (options.hysteresisPp !== undefined) input.hysteresisPp = options.hysteresisPp;
  // commander sets limitChange=true by default; only an explicit --no-limit-change counts.
  if (argv.includes('--no-limit-change')) input.frgnrLimitChange = false;
  if (options.disabled) input.enabled = false;
  if (options.enabled) input.enabled = true;
  if (options.confirmDays !== undefined) input.confirmDays = options.confirmDays;
  if (options.remindEveryDays !== undefined) input.remindEveryDays = options.remindEveryDays;
  if (options.exhaustionDays !== undefined) input.exhaustionDays = options.exhaustionDays;
  if (options.subjectTemplate !== undefined) input.subjectTemplate = options.subjectTemplate;
  return input;
}

function validated(input: WatchItemInput): Record<string, unknown> {
  try {
    return { ...toWatchItem(input) };
  } catch (error) {
    if (error instanceof WatchItemError) throw new UsageError(error.message);
    throw error;
  }
}

export function registerWatchCommands(program: Command): void {
  const watch = program.command('watch').description('edit the watchlist (DynamoDB Watchlist table)');

  addThresholdOptions(
    addAlertHabitOptions(
      watch.command('add <stk_cd>').description('add a code or update its settings (only the options given change)'),
    ),
    { forItem: true },
  ).action(async (stkCd: string, options: ThresholdOptions) => {
    const { watchlist } = await cliContext();
    const changes = validated(itemFromOptions(stkCd, options, process.argv));
    const existing = (await watchlist.get(stkCd)) ?? {};
    const merged: Record<string, unknown> = { ...existing, ...changes };
    for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
    const defaults = await watchlist.get(DEFAULTS_KEY);
    const resolved = resolveWatchSettings(merged, defaults);
    if (!resolved.ok) throw new UsageError(formatWatchProblems(resolved));
    await watchlist.put(merged);
    say(`${existing.stk_cd ? 'updated' : 'added'} ${stkCd}: ${describe(resolved.settings)}`);
  });

  addThresholdOptions(
    addAlertHabitOptions(
      watch.command('defaults').description(`set the defaults item "${DEFAULTS_KEY}" that every code inherits`),
    ),
    { forItem: false },
  ).action(async (options: ThresholdOptions) => {
    const { watchlist } = await cliContext();
    // Validate the defaults as a code item would be, then store them under "*".
    const changes = validated(itemFromOptions('000000', options, process.argv));
    delete changes.stk_cd;
    const existing = (await watchlist.get(DEFAULTS_KEY)) ?? {};
    const merged: Record<string, unknown> = { ...existing, ...changes, stk_cd: DEFAULTS_KEY };
    for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
    const result = validateDefaultsItem(merged);
    if (!result.ok) throw new UsageError(formatWatchProblems(result));
    await watchlist.put(merged);
    say(`defaults: ${describe(result.settings)}`);
  });

  watch
    .command('list')
    .description('show every watched code with its effective settings')
    .option('--json', 'print the items and their effective settings as JSON')
    .action(async (options: { json?: boolean }) => {
      const { watchlist } = await cliContext();
      const items = await watchlist.list();
      const defaults = items.find((i) => i.stk_cd === DEFAULTS_KEY);
      const rows = items
        .filter((i) => i.stk_cd !== DEFAULTS_KEY)
        .sort((a, b) => String(a.stk_cd).localeCompare(String(b.stk_cd)))
        .map((item) => ({ item, resolved: resolveWatchSettings(item, defaults) }));
      if (options.json) {
        const listing = {
          defaults: defaults ?? null,
          items: rows.map(({ item, resolved }) => ({
            item,
            valid: resolved.ok,
            settings: resolved.ok ? resolved.settings : null,
            problems: resolved.ok ? [] : resolved.problems,
          })),
        };
        out(`${JSON.stringify(listing, null, 2)}\n`);
        return;
      }
      if (defaults) out(`*        defaults: ${JSON.stringify(stripKey(defaults))}\n`);
      if (rows.length === 0) say('the watchlist is empty: add a code with "kfa watch add 005930 --above 49"');
      for (const { item, resolved } of rows) {
        const text = resolved.ok ? describe(resolved.settings) : `INVALID: ${formatWatchProblems(resolved)}`;
        out(`${cell(String(item.stk_cd)).padEnd(9)}${text}\n`);
      }
    });

  watch
    .command('snooze <stk_cd>')
    .description(`publish no alert for a code (or "${DEFAULTS_KEY}": every code) through a day; they are recorded as suppressed`)
    .requiredOption('--until <YYYYMMDD>', 'the last trading day to keep quiet', parseDay)
    .action(async (stkCd: string, options: { until: string }) => {
      const updated = await editItem(stkCd, (item) => ({ ...item, snooze_until: options.until }));
      say(`snoozed ${stkCd} through ${options.until}: ${updated}`);
    });

  watch
    .command('unsnooze <stk_cd>')
    .description('publish alerts for a code again')
    .action(async (stkCd: string) => {
      const updated = await editItem(stkCd, ({ snooze_until: _snooze, ...rest }) => rest);
      say(`unsnoozed ${stkCd}: ${updated}`);
    });

  watch
    .command('remove <stk_cd>')
    .description('stop watching a code (its history and alert ledger are kept)')
    .action(async (stkCd: string) => {
      const { watchlist } = await cliContext();
      const removed = await watchlist.remove(stkCd);
      if (!removed) throw new UsageError(`${stkCd} is not on the watchlist`);
      say(`removed ${stkCd}`);
    });
}

/** Read, change and validate one existing item (or `*`), then write it back; returns the new settings line. */
async function editItem(
  stkCd: string,
  change: (item: Record<string, unknown>) => Record<string, unknown>,
): Promise<string> {
  const { watchlist } = await cliContext();
  const existing = await watchlist.get(stkCd);
  if (!existing) {
    throw new UsageError(
      stkCd === DEFAULTS_KEY ? 'there is no defaults item yet: set one with "kfa watch defaults"' : `${stkCd} is not on the watchlist`,
    );
  }
  const next = change(existing);
  if (stkCd === DEFAULTS_KEY) {
    const result = validateDefaultsItem(next);
    if (!result.ok) throw new UsageError(formatWatchProblems(result));
    await watchlist.put(next);
    return describe(result.settings);
  }
  const resolved = resolveWatchSettings(next, await watchlist.get(DEFAULTS_KEY));
  if (!resolved.ok) throw new UsageError(formatWatchProblems(resolved));
  await watchlist.put(next);
  return describe(resolved.settings);
}

function stripKey(item: Record<string, unknown>): Record<string, unknown> {
  const { stk_cd: _key, ...rest } = item;
  return rest;
}

const pct = (bp: number): string => `${(bp / 100).toFixed(2)}%`;

/** One line of effective settings, as a person reads them. */
export function describe(s: WatchSettings): string {
  const parts: string[] = [];
  if (s.name) parts.push(cell(s.name));
  if (!s.enabled) parts.push('(disabled)');
  if (s.aboveBp.length) parts.push(`above ${s.aboveBp.map(pct).join(',')}`);
  if (s.belowBp.length) parts.push(`below ${s.belowBp.map(pct).join(',')}`);
  if (s.moveBp !== null) parts.push(`move ≥ ${(s.moveBp / 100).toFixed(2)}pp`);
  if (s.chgQtyAbs !== null) parts.push(`|chg_qty| ≥ ${s.chgQtyAbs.toLocaleString('en-US')}`);
  if (s.hysteresisBp > 0) parts.push(`hysteresis ${(s.hysteresisBp / 100).toFixed(2)}pp`);
  parts.push(s.frgnrLimitChange ? 'limit change on' : 'limit change off');
  if (s.confirmDays !== undefined && s.confirmDays > 1) parts.push(`confirm ${s.confirmDays} days`);
  if (s.remindEveryDays != null) parts.push(`remind every ${s.remindEveryDays} days`);
  if (s.exhaustionDays != null) parts.push(`exhaustion forecast ≤ ${s.exhaustionDays} days`);
  if (s.subjectTemplate != null) parts.push(`subject "${cell(s.subjectTemplate)}"`);
  if (s.snoozeUntil != null) parts.push(`snoozed through ${s.snoozeUntil}`);
  return parts.join(', ');
}
