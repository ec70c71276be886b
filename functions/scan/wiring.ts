// Builds the scan's dependencies from the checked configuration: the same
// wiring for the Lambda handler and the CLI, so the deployed code path is the
// tested one. Deployed, the token comes from Secrets Manager (one issuer, the
// token function); locally, the client issues tokens from the app key itself.
import type { AwsClients } from '../aws-clients.ts';
import type { Config } from '../config.ts';
import { appKeyId } from '../kiwoom/app-key-id.ts';
import { KiwoomClient } from '../kiwoom/client.ts';
import type { KiwoomLogger } from '../kiwoom/logger.ts';
import { SecretsManagerTokenSource } from '../kiwoom/secrets-token-source.ts';
import { IssuingTokenSource } from '../kiwoom/token.ts';
import type { AllowanceMemory, TokenSource } from '../kiwoom/types.ts';
import { SnsAlertPublisher } from '../notify/sns-publisher.ts';
import { AlertLedger } from '../store/alert-ledger.ts';
import { DynamoAllowanceStore } from '../store/allowance-store.ts';
import { HistoryStore } from '../store/history-store.ts';
import { DynamoLease, type LeaseScope } from '../store/lease.ts';
import { WatchlistStore } from '../store/watchlist-store.ts';
import type { Log, ScanDeps } from './ports.ts';

export interface WiringOptions {
  dryRun: boolean;
  logger: Log & KiwoomLogger;
  remainingMs: () => number;
  now?: () => Date;
  /** The token source the Kiwoom client uses; deployed, it also knows the app key's id. */
  tokens?: TokenSource;
}

/** Who shares one token and one allowance: the app key (or, deployed, the token secret standing for it). */
export function kiwoomIdentity(config: Config): string {
  const k = config.kiwoom;
  // Hashed: the identity names the lease item, and an app key must never be stored or logged.
  return appKeyId(k.tokenSecretArn ?? k.appKey ?? 'anonymous');
}

/**
 * What the scan lease is scoped to: the app key's id, computed from
 * KIWOOM_APPKEY by the CLI and read from the token secret (where the token
 * function wrote it) when deployed, so a `kfa scan` and the deployed scan
 * with the same app key exclude each other.
 */
export function leaseScope(config: Config, tokens: TokenSource | undefined, logger: Pick<Log, 'warn'>): LeaseScope {
  const k = config.kiwoom;
  if (k.tokenSecretArn === undefined) return appKeyId(k.appKey ?? 'anonymous');
  const source = tokens instanceof SecretsManagerTokenSource ? tokens : undefined;
  return async () => {
    const id = await source?.appKeyId();
    if (id !== undefined) return id;
    // A token issued before the token function wrote the id: until it next
    // issues one (at least daily), the lease is the deployment's own.
    logger.warn('the token secret has no app_key_id yet; the scan lease is scoped to the token secret until the next token', {});
    return kiwoomIdentity(config);
  };
}

export function createTokenSource(config: Config, aws: AwsClients, logger: KiwoomLogger): TokenSource {
  const k = config.kiwoom;
  if (k.tokenSecretArn) {
    if (!k.tokenFunctionName) throw new Error('TOKEN_FUNCTION_NAME is required with KIWOOM_TOKEN_SECRET_ARN');
    return new SecretsManagerTokenSource({
      secrets: aws.secrets,
      lambda: aws.lambda,
      tokenSecretArn: k.tokenSecretArn,
      tokenFunctionName: k.tokenFunctionName,
    });
  }
  return new IssuingTokenSource({
    http: { baseUrl: k.baseUrl },
    credentials: { appKey: k.appKey ?? '', secretKey: k.secretKey ?? '' },
    logger,
  });
}

/**
 * The scan's Kiwoom client. Given the AWS clients, what its limiters learn is
 * kept in the History table under the app key identity, so the next Lambda
 * container (or CLI run) with the same key starts from it. A dry run starts
 * from it too but writes nothing.
 */
export function createKiwoom(
  config: Config,
  tokens: TokenSource,
  logger: KiwoomLogger,
  aws?: Pick<AwsClients, 'doc'>,
  options: { dryRun?: boolean } = {},
): KiwoomClient {
  const identity = kiwoomIdentity(config);
  // Kept under the app key's id, as the lease is: a kfa scan and the deployed scan with one key share it.
  const scope = leaseScope(config, tokens, logger);
  const store = aws === undefined ? undefined : new DynamoAllowanceStore(aws.doc, config.historyTable, scope);
  const allowances: AllowanceMemory | undefined =
    store === undefined || !options.dryRun ? store : { load: (apiId) => store.load(apiId), save: async () => undefined };
  return new KiwoomClient({
    baseUrl: config.kiwoom.baseUrl,
    tokens,
    appKey: identity,
    rateLimit: config.kiwoom.rateLimit,
    logger,
    ...(allowances === undefined ? {} : { allowances }),
  });
}

export function buildScanDeps(
  config: Config,
  aws: AwsClients,
  kiwoom: KiwoomClient,
  options: WiringOptions,
): ScanDeps {
  const now = options.now ?? (() => new Date());
  return {
    kiwoom,
    watchlist: new WatchlistStore(aws.doc, config.watchlistTable),
    history: new HistoryStore(aws.doc, config.historyTable),
    ledger: new AlertLedger(aws.doc, config.historyTable, { now }),
    lease: new DynamoLease(aws.doc, config.historyTable, leaseScope(config, options.tokens, options.logger)),
    publisher:
      options.dryRun || !config.alertTopicArn ? null : new SnsAlertPublisher(aws.sns, config.alertTopicArn),
    logger: options.logger,
    now,
    remainingMs: options.remainingMs,
  };
}
