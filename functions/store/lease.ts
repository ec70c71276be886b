// One scan at a time per app key: a second scan would share the allowance,
// and a new token issued for it could invalidate the first scan's token.
// The lease expires so a crashed scan does not block the next one forever.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, LeaseLostError } from './errors.ts';
import { leaseKey } from './keys.ts';

export type LeaseAcquisition =
  | { acquired: true; expiresAt: Date }
  | { acquired: false; holder: string; expiresAt: Date };

export interface Lease {
  acquire(holder: string, ttlMs: number, now: Date): Promise<LeaseAcquisition>;
  /** False when the lease is no longer this holder's. */
  renew(holder: string, ttlMs: number, now: Date): Promise<boolean>;
  /** Gives the lease up; quietly does nothing when it is already gone or someone else's. */
  release(holder: string): Promise<boolean>;
}

export class DynamoLease implements Lease {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    readonly scope: string,
  ) {}

  async acquire(holder: string, ttlMs: number, now: Date): Promise<LeaseAcquisition> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...leaseKey(this.scope),
            holder,
            expires_at: expiresAt.getTime(),
            acquired_at: now.toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': now.getTime(), ':holder': holder },
        }),
      );
      return { acquired: true, expiresAt };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const current = await this.current();
      // Released between the two calls: report it as held by nobody in particular; the caller retries later.
      return { acquired: false, holder: current?.holder ?? '', expiresAt: current?.expiresAt ?? now };
    }
  }

  async renew(holder: string, ttlMs: number, now: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(this.scope),
          UpdateExpression: 'SET expires_at = :expiresAt',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder, ':expiresAt': now.getTime() + ttlMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** renew, for callers that stop working the moment the lease is lost. */
  async renewOrThrow(holder: string, ttlMs: number, now: Date): Promise<Date> {
    if (!(await this.renew(holder, ttlMs, now))) throw new LeaseLostError(this.scope, holder);
    return new Date(now.getTime() + ttlMs);
  }

  async release(holder: string): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: leaseKey(this.scope),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Who holds the lease now, if anyone (an expired lease still shows its last holder). */
  async current(): Promise<{ holder: string; expiresAt: Date } | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: leaseKey(this.scope), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    return { holder: String(out.Item.holder), expiresAt: new Date(Number(out.Item.expires_at)) };
  }
}
