// The two tables' key layout. The CDK stack mirrors these constants, and the
// local run and the tests create tables from them, so both agree by
// construction.
import {
  CreateTableCommand,
  DescribeTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { setTimeout as delay } from 'node:timers/promises';
import { StoreError } from './errors.ts';

export interface KeyAttribute {
  name: string;
  type: 'S';
}

/** Watchlist: one item per watched code, plus the `*` defaults item. */
export const WATCHLIST_KEY = {
  partitionKey: { name: 'stk_cd', type: 'S' },
} as const satisfies { partitionKey: KeyAttribute };

/** History: snapshots, code states, the lease and the alert ledger share one table. */
export const HISTORY_KEYS = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
} as const satisfies { partitionKey: KeyAttribute; sortKey: KeyAttribute };

/**
 * Sparse index of ledger entries not yet sent: only items carrying `unsent`
 * appear, and markSent removes the attribute, so the index stays as small as
 * the backlog.
 */
export const UNSENT_INDEX = {
  indexName: 'unsent',
  partitionKey: { name: 'unsent', type: 'S' },
  sortKey: { name: 'created_at', type: 'S' },
  projection: 'ALL',
} as const satisfies { indexName: string; partitionKey: KeyAttribute; sortKey: KeyAttribute; projection: 'ALL' };

/** The value of `unsent` on every ledger entry that is still to be sent. */
export const UNSENT_MARK = 'UNSENT';

export interface TableNames {
  watchlistTable: string;
  historyTable: string;
}

export function watchlistTableDefinition(tableName: string): CreateTableCommandInput {
  const pk = WATCHLIST_KEY.partitionKey;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: pk.name, AttributeType: pk.type }],
    KeySchema: [{ AttributeName: pk.name, KeyType: 'HASH' }],
  };
}

export function historyTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey: pk, sortKey: sk } = HISTORY_KEYS;
  const ix = UNSENT_INDEX;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: pk.name, AttributeType: pk.type },
      { AttributeName: sk.name, AttributeType: sk.type },
      { AttributeName: ix.partitionKey.name, AttributeType: ix.partitionKey.type },
      { AttributeName: ix.sortKey.name, AttributeType: ix.sortKey.type },
    ],
    KeySchema: [
      { AttributeName: pk.name, KeyType: 'HASH' },
      { AttributeName: sk.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: ix.indexName,
        KeySchema: [
          { AttributeName: ix.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: ix.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: ix.projection },
      },
    ],
  };
}

export interface CreateTablesOptions {
  /** Give up waiting for ACTIVE after this long (default 5 minutes; real tables take seconds). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<unknown>;
}

/** Creates both tables when missing and waits until they (and the index) are ACTIVE. Safe to repeat. */
export async function createTables(
  dynamo: DynamoDBClient,
  names: TableNames,
  options: CreateTablesOptions = {},
): Promise<void> {
  const definitions = [watchlistTableDefinition(names.watchlistTable), historyTableDefinition(names.historyTable)];
  await Promise.all(definitions.map((definition) => createIfMissing(dynamo, definition)));
  for (const definition of definitions) {
    await waitUntilActive(dynamo, definition.TableName as string, options);
  }
}

async function createIfMissing(dynamo: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  try {
    await dynamo.send(new CreateTableCommand(definition));
  } catch (error) {
    // Already there, or being created by a concurrent caller: both are fine.
    if (error instanceof Error && error.name === 'ResourceInUseException') return;
    throw error;
  }
}

async function waitUntilActive(dynamo: DynamoDBClient, tableName: string, options: CreateTablesOptions): Promise<void> {
  const sleep = options.sleep ?? delay;
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (let wait = 100; ; wait = Math.min(wait * 2, 5000)) {
    const { Table: table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((ix) => ix.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) {
      throw new StoreError(`table ${tableName} is not ACTIVE after ${options.timeoutMs ?? 300_000} ms (status ${table?.TableStatus})`);
    }
    await sleep(wait);
  }
}
