// One scan at a time per app key: a second scan would share the allowance,
// and a new token issued for it could invalidate the first scan's token.
// The lease expires so a crashed scan does not block the next one forever.
//
// A lease only excludes while it is alive, and a paused process (a stalled
// call, a frozen Lambda) can outlive it. So it is a fencing lease: every
// acquisition raises the item's `epoch`, and each write with an effect
// outside the scan (claiming an alert for publishing, committing a code's
// state) checks, in the same transaction, that the lease still carries the
// epoch its scan acquired. The item is never deleted, so an epoch is never
// handed out twice.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './errors.ts';
import { LeaseFence } from './fence.ts';
import { leaseKey } from './keys.ts';

export type LeaseAcquisition =
  | { acquired: true; expiresAt: Date; epoch: number; fence: LeaseFence }
  | { acquired: false; holder: string; expiresAt: Date };

export interface Lease {
  acquire(holder: string, ttlMs: number, now: Date): Promise<LeaseAcquisition>;
  /** False when the lease is no longer this holder's (or, with `epoch`, no longer this acquisition's). */
  renew(holder: string, ttlMs: number, now: Date, epoch?: number): Promise<boolean>;
  /** Gives the lease up; quietly does nothing when it is already gone or someone else's. */
  release(holder: string, epoch?: number): Promise<boolean>;
}

/** The lease's scope, or how to find it out (deployed, the app key id comes from the token secret). */
export type LeaseScope = string | (() => Promise<string>);

export class DynamoLease implements Lease {
  #scope: Promise<string> | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly scopeOf: LeaseScope,
  ) {}

  /** What the lease is scoped to: one scan at a time per this value. */
  scope(): Promise<string> {
    const scopeOf = this.scopeOf;
    this.#scope ??= typeof scopeOf === 'string' ? Promise.resolve(scopeOf) : scopeOf();
    // A failed lookup is not remembered: the next acquire asks again.
    this.#scope.catch(() => (this.#scope = undefined));
    return this.#scope;
  }

  async acquire(holder: string, ttlMs: number, now: Date): Promise<LeaseAcquisition> {
    const scope = await this.scope();
    const expiresAt = new Date(now.getTime() + ttlMs);
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(scope),
          UpdateExpression: 'SET holder = :holder, expires_at = :expiresAt, acquired_at = :at ADD epoch :one',
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR holder = :holder',
          ExpressionAttributeValues: {
            ':holder': holder,
            ':expiresAt': expiresAt.getTime(),
            ':at': now.toISOString(),
            ':now': now.getTime(),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const epoch = Number(out.Attributes?.epoch);
      return { acquired: true, expiresAt, epoch, fence: new LeaseFence(this.tableName, scope, holder, epoch) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const current = await this.current();
      // Released between the two calls: report it as held by nobody in particular; the caller retries later.
      return { acquired: false, holder: current?.holder ?? '', expiresAt: current?.expiresAt ?? now };
    }
  }

  async renew(holder: string, ttlMs: number, now: Date, epoch?: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(await this.scope()),
          UpdateExpression: 'SET expires_at = :expiresAt',
          ConditionExpression: epoch === undefined ? 'holder = :holder' : 'holder = :holder AND epoch = :epoch',
          ExpressionAttributeValues: {
            ':holder': holder,
            ':expiresAt': now.getTime() + ttlMs,
            ...(epoch === undefined ? {} : { ':epoch': epoch }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Expires the lease at once, keeping the item (and its epoch) for the next acquisition. */
  async release(holder: string, epoch?: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(await this.scope()),
          UpdateExpression: 'SET expires_at = :released',
          ConditionExpression:
            epoch === undefined ? 'holder = :holder AND expires_at > :released' : 'holder = :holder AND epoch = :epoch',
          ExpressionAttributeValues: { ':holder': holder, ':released': 0, ...(epoch === undefined ? {} : { ':epoch': epoch }) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Who holds the lease now, if anyone (an expired lease still shows its last holder). */
  async current(): Promise<{ holder: string; expiresAt: Date; epoch: number } | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: leaseKey(await this.scope()), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    return {
      holder: String(out.Item.holder),
      expiresAt: new Date(Number(out.Item.expires_at)),
      epoch: Number(out.Item.epoch ?? 0),
    };
  }
}
