// kfa: the command line for kiwoom-foreign-alerts. Exit codes are a public
// contract: 0 all done, 1 some codes failed or were not reached, 2 usage or
// configuration error.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../functions/config.ts';
import { registerAlertCommands } from './commands/alerts.ts';
import { registerReplayCommands } from './commands/replay.ts';
import { registerScanCommand } from './commands/scan.ts';
import { registerTablesCommands } from './commands/tables.ts';
import { registerWatchCommands } from './commands/watch.ts';
import { EXIT, UsageError } from './exit.ts';

const program = new Command()
  .name('kfa')
  .description('kiwoom-foreign-alerts: watch foreign holdings of Korean stocks (Kiwoom ka10008) and alert through SNS')
  .showHelpAfterError()
  .exitOverride();

registerTablesCommands(program);
registerWatchCommands(program);
registerScanCommand(program);
registerAlertCommands(program);
registerReplayCommands(program);
for (const command of program.commands) {
  command.exitOverride();
  for (const sub of command.commands) sub.exitOverride();
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version arrive here as "errors" with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof ConfigError) {
    process.stderr.write(`kfa: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`kfa: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failed;
}
