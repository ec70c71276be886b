// Issue 11, item 6: the learned Kiwoom allowance per (app key identity, API
// id) in the History table, on DynamoDB Local.
import { beforeEach, describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAllowanceStore, ALLOWANCE_MAX_AGE_MS } from '../../functions/store/allowance-store.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

const T0 = new Date('2025-03-10T09:30:00Z');
let table: string;

beforeEach(async () => {
  ({ historyTable: table } = await uniqueTables());
});

function storeAt(now: Date, identity = 'id-1'): DynamoAllowanceStore {
  return new DynamoAllowanceStore(localClients().doc, table, identity, { now: () => now });
}

describe('DynamoAllowanceStore', () => {
  it('keeps what was learned per API id, with when it was learned', async () => {
    await storeAt(T0).save('ka10008', { ratePerSecond: 2, marginMs: 100 });
    await storeAt(T0).save('au10001', { ratePerSecond: 1, marginMs: 0 });

    expect(await storeAt(T0).load('ka10008')).toEqual({ ratePerSecond: 2, marginMs: 100, learnedAt: T0 });
    expect(await storeAt(T0).load('au10001')).toEqual({ ratePerSecond: 1, marginMs: 0, learnedAt: T0 });
  });

  it('keeps app key identities apart', async () => {
    await storeAt(T0, 'id-1').save('ka10008', { ratePerSecond: 2, marginMs: 0 });

    expect(await storeAt(T0, 'id-2').load('ka10008')).toBeUndefined();
  });

  it('forgets an allowance learned longer ago than the maximum age', async () => {
    await storeAt(T0).save('ka10008', { ratePerSecond: 2, marginMs: 0 });

    expect(await storeAt(new Date(T0.getTime() + ALLOWANCE_MAX_AGE_MS - 1)).load('ka10008')).toBeDefined();
    expect(await storeAt(new Date(T0.getTime() + ALLOWANCE_MAX_AGE_MS + 1)).load('ka10008')).toBeUndefined();
  });

  it('treats an item of the wrong shape as nothing learned', async () => {
    await localClients().doc.send(
      new PutCommand({ TableName: table, Item: { pk: 'ALLOWANCE#id-1', sk: 'ka10008', rate_per_second: 'fast' } }),
    );

    expect(await storeAt(T0).load('ka10008')).toBeUndefined();
  });
});
