// `kfa status`: where every watched code stands, from the History table only
// (no Kiwoom call). Stdout carries the result; exit 0 even with invalid items
// (they are shown), like `kfa watch list`.
import type { Command } from 'commander';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { statusJson } from '../../functions/status/json.ts';
import { loadStatus, type LoadedStatus, type StatusRequest, type StatusSources } from '../../functions/status/load.ts';
import { buildStatus, type StatusReport } from '../../functions/status/status.ts';
import { statusText } from '../../functions/status/text.ts';
import { cliContext } from '../context.ts';
import { parseCodes } from '../exit.ts';
import { out } from '../print.ts';

interface StatusCliOptions {
  codes?: string[];
  json?: boolean;
}

/** The Watchlist and History tables `cliContext()` points at (after its AWS settings check). */
export async function statusSources(): Promise<StatusSources> {
  const { config, aws, watchlist } = await cliContext();
  return {
    watchlist,
    history: new HistoryStore(aws.doc, config.historyTable),
    ledger: new AlertLedger(aws.doc, config.historyTable),
  };
}

/** What the tables hold for the codes asked for, and their status as of `now`. */
export async function currentStatus(
  request: StatusRequest,
  now: Date,
): Promise<{ loaded: LoadedStatus; status: StatusReport }> {
  const loaded = await loadStatus(await statusSources(), request);
  const status = buildStatus({
    codes: loaded.codes.map((c) => c.input),
    invalid: loaded.invalid,
    now,
    dayCutoffKst: (await cliContext()).config.dayCutoffKst,
  });
  return { loaded, status };
}

/** Through print.ts, which shows control and bidi characters of stored text as escapes (JSON stays valid). */
export function printStatus(status: StatusReport, options: { json?: boolean }): void {
  out(options.json ? `${JSON.stringify(statusJson(status), null, 2)}\n` : statusText(status));
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'where every watched code stands: newest stored day, distance to each threshold, armed/pending, snooze, ' +
        'days to exhaustion, last alert, and a warning when a final trading day is missing (History table only)',
    )
    .option('--codes <codes>', 'only these codes, comma-separated', parseCodes)
    .option('--json', 'print one JSON object ({"codes": [...]}) on stdout')
    .action(async (options: StatusCliOptions) => {
      const { status } = await currentStatus(options.codes ? { codes: options.codes } : {}, new Date());
      printStatus(status, options);
    });
}
