// What every kfa command needs: the checked configuration and the AWS
// clients and repositories built from it, once.
import { createAwsClients, type AwsClients } from '../functions/aws-clients.ts';
import { loadConfig, type Config } from '../functions/config.ts';
import { WatchlistStore } from '../functions/store/watchlist-store.ts';

export interface CliContext {
  config: Config;
  aws: AwsClients;
  watchlist: WatchlistStore;
}

let context: CliContext | undefined;

/** Loads the configuration (ConfigError → exit 2 naming the variable) and builds the clients. */
export function cliContext(): CliContext {
  if (!context) {
    const config = loadConfig();
    const aws = createAwsClients(config);
    context = { config, aws, watchlist: new WatchlistStore(aws.doc, config.watchlistTable) };
  }
  return context;
}

/** Progress and human messages go to stderr; stdout is for results (tables, JSON). */
export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
