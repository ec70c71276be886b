import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { requireScanSettings } from '../../functions/config.ts';
import { DEFAULTS_KEY, formatWatchProblems, resolveWatchSettings, toWatchItem, WatchItemError } from '../../functions/domain/watchlist.ts';
import { chartFormatOf, renderReplayChartSvg } from '../../functions/replay/chart.ts';
import { svgToPng } from '../../functions/replay/png.ts';
import { ReplayRequestError } from '../../functions/replay/errors.ts';
import type { FetchProgress } from '../../functions/replay/fetch.ts';
import { replayJson, replayText } from '../../functions/replay/report.ts';
import {
  DEFAULT_BACKFILL_DAYS,
  DEFAULT_LOOKBACK_CALENDAR_DAYS,
  runBackfill,
  runReplay,
  type BackfillCode,
  type BackfillSummary,
  type ReplayDeps,
} from '../../functions/replay/replay.ts';
import { ReplayStore } from '../../functions/replay/replay-store.ts';
import { replaySettings } from '../../functions/replay/settings.ts';
import { createKiwoom, createTokenSource } from '../../functions/scan/wiring.ts';
import { cliContext, say } from '../context.ts';
import { out } from '../print.ts';
import { EXIT, parseCodes, parseDay, UsageError } from '../exit.ts';
import { stderrLogger } from '../log.ts';
import { addThresholdOptions, itemFromOptions, type RuleOptions } from './watch.ts';

interface ReplayCliOptions extends RuleOptions {
  from?: string;
  to?: string;
  json?: boolean;
  chart?: string;
  verbose?: boolean;
}

interface BackfillCliOptions {
  codes?: string[];
  days?: number;
  json?: boolean;
  verbose?: boolean;
}

function parseDays(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1) throw new InvalidArgumentError(`"${raw}" is not a whole number of at least 1`);
  return n;
}

/** Pages can take a while at 1-5 calls a second: say how far back each code has got. */
function progressLine(p: FetchProgress): string {
  return `${p.stkCd.padEnd(10)}page ${p.pages}: ${p.days} trading days${p.oldestDt ? `, back to ${p.oldestDt}` : ''}`;
}

async function replayDeps(options: { verbose?: boolean }): Promise<ReplayDeps> {
  const { config, aws } = await cliContext({ require: (c) => requireScanSettings(c, { publish: false }) });
  const logger = stderrLogger(options.verbose === true);
  return {
    kiwoom: createKiwoom(config, createTokenSource(config, aws, logger), logger),
    store: new ReplayStore(aws.doc, config.historyTable),
    now: () => new Date(),
    dayCutoffKst: config.dayCutoffKst,
    onProgress: (p) => say(progressLine(p)),
  };
}

/** Request problems are usage errors (exit 2), like a bad option. */
async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReplayRequestError) throw new UsageError(error.message);
    throw error;
  }
}

