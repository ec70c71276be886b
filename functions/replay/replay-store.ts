// The History table as replay and backfill use it: the scan's snapshots read
// through HistoryStore, plus the per-code cached range (`REPLAY#<stk_cd>` /
// `RANGE`) and writes that never replace a day somebody already stored.
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EMPTY_RULE_STATE, type Snapshot, type TradingDay } from '../domain/types.ts';
import { HistoryStore, toSnapshotItem, type StoredSnapshot } from '../store/history-store.ts';
import { isConditionalCheckFailed } from '../store/errors.ts';
import { SNAPSHOT_PREFIX } from '../store/keys.ts';
import type { CachedRange } from './coverage.ts';

export const REPLAY_PREFIX = 'REPLAY#';
export const RANGE_SK = 'RANGE';

/** Set on snapshots a replay or backfill stored; a scan's write of the same day replaces the whole item. */
export const STORED_BY_ATTRIBUTE = 'stored_by';
export const STORED_BY_REPLAY = 'replay';

/** Conditional puts in flight at once (one item each; a backfill stores a few hundred). */
const PUT_CONCURRENCY = 8;

export interface StoreOutcome {
  /** Days written now. */
  stored: number;
  /** Days somebody had stored already (left as they were). */
  present: number;
}

export interface ReplayStorePort {
  cachedRange(stkCd: string): Promise<CachedRange | null>;
  putCachedRange(stkCd: string, range: CachedRange): Promise<void>;
  storeCeiling(stkCd: string): Promise<TradingDay | null>;
  storeIfAbsent(snapshots: readonly Snapshot[], storedAt: string): Promise<StoreOutcome>;
  storedBetween(stkCd: string, fromDt: TradingDay, toDt: TradingDay): Promise<StoredSnapshot[]>;
  storedDayBefore(stkCd: string, dt: TradingDay): Promise<TradingDay | null>;
}

export class ReplayStore implements ReplayStorePort {
  readonly history: HistoryStore;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {
    this.history = new HistoryStore(doc, tableName);
  }

  async cachedRange(stkCd: string): Promise<CachedRange | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: rangeKey(stkCd), ConsistentRead: true }),
    );
    const item = out.Item;
    if (item === undefined || typeof item.from_dt !== 'string' || typeof item.to_dt !== 'string') return null;
    return {
      fromDt: item.from_dt,
      toDt: item.to_dt,
      listingStart: item.listing_start === true,
      newestAt: typeof item.newest_at === 'string' ? item.newest_at : null,
    };
  }

  async putCachedRange(stkCd: string, range: CachedRange): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...rangeKey(stkCd),
          stk_cd: stkCd,
          from_dt: range.fromDt,
          to_dt: range.toDt,
          listing_start: range.listingStart,
          ...(range.newestAt === null ? {} : { newest_at: range.newestAt }),
        },
      }),
    );
  }

  /**
   * The newest day a replay may not store at or after, or null for no limit.
   *
   * The scan decides which days are new from the newest stored snapshot: a
   * day stored after its last evaluation would never be evaluated, its alert
   * silently lost. So once the scan has touched a code (its code state
   * exists, or the newest snapshot is one the scan wrote), replay and
   * backfill only add days older than the newest stored one. A code the scan
   * has never stored may be filled up to the newest final day; its first scan
   * then evaluates the days after that, as a first scan would anyway.
   */
  async storeCeiling(stkCd: string): Promise<TradingDay | null> {
    const [states, newest] = await Promise.all([this.history.codeStates([stkCd]), this.newestSnapshot(stkCd)]);
    if (newest === null) return null;
    if (states.has(stkCd) || newest.storedBy !== STORED_BY_REPLAY) return newest.dt;
    return null;
  }

  /**
   * Stores each day unless an item for it exists: checked in the write itself,
   * so a scan storing the same day meanwhile keeps its version (and the rule
   * state that goes with it).
   */
  async storeIfAbsent(snapshots: readonly Snapshot[], storedAt: string): Promise<StoreOutcome> {
    const outcome: StoreOutcome = { stored: 0, present: 0 };
    const queue = [...snapshots];
    const worker = async (): Promise<void> => {
      for (let snapshot = queue.shift(); snapshot !== undefined; snapshot = queue.shift()) {
        const stored: StoredSnapshot = {
          snapshot,
          ruleState: EMPTY_RULE_STATE,
          revision: 0,
          previousRows: [],
          storedAt,
        };
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { ...toSnapshotItem(stored), [STORED_BY_ATTRIBUTE]: STORED_BY_REPLAY },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
          outcome.stored += 1;
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
          outcome.present += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUT_CONCURRENCY, queue.length) }, worker));
    return outcome;
  }

  /** Oldest first, both ends included. */
  storedBetween(stkCd: string, fromDt: TradingDay, toDt: TradingDay): Promise<StoredSnapshot[]> {
    return this.history.snapshotsBetween(stkCd, fromDt, toDt);
  }

  /** The newest stored day before `dt` (a replay's baseline), without reading the years before it. */
  async storedDayBefore(stkCd: string, dt: TradingDay): Promise<TradingDay | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk < :dt',
        ExpressionAttributeValues: { ':pk': `${SNAPSHOT_PREFIX}${stkCd}`, ':dt': dt },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
        ProjectionExpression: 'dt',
      }),
    );
    const found = out.Items?.[0]?.dt;
    return typeof found === 'string' ? found : null;
  }

  private async newestSnapshot(stkCd: string): Promise<{ dt: TradingDay; storedBy: string | null } | null> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${SNAPSHOT_PREFIX}${stkCd}` },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
        ProjectionExpression: 'dt, #by',
        ExpressionAttributeNames: { '#by': STORED_BY_ATTRIBUTE },
      }),
    );
    const item = out.Items?.[0];
    if (item === undefined || typeof item.dt !== 'string') return null;
    return { dt: item.dt, storedBy: typeof item[STORED_BY_ATTRIBUTE] === 'string' ? item[STORED_BY_ATTRIBUTE] : null };
  }
}

function rangeKey(stkCd: string): { pk: string; sk: string } {
  return { pk: `${REPLAY_PREFIX}${stkCd}`, sk: RANGE_SK };
}
