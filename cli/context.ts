// What every kfa command needs: the checked configuration and the AWS
// clients and repositories built from it, once. Nothing here calls AWS
// before the settings check has passed.
import { createAwsClients, type AwsClients } from '../functions/aws-clients.ts';
import { ConfigError, loadAwsEnvironment, loadConfig, type Config } from '../functions/config.ts';
import { WatchlistStore } from '../functions/store/watchlist-store.ts';
import { LOCAL_STACK_CREDENTIALS, requireAwsSettings, type ConfigProblem } from './aws-settings.ts';

export interface CliContext {
  config: Config;
  aws: AwsClients;
  watchlist: WatchlistStore;
}

export interface CliContextOptions {
  /** The command's own settings check (e.g. requireScanSettings), reported together with the AWS one. */
  require?: (config: Config) => void;
}

let context: Promise<CliContext> | undefined;

/**
 * Loads the configuration and checks the AWS settings (a missing region or
 * credentials is a ConfigError: exit 2, each named with a hint), then builds
 * the clients.
 */
export function cliContext(options: CliContextOptions = {}): Promise<CliContext> {
  context ??= buildContext(options);
  return context;
}

async function buildContext(options: CliContextOptions): Promise<CliContext> {
  const config = loadConfig();
  const problems: ConfigProblem[] = [];
  const collect = async <T>(check: () => T | Promise<T>): Promise<T | undefined> => {
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const aws = await collect(() => requireAwsSettings(loadAwsEnvironment()));
  await collect(() => options.require?.(config));
  if (problems.length > 0 || aws === undefined) throw new ConfigError(problems);
  const clients = createAwsClients(config, aws.localStackCredentials ? { credentials: LOCAL_STACK_CREDENTIALS } : {});
  return { config, aws: clients, watchlist: new WatchlistStore(clients.doc, config.watchlistTable) };
}

export { say } from './print.ts';
