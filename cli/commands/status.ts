// `kfa status`: where every watched code stands, from the History table only
// (no Kiwoom call). Stdout carries the result; exit 0 even with invalid items
// (they are shown), like `kfa watch list`.
import type { Command } from 'commander';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { statusJson } from '../../functions/status/json.ts';
import { loadStatus, type StatusRequest } from '../../functions/status/load.ts';
import { printableJson } from '../../functions/status/printable.ts';
import { buildStatus, type StatusReport } from '../../functions/status/status.ts';
import { statusText } from '../../functions/status/text.ts';
import { cliContext } from '../context.ts';
import { parseCodes } from '../exit.ts';

interface StatusCliOptions {
  codes?: string[];
  json?: boolean;
}

/** The status of the watched codes as of `now`, read from the tables `cliContext()` points at. */
export async function currentStatus(request: StatusRequest, now: Date): Promise<StatusReport> {
  const { config, aws, watchlist } = cliContext();
  const loaded = await loadStatus(
    {
      watchlist,
      history: new HistoryStore(aws.doc, config.historyTable),
      ledger: new AlertLedger(aws.doc, config.historyTable),
    },
    request,
  );
  return buildStatus({ codes: loaded.codes.map((c) => c.input), invalid: loaded.invalid, now, dayCutoffKst: config.dayCutoffKst });
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
      const report = await currentStatus(options.codes ? { codes: options.codes } : {}, new Date());
      process.stdout.write(options.json ? `${printableJson(statusJson(report))}\n` : statusText(report));
    });
}
