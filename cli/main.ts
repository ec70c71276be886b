// kfa: the command line for kiwoom-foreign-alerts. Exit codes are a public
// contract: 0 all done, 1 some codes failed or were not reached, 2 usage or
// configuration error.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../functions/config.ts';
import { registerAlertCommands } from './commands/alerts.ts';
import { registerChannelCommands } from './commands/channels.ts';
import { registerReplayCommands } from './commands/replay.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerScanCommand } from './commands/scan.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerTablesCommands } from './commands/tables.ts';
import { registerWatchCommands } from './commands/watch.ts';
import { EXIT, UsageError } from './exit.ts';
import { out, say, sayRaw } from './print.ts';

/** The version of the package this kfa came from. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/** The kfa program with every command registered; `main` runs it, tests drive it in-process. */
export function createProgram(): Command {
  const program = new Command()
    .name('kfa')
    .description('kiwoom-foreign-alerts: watch foreign holdings of Korean stocks (Kiwoom ka10008) and alert through SNS')
    .version(packageVersion(), '-V, --version', 'print the version')
    // Set before the commands are added, so each inherits it: help and errors echo what was typed.
    .configureOutput({ writeOut: out, writeErr: sayRaw })
    .showHelpAfterError()
    .exitOverride();

  registerTablesCommands(program);
  registerWatchCommands(program);
  registerScanCommand(program);
  registerAlertCommands(program);
  registerReplayCommands(program);
  registerChannelCommands(program);
  registerStatusCommand(program);
  registerReportCommand(program);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Runs kfa with `argv` (as process.argv) and sets the exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version arrive here as "errors" with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof ConfigError) {
    say(`kfa: ${error.message}`);
    return EXIT.usage;
  }
  say(`kfa: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.failed;
}
