// What the Kiwoom client learned about an allowance, kept in the History
// table per (app key identity, API id) so that a new Lambda container starts
// at what the last one learned instead of opening with a burst of 1700s at
// the configured rate. The identity is the app key's id (`leaseScope` in
// functions/scan/wiring.ts: the CLI computes it, the deployed scan reads it
// from the token secret), already a hash: no app key is stored.
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AllowanceMemory, LearnedAllowance, LearnedLimits } from '../kiwoom/types.ts';

export const ALLOWANCE_PREFIX = 'ALLOWANCE#';

/**
 * Older knowledge is forgotten: Kiwoom may have raised the allowance, and
 * the configured rate with the usual learning is the better start then.
 */
export const ALLOWANCE_MAX_AGE_MS = 30 * 24 * 3_600_000;

export const allowanceKey = (identity: string, apiId: string) => ({ pk: `${ALLOWANCE_PREFIX}${identity}`, sk: apiId });

export interface AllowanceStoreOptions {
  now?: () => Date;
  maxAgeMs?: number;
}

export class DynamoAllowanceStore implements AllowanceMemory {
  readonly #now: () => Date;
  readonly #maxAgeMs: number;
  readonly #identityOf: string | (() => Promise<string>);
  #identity: Promise<string> | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    /** The app key identity, or how to find it out (deployed, it comes from the token secret). */
    identity: string | (() => Promise<string>),
    options: AllowanceStoreOptions = {},
  ) {
    this.#identityOf = identity;
    this.#now = options.now ?? (() => new Date());
    this.#maxAgeMs = options.maxAgeMs ?? ALLOWANCE_MAX_AGE_MS;
  }

  identity(): Promise<string> {
    const of = this.#identityOf;
    this.#identity ??= typeof of === 'string' ? Promise.resolve(of) : of();
    this.#identity.catch(() => (this.#identity = undefined));
    return this.#identity;
  }

  async load(apiId: string): Promise<LearnedAllowance | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: allowanceKey(await this.identity(), apiId), ConsistentRead: true }),
    );
    const learned = fromItem(out.Item);
    if (learned === undefined) return undefined;
    return this.#now().getTime() - learned.learnedAt.getTime() > this.#maxAgeMs ? undefined : learned;
  }

  async save(apiId: string, limits: LearnedLimits): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...allowanceKey(await this.identity(), apiId),
          rate_per_second: limits.ratePerSecond,
          margin_ms: limits.marginMs,
          learned_at: this.#now().toISOString(),
        },
      }),
    );
  }
}

function fromItem(item: Record<string, unknown> | undefined): LearnedAllowance | undefined {
  if (item === undefined) return undefined;
  const { rate_per_second: rate, margin_ms: margin, learned_at: at } = item;
  if (typeof rate !== 'number' || !(rate > 0) || typeof margin !== 'number' || !(margin >= 0) || typeof at !== 'string') {
    return undefined;
  }
  const learnedAt = new Date(at);
  return Number.isNaN(learnedAt.getTime()) ? undefined : { ratePerSecond: rate, marginMs: margin, learnedAt };
}
