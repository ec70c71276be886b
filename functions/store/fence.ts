// The fence a lease hands its scan: a write with an effect outside the scan
// goes through `fencedWrite`, one TransactWriteItems that checks the lease
// item still carries the scan's epoch (and has not expired by the scan's own
// clock) together with the write itself. Both happen or neither does.
import { setTimeout as delay } from 'node:timers/promises';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LeaseLostError } from './errors.ts';
import { leaseKey } from './keys.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];
export type FencedItem = Pick<TransactItem, 'Put' | 'Update'>;

export class LeaseFence {
  constructor(
    readonly tableName: string,
    readonly scope: string,
    readonly holder: string,
    readonly epoch: number,
  ) {}

  /** The ConditionCheck that fails once another acquisition raised the epoch, or the lease ran out at `now`. */
  check(now: Date): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.tableName,
        Key: leaseKey(this.scope),
        ConditionExpression: 'epoch = :epoch AND expires_at > :now',
        ExpressionAttributeValues: { ':epoch': this.epoch, ':now': now.getTime() },
      },
    };
  }

  lost(cause?: unknown): LeaseLostError {
    return new LeaseLostError(this.scope, this.holder, cause === undefined ? undefined : { cause });
  }
}

/** The write's own condition failed (the fence held). */
export class FencedConditionFailed extends Error {
  override readonly name = 'FencedConditionFailed';
}

/** Concurrent transactions on the lease item (a renewal) cancel each other; try again this often. */
const CONFLICT_ATTEMPTS = 5;

/** TransactWriteItems takes at most 100 items; the fence takes one. */
export const FENCED_ITEMS_MAX = 99;

/**
 * Runs `items` (at most FENCED_ITEMS_MAX) only while `fence` holds, all or
 * none. Throws LeaseLostError when the lease moved on, FencedConditionFailed
 * when an item's own condition failed.
 */
export async function fencedWrite(
  doc: DynamoDBDocumentClient,
  fence: LeaseFence,
  now: Date,
  items: FencedItem | readonly FencedItem[],
): Promise<void> {
  const writes = (Array.isArray(items) ? items : [items]) as TransactItem[];
  for (let attempt = 1; ; attempt += 1) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: [fence.check(now), ...writes] }));
      return;
    } catch (error) {
      const reasons = cancellationCodes(error);
      if (reasons === null) throw error;
      if (reasons[0] === 'ConditionalCheckFailed') throw fence.lost(error);
      if (reasons.slice(1).includes('ConditionalCheckFailed')) {
        throw new FencedConditionFailed('condition failed', { cause: error });
      }
      if (!reasons.includes('TransactionConflict') || attempt >= CONFLICT_ATTEMPTS) throw error;
      await delay(10 * 2 ** attempt * Math.random());
    }
  }
}

function cancellationCodes(error: unknown): string[] | null {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return null;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.map((r) => r.Code ?? 'None');
}
