import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createTables } from '../../functions/store/tables.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

describe('createTables', () => {
  it('creates the history table with pk/sk and the sparse unsent index', async () => {
    const names = await uniqueTables();
    const { Table } = await localClients().dynamo.send(new DescribeTableCommand({ TableName: names.historyTable }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((ix) => [ix.IndexName, ix.KeySchema, ix.Projection?.ProjectionType])).toEqual([
      [
        'unsent',
        [
          { AttributeName: 'unsent', KeyType: 'HASH' },
          { AttributeName: 'created_at', KeyType: 'RANGE' },
        ],
        'ALL',
      ],
    ]);
  });

  it('creates the watchlist table keyed by stk_cd, billed per request', async () => {
    const names = await uniqueTables();
    const { Table } = await localClients().dynamo.send(new DescribeTableCommand({ TableName: names.watchlistTable }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'stk_cd', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('succeeds again when both tables already exist', async () => {
    const names = await uniqueTables();
    await expect(createTables(localClients().dynamo, names)).resolves.toBeUndefined();
  });
});
