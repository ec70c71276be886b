// The watchlist as people edit it: raw items, validated by the caller (one bad
// item must not hide the others, so nothing is checked here).
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { WATCHLIST_KEY } from './tables.ts';

export type WatchlistItem = Record<string, unknown>;

const KEY = WATCHLIST_KEY.partitionKey.name;

export class WatchlistStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Every item, the `*` defaults included. */
  async list(): Promise<WatchlistItem[]> {
    const items: WatchlistItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({ TableName: this.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async get(stkCd: string): Promise<WatchlistItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [KEY]: stkCd }, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** Replaces the whole item for its `stk_cd`. */
  async put(item: WatchlistItem): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** True when there was an item to remove. */
  async remove(stkCd: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { [KEY]: stkCd }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
