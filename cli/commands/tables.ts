import type { Command } from 'commander';
import { createTables } from '../../functions/store/tables.ts';
import { cliContext, say } from '../context.ts';

export function registerTablesCommands(program: Command): void {
  const tables = program.command('tables').description('manage the DynamoDB tables');
  tables
    .command('create')
    .description('create the Watchlist and History tables if missing (on-demand) and wait until active; safe to repeat')
    .action(async () => {
      const { config, aws } = await cliContext();
      const names = { watchlistTable: config.watchlistTable, historyTable: config.historyTable };
      say(`creating tables ${names.watchlistTable} and ${names.historyTable} (if missing)…`);
      await createTables(aws.dynamo, names);
      say('tables are active');
    });
}
