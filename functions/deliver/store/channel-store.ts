// Channel items live in the History table under one partition, `kfa-channels`
// (sort key = channel name). Not in the Watchlist table: the scan reads every
// Watchlist item as a stock code, so a channel there would be reported as an
// invalid code on every run. One Query reads them all, consistently, so a
// channel removed a second ago receives nothing more.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HISTORY_KEYS } from '../../store/tables.ts';
import { parseChannel, type Channel, type ChannelItem } from '../channel.ts';
import { ChannelConfigError } from '../errors.ts';

export const CHANNELS_PARTITION = 'kfa-channels';

const PK = HISTORY_KEYS.partitionKey.name;
const SK = HISTORY_KEYS.sortKey.name;

export interface StoredChannel {
  item: Record<string, unknown>;
  /** Null when the item does not pass the schema (then `problem` says why). */
  channel: Channel | null;
  problem?: string;
}

export class ChannelStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Every channel item, each checked; one bad item does not hide the others. */
  async list(): Promise<StoredChannel[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':pk': CHANNELS_PARTITION },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items.map(checked);
  }

  async get(name: string): Promise<StoredChannel | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: CHANNELS_PARTITION, [SK]: name }, ConsistentRead: true }),
    );
    return out.Item ? checked(out.Item) : undefined;
  }

  /** Replaces the channel's item; returns whether one existed. */
  async put(item: ChannelItem, now: Date): Promise<boolean> {
    const existing = await this.get(item.name);
    const at = now.toISOString();
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [PK]: CHANNELS_PARTITION,
          [SK]: item.name,
          ...item,
          created_at: (existing?.item.created_at as string | undefined) ?? at,
          updated_at: at,
        },
      }),
    );
    return existing !== undefined;
  }

  async remove(name: string): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { [PK]: CHANNELS_PARTITION, [SK]: name }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}

function checked(item: Record<string, unknown>): StoredChannel {
  const { [PK]: _pk, [SK]: sk, created_at: _c, updated_at: _u, ...attributes } = item;
  try {
    return { item, channel: parseChannel({ name: sk, ...attributes }) };
  } catch (error) {
    if (error instanceof ChannelConfigError) return { item, channel: null, problem: error.message };
    throw error;
  }
}