export function registerReplayCommands(program: Command): void {
  addThresholdOptions(
    program
      .command('replay <stk_cd>')
      .description(
        'show which alerts the thresholds would have sent over past trading days (same rule engine as the scan; ' +
          'sends nothing, changes no ledger). Without threshold options, uses the code\'s watchlist settings',
      )
      .option('--from <YYYYMMDD>', `first day to evaluate (default: ${DEFAULT_LOOKBACK_CALENDAR_DAYS} calendar days before --to)`, parseDay)
      .option('--to <YYYYMMDD>', 'last day to evaluate (default: the newest final trading day)', parseDay)
      .option('--json', 'print the result as one JSON object on stdout')
      .option(
        '--chart <out.svg|out.png>',
        'write a chart (rate with thresholds and alert markers, chg_qty bars) as SVG or PNG, by the extension',
      )
      .option('--verbose', 'log more detail on stderr'),
    { forItem: false },
  ).action(async (stkCd: string, options: ReplayCliOptions) => {
    // Cheap checks first: a wrong chart path should not cost Kiwoom calls.
    const chartFormat = options.chart === undefined ? undefined : await asUsage(async () => chartFormatOf(options.chart as string));
    let changes;
    try {
      changes = toWatchItem(itemFromOptions(stkCd, options, process.argv));
    } catch (error) {
      if (error instanceof WatchItemError) throw new UsageError(error.message);
      throw error;
    }
    const deps = await replayDeps(options);
    const { watchlist } = await cliContext();
    const [item, defaults] = await Promise.all([watchlist.get(stkCd), watchlist.get(DEFAULTS_KEY)]);
    const resolved = replaySettings(stkCd, item, defaults, changes);
    if (!resolved.ok) throw new UsageError(formatWatchProblems(resolved));

    const result = await asUsage(() =>
      runReplay(deps, {
        settings: resolved.settings,
        ...(options.from === undefined ? {} : { fromDt: options.from }),
        ...(options.to === undefined ? {} : { toDt: options.to }),
      }),
    );
    if (options.chart !== undefined) {
      const svg = await renderReplayChartSvg(result);
      await writeFile(options.chart, chartFormat === 'png' ? svgToPng(svg) : svg);
      say(`chart written to ${options.chart}`);
    }
    if (options.json) out(`${JSON.stringify(replayJson(result), null, 2)}\n`);
    else out(replayText(result, { sparkline: options.chart === undefined }));
    const f = result.fetch;
    say(
      f.cacheHit
        ? 'history from the History table; no Kiwoom call'
        : `kiwoom: ${f.pages} page(s), ${f.daysFetched} trading days; stored ${f.daysStored} new day(s)` +
            (f.daysNotStored > 0 ? `, left ${f.daysNotStored} newer day(s) for the scan to store` : ''),
    );
  });

  program
    .command('backfill')
    .description(
      'store past trading days as history snapshots (no alerts), so replays and the email sparklines have data from day one. ' +
        'Days newer than a code\'s last scan are left for the scan; the first scan after a backfill evaluates the days after it',
    )
    .option('--codes <codes>', 'these codes, comma-separated (default: every enabled watched code)', parseCodes)
    .option('--days <n>', `trading days per code, back from the newest final day (default ${DEFAULT_BACKFILL_DAYS})`, parseDays)
    .option('--json', 'print the summary as one JSON object on stdout')
    .option('--verbose', 'log more detail on stderr')
    .action(async (options: BackfillCliOptions) => {
      const deps = await replayDeps(options);
      const codes = options.codes ?? (await watchedCodes());
      if (codes.length === 0) {
        say('nothing to backfill: the watchlist has no enabled codes (or pass --codes)');
        return;
      }
      const summary = await asUsage(() =>
        runBackfill(deps, { codes, days: options.days ?? DEFAULT_BACKFILL_DAYS }, (code) => say(codeLine(code))),
      );
      if (options.json) out(`${JSON.stringify(backfillJson(summary), null, 2)}\n`);
      else out(backfillText(summary));
      const failed = summary.codes.some((c) => c.error) || summary.stopped !== null || summary.notReached.length > 0;
      process.exitCode = failed ? EXIT.failed : EXIT.ok;
    });
}

/** Enabled, valid watchlist codes, as the scan would take them. */
async function watchedCodes(): Promise<string[]> {
  const items = await (await cliContext()).watchlist.list();
  const defaults = items.find((i) => i.stk_cd === DEFAULTS_KEY);
  const codes: string[] = [];
  for (const item of items) {
    if (item.stk_cd === DEFAULTS_KEY) continue;
    const resolved = resolveWatchSettings(item, defaults);
    if (!resolved.ok) say(`skipped: ${formatWatchProblems(resolved)}`);
    else if (resolved.settings.enabled) codes.push(resolved.settings.stkCd);
  }
  return codes.sort();
}

function codeLine(c: BackfillCode): string {
  const head = c.stkCd.padEnd(10);
  const done = `fetched ${c.daysFetched} days, stored ${c.daysStored}, already stored ${c.daysAlreadyStored}` +
    (c.daysNotStored > 0 ? `, ${c.daysNotStored} newer than the last scan left for it` : '');
  return c.error ? `${head}FAILED ${c.error.reason}: ${c.error.message}${c.daysFetched > 0 ? ` (${done})` : ''}` : `${head}${done}`;
}

function backfillText(s: BackfillSummary): string {
  const lines = [`backfilled ${s.codes.filter((c) => !c.error).length}/${s.codes.length + s.notReached.length} codes`];
  for (const c of s.codes) if (c.range) lines.push(`  ${c.stkCd}: history held ${c.range.fromDt} – ${c.range.toDt}`);
  if (s.stopped) lines.push(`STOPPED: ${s.stopped.reason}: ${s.stopped.message}`);
  if (s.notReached.length > 0) lines.push(`not reached: ${s.notReached.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function backfillJson(s: BackfillSummary): Record<string, unknown> {
  return {
    codes: s.codes.map((c) => ({
      stk_cd: c.stkCd,
      kiwoom_pages: c.pages,
      days_fetched: c.daysFetched,
      days_stored: c.daysStored,
      days_already_stored: c.daysAlreadyStored,
      days_left_for_scan: c.daysNotStored,
      history_from: c.range?.fromDt ?? null,
      history_to: c.range?.toDt ?? null,
      error: c.error ?? null,
    })),
    stopped: s.stopped,
    not_reached: s.notReached,
  };
}
