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
import { parseNumber, parseNumberList, UsageError } from '../exit.ts';

interface ThresholdOptions {
  name?: string;
  above?: number[];
  below?: number[];
  movePp?: number;
  chgQty?: number;
  hysteresisPp?: number;
  limitChange?: boolean;
  disabled?: boolean;
  enabled?: boolean;
}

/** The threshold options shared by `watch add`, `watch defaults` and `replay`. */
export function addThresholdOptions(command: Command, { forItem }: { forItem: boolean }): Command {
  if (forItem) command.option('--name <name>', 'display name (e.g. 삼성전자)');
  command
    .option('--above <pct,…>', 'alert when the limit exhaustion rate crosses these percentages upward', parseNumberList)
    .option('--below <pct,…>', 'alert when the rate crosses these percentages downward', parseNumberList)
    .option('--move-pp <pp>', 'alert when the rate moves at least this many percentage points in a day', parseNumber)
    .option('--chg-qty <shares>', 'alert when |chg_qty| is at least this many shares', parseNumber)
    .option('--hysteresis-pp <pp>', 're-arm a crossed threshold only after the rate closes this far back', parseNumber)
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
    watch
      .command('add <stk_cd>')
      .description('add a code or update its settings (only the options given change)'),
    { forItem: true },
  ).action(async (stkCd: string, options: ThresholdOptions) => {
    const { watchlist } = cliContext();
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
    watch.command('defaults').description(`set the defaults item "${DEFAULTS_KEY}" that every code inherits`),
    { forItem: false },
  ).action(async (options: ThresholdOptions) => {
    const { watchlist } = cliContext();
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
      const { watchlist } = cliContext();
      const items = await watchlist.list();
      const defaults = items.find((i) => i.stk_cd === DEFAULTS_KEY);
      const rows = items
        .filter((i) => i.stk_cd !== DEFAULTS_KEY)
        .sort((a, b) => String(a.stk_cd).localeCompare(String(b.stk_cd)))
        .map((item) => ({ item, resolved: resolveWatchSettings(item, defaults) }));
      if (options.json) {
        const out = {
          defaults: defaults ?? null,
          items: rows.map(({ item, resolved }) => ({
            item,
            valid: resolved.ok,
            settings: resolved.ok ? resolved.settings : null,
            problems: resolved.ok ? [] : resolved.problems,
          })),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      if (defaults) process.stdout.write(`*        defaults: ${JSON.stringify(stripKey(defaults))}\n`);
      if (rows.length === 0) say('the watchlist is empty: add a code with "kfa watch add 005930 --above 49"');
      for (const { item, resolved } of rows) {
        const text = resolved.ok ? describe(resolved.settings) : `INVALID: ${formatWatchProblems(resolved)}`;
        process.stdout.write(`${String(item.stk_cd).padEnd(9)}${text}\n`);
      }
    });

  watch
    .command('remove <stk_cd>')
    .description('stop watching a code (its history and alert ledger are kept)')
    .action(async (stkCd: string) => {
      const { watchlist } = cliContext();
      const removed = await watchlist.remove(stkCd);
      if (!removed) throw new UsageError(`${stkCd} is not on the watchlist`);
      say(`removed ${stkCd}`);
    });
}

function stripKey(item: Record<string, unknown>): Record<string, unknown> {
  const { stk_cd: _key, ...rest } = item;
  return rest;
}

const pct = (bp: number): string => `${(bp / 100).toFixed(2)}%`;

/** One line of effective settings, as a person reads them. */
export function describe(s: WatchSettings): string {
  const parts: string[] = [];
  if (s.name) parts.push(s.name);
  if (!s.enabled) parts.push('(disabled)');
  if (s.aboveBp.length) parts.push(`above ${s.aboveBp.map(pct).join(',')}`);
  if (s.belowBp.length) parts.push(`below ${s.belowBp.map(pct).join(',')}`);
  if (s.moveBp !== null) parts.push(`move ≥ ${(s.moveBp / 100).toFixed(2)}pp`);
  if (s.chgQtyAbs !== null) parts.push(`|chg_qty| ≥ ${s.chgQtyAbs.toLocaleString('en-US')}`);
  if (s.hysteresisBp > 0) parts.push(`hysteresis ${(s.hysteresisBp / 100).toFixed(2)}pp`);
  parts.push(s.frgnrLimitChange ? 'limit change on' : 'limit change off');
  return parts.join(', ');
}
