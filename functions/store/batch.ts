// BatchWriteItem takes at most 25 requests and BatchGetItem 100 keys, and
// either may hand part of a batch back (UnprocessedItems/UnprocessedKeys)
// when a partition is throttled; AWS asks callers to retry those with
// exponential backoff.
import { setTimeout as delay } from 'node:timers/promises';
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchIncompleteError } from './errors.ts';

export const BATCH_WRITE_LIMIT = 25;
export const BATCH_GET_LIMIT = 100;

export interface BackoffOptions {
  /** Attempts per batch, the first included (default 8). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
}

export function chunk<T>(list: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
  return chunks;
}

/**
 * Sends `pending` with `send`, which returns what was left unprocessed, and
 * retries the leftovers with full-jitter exponential backoff.
 */
export async function untilProcessed<T>(
  operation: 'BatchWriteItem' | 'BatchGetItem',
  pending: T[],
  send: (batch: T[]) => Promise<T[]>,
  options: BackoffOptions = {},
): Promise<void> {
  const maxAttempts = options.maxAttempts ?? 8;
  const base = options.baseDelayMs ?? 50;
  const cap = options.maxDelayMs ?? 2000;
  const sleep = options.sleep ?? delay;
  const random = options.random ?? Math.random;
  let left = pending;
  for (let attempt = 1; left.length > 0; attempt++) {
    if (attempt > 1) {
      if (attempt > maxAttempts) throw new BatchIncompleteError(operation, left.length);
      await sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 2))));
    }
    left = await send(left);
  }
}

/**
 * Reads the items under `keys` with consistent reads, BATCH_GET_LIMIT keys a
 * call, retrying unprocessed keys; hands each item to `onItem` as it comes.
 * Keys without an item are skipped; the order is DynamoDB's.
 */
export async function batchGetConsistent(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  onItem: (item: Record<string, unknown>) => void,
  options: BackoffOptions = {},
): Promise<void> {
  for (const keysChunk of chunk(keys, BATCH_GET_LIMIT)) {
    await untilProcessed(
      'BatchGetItem',
      keysChunk,
      async (batch) => {
        const out = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }));
        for (const item of out.Responses?.[tableName] ?? []) onItem(item);
        return out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      },
      options,
    );
  }
}
