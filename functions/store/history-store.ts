// Machine state per code: one item per stored trading day (with the rule
// state it left behind, so a revised day can be re-evaluated from the day
// before it) and one "where did the last scan get to" item.
import {
  BatchWriteCommand,
  PutCommand,
  QueryCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  RAW_ROW_FIELDS,
  type AlertDirection,
  type PendingCrossing,
  type PriceDirection,
  type ReminderClock,
  type RawRow,
  type RuleState,
  type Snapshot,
  type TradingDay,
} from '../domain/types.ts';
import { BATCH_WRITE_LIMIT, batchGetConsistent, chunk, untilProcessed, type BackoffOptions } from './batch.ts';
import { CorruptItemError } from './errors.ts';
import { FENCED_ITEMS_MAX, fencedWrite, type FencedItem, type LeaseFence } from './fence.ts';
import { codeFailureKey, codeStateKey, snapshotKey, SNAPSHOT_PREFIX, type HistoryKey } from './keys.ts';

export interface StoredSnapshot {
  snapshot: Snapshot;
  /** Hysteresis state after evaluating this day. */
  ruleState: RuleState;
  /** 0 for the first version of the day, +1 per correction Kiwoom served. */
  revision: number;
  /** Earlier versions' rows, oldest first. */
  previousRows: RawRow[];
  /** ISO instant this version was stored. */
  storedAt: string;
  /**
   * Who stored a day the scan never evaluated: 'replay' (replay/backfill
   * history) or 'scan-baseline' (the row a first scan compared its newest
   * day with). Absent for days the scan evaluated. Kept when a day is
   * rewritten.
   */
  storedBy?: string;
}

/** A write that only happens while the scan's lease holds, judged at `now` by the scan's clock. */
export interface Fenced {
  fence: LeaseFence;
  now: Date;
}

export interface CodeState {
  stkCd: string;
  /** Newest stored trading day; null before the first one. */
  lastDt: TradingDay | null;
  /** ISO instant a scan last finished this code. */
  checkedAt: string;
  lastRunId: string;
}

/**
 * A scan's failed attempt at a code. Kept apart from the code's state, which
 * it never changes: it only orders the code after the others next time and
 * keeps the rest of the same run from trying it again.
 */
export interface CodeFailure {
  stkCd: string;
  /** ISO instant of the failure. */
  failedAt: string;
  runId: string;
  error: string;
}

/** Snapshot fields that are numbers, by their attribute name. */
const NUMBER_ATTRIBUTES = {
  close_price: 'closePrice',
  pred_pre: 'predPre',
  trde_qty: 'tradeQty',
  chg_qty: 'chgQty',
  poss_stkcnt: 'possStkcnt',
  wght_bp: 'wghtBp',
  gain_pos_stkcnt: 'gainPosStkcnt',
  frgnr_limit: 'frgnrLimit',
  frgnr_limit_irds: 'frgnrLimitIrds',
  limit_exh_rt_bp: 'limitExhRtBp',
} as const satisfies Record<string, keyof Snapshot>;

type NumberAttribute = keyof typeof NUMBER_ATTRIBUTES;

export interface SnapshotItem extends Partial<Record<NumberAttribute, number>> {
  pk: string;
  sk: string;
  stk_cd: string;
  dt: TradingDay;
  close_direction?: PriceDirection;
  row: RawRow;
  rule_state: RuleStateItem;
  revision: number;
  previous_rows: RawRow[];
  stored_at: string;
  stored_by?: string;
}

/** RuleState as stored; the optional members appear only when they hold something. */
export interface RuleStateItem {
  disarmed_up_bp: number[];
  disarmed_down_bp: number[];
  pending_crossings?: { direction: AlertDirection; threshold_bp: number; since_dt: TradingDay; days: number }[];
  reminders?: { direction: AlertDirection; threshold_bp: number; since_dt: TradingDay; days_since_last: number }[];
  forecast_disarmed?: boolean;
}

export function toRuleStateItem(state: RuleState): RuleStateItem {
  const item: RuleStateItem = {
    disarmed_up_bp: [...state.disarmedUpBp],
    disarmed_down_bp: [...state.disarmedDownBp],
  };
  if (state.pendingCrossings && state.pendingCrossings.length > 0) {
    item.pending_crossings = state.pendingCrossings.map((p) => ({
      direction: p.direction,
      threshold_bp: p.thresholdBp,
      since_dt: p.sinceDt,
      days: p.days,
    }));
  }
  if (state.reminders && state.reminders.length > 0) {
    item.reminders = state.reminders.map((r) => ({
      direction: r.direction,
      threshold_bp: r.thresholdBp,
      since_dt: r.sinceDt,
      days_since_last: r.daysSinceLast,
    }));
  }
  if (state.forecastDisarmed === true) item.forecast_disarmed = true;
  return item;
}

/** Tolerant: items written before these members existed, or with a malformed entry, read as "none". */
export function fromRuleStateItem(value: unknown): RuleState {
  const item = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const state: RuleState = {
    disarmedUpBp: toNumberList(item.disarmed_up_bp),
    disarmedDownBp: toNumberList(item.disarmed_down_bp),
  };
  const pending = listOf(item.pending_crossings).flatMap((p): PendingCrossing[] => {
    const direction = toAlertDirection(p.direction);
    return direction && typeof p.threshold_bp === 'number' && typeof p.since_dt === 'string' && typeof p.days === 'number'
      ? [{ direction, thresholdBp: p.threshold_bp, sinceDt: p.since_dt, days: p.days }]
      : [];
  });
  if (pending.length > 0) state.pendingCrossings = pending;
  const reminders = listOf(item.reminders).flatMap((r): ReminderClock[] => {
    const direction = toAlertDirection(r.direction);
    return direction && typeof r.threshold_bp === 'number' && typeof r.since_dt === 'string' && typeof r.days_since_last === 'number'
      ? [{ direction, thresholdBp: r.threshold_bp, sinceDt: r.since_dt, daysSinceLast: r.days_since_last }]
      : [];
  });
  if (reminders.length > 0) state.reminders = reminders;
  if (item.forecast_disarmed === true) state.forecastDisarmed = true;
  return state;
}

function listOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    : [];
}

function toAlertDirection(value: unknown): AlertDirection | null {
  return value === 'up' || value === 'down' ? value : null;
}

/** Nulls ("Kiwoom did not say") are left out of the item rather than stored as NULL. */
export function toSnapshotItem(stored: StoredSnapshot): SnapshotItem {
  const { snapshot } = stored;
  const item: SnapshotItem = {
    ...snapshotKey(snapshot.stkCd, snapshot.dt),
    stk_cd: snapshot.stkCd,
    dt: snapshot.dt,
    row: { ...snapshot.row },
    rule_state: toRuleStateItem(stored.ruleState),
    revision: stored.revision,
    previous_rows: stored.previousRows.map((row) => ({ ...row })),
    stored_at: stored.storedAt,
  };
  if (snapshot.closeDirection !== null) item.close_direction = snapshot.closeDirection;
  if (stored.storedBy !== undefined) item.stored_by = stored.storedBy;
  for (const [attribute, field] of Object.entries(NUMBER_ATTRIBUTES) as [NumberAttribute, keyof Snapshot][]) {
    const value = snapshot[field];
    if (typeof value === 'number') item[attribute] = value;
  }
  return item;
}

export function fromSnapshotItem(item: Record<string, unknown>): StoredSnapshot {
  const where = `${String(item.pk)}/${String(item.sk)}`;
  const stkCd = item.stk_cd;
  const dt = item.dt;
  if (typeof stkCd !== 'string' || typeof dt !== 'string') {
    throw new CorruptItemError(where, 'snapshot without stk_cd or dt');
  }
  const numbers = {} as Record<(typeof NUMBER_ATTRIBUTES)[NumberAttribute], number | null>;
  for (const [attribute, field] of Object.entries(NUMBER_ATTRIBUTES) as [NumberAttribute, (typeof NUMBER_ATTRIBUTES)[NumberAttribute]][]) {
    numbers[field] = toNumberOrNull(item[attribute], where, attribute);
  }
  return {
    snapshot: {
      stkCd,
      dt,
      closeDirection: toDirection(item.close_direction),
      ...numbers,
      row: toRawRow(item.row, where),
    },
    ruleState: fromRuleStateItem(item.rule_state),
    revision: typeof item.revision === 'number' ? item.revision : 0,
    previousRows: Array.isArray(item.previous_rows) ? item.previous_rows.map((row) => toRawRow(row, where)) : [],
    storedAt: typeof item.stored_at === 'string' ? item.stored_at : '',
    ...(typeof item.stored_by === 'string' ? { storedBy: item.stored_by } : {}),
  };
}

function toNumberOrNull(value: unknown, where: string, attribute: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  throw new CorruptItemError(where, `${attribute} is not a number`);
}

function toDirection(value: unknown): PriceDirection | null {
  return value === 'up' || value === 'down' || value === 'unchanged' ? value : null;
}

function toNumberList(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
}

function toRawRow(value: unknown, where: string): RawRow {
  if (typeof value !== 'object' || value === null) throw new CorruptItemError(where, 'row is not a map');
  const source = value as Record<string, unknown>;
  const row = {} as RawRow;
  for (const field of RAW_ROW_FIELDS) {
    const text = source[field];
    row[field] = typeof text === 'string' ? text : '';
  }
  return row;
}

/** One item per day; a write may not name the same key twice, so the later version of a day wins. */
function snapshotItems(list: readonly StoredSnapshot[]): Record<string, unknown>[] {
  const byKey = new Map<string, Record<string, unknown>>();
  for (const stored of list) {
    const item = toSnapshotItem(stored);
    byKey.set(`${item.pk}\u0000${item.sk}`, { ...item });
  }
  return [...byKey.values()];
}

function toCodeStateItem(state: CodeState): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...codeStateKey(state.stkCd),
    stk_cd: state.stkCd,
    checked_at: state.checkedAt,
    last_run_id: state.lastRunId,
  };
  if (state.lastDt !== null) item.last_dt = state.lastDt;
  return item;
}

function fromCodeStateItem(item: Record<string, unknown>): CodeState {
  const pk = String(item.pk);
  return {
    stkCd: typeof item.stk_cd === 'string' ? item.stk_cd : pk.slice(pk.indexOf('#') + 1),
    lastDt: typeof item.last_dt === 'string' ? item.last_dt : null,
    checkedAt: typeof item.checked_at === 'string' ? item.checked_at : '',
    lastRunId: typeof item.last_run_id === 'string' ? item.last_run_id : '',
  };
}

export class HistoryStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly backoff: BackoffOptions = {},
  ) {}

  /** Newest first. Consistent, so a day stored earlier in the same run is seen. */
  async recentSnapshots(stkCd: string, limit: number): Promise<StoredSnapshot[]> {
    if (limit <= 0) return [];
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${SNAPSHOT_PREFIX}${stkCd}` },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(fromSnapshotItem);
  }

  /** Oldest first, both ends included. */
  async snapshotsBetween(stkCd: string, fromDt: TradingDay, toDt: TradingDay): Promise<StoredSnapshot[]> {
    if (fromDt > toDt) return [];
    const snapshots: StoredSnapshot[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': `${SNAPSHOT_PREFIX}${stkCd}`, ':from': fromDt, ':to': toDt },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      snapshots.push(...(page.Items ?? []).map(fromSnapshotItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return snapshots;
  }

  async putSnapshots(list: readonly StoredSnapshot[]): Promise<void> {
    const requests = snapshotItems(list).map((Item) => ({ PutRequest: { Item } }));
    await this.batchWrite(requests);
  }

  /** States of the codes that have one; codes never scanned are absent from the map. */
  codeStates(stkCds: readonly string[]): Promise<Map<string, CodeState>> {
    return this.perCode(stkCds, codeStateKey, fromCodeStateItem);
  }

  /** The item under `keyOf(code)` for each code that has one, read by `read`. */
  private async perCode<T extends { stkCd: string }>(
    stkCds: readonly string[],
    keyOf: (stkCd: string) => HistoryKey,
    read: (item: Record<string, unknown>) => T,
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const keys = [...new Set(stkCds)].map((stkCd) => ({ ...keyOf(stkCd) }));
    await batchGetConsistent(this.doc, this.tableName, keys, (item) => {
      const value = read(item);
      found.set(value.stkCd, value);
    }, this.backoff);
    return found;
  }

  /**
   * A code's new and revised days, then its state, never the state alone:
   * a state that names a day not stored would make the next run take that
   * day for evaluated. Fenced (the scan's own writes), a typical evening is
   * one transaction with the lease check: days and state together or
   * nothing (with `alongside`, the caller's own writes too: the day's ledger
   * entries), and a scan that lost its lease learns so here, before it
   * publishes anything of this code. Otherwise (or for more days than one
   * transaction holds) the days go first in batches, which may hand items
   * back unprocessed, and the state only once every day is in. False when
   * `alongside` did not fit: then nothing was written.
   */
  async saveCode(
    list: readonly StoredSnapshot[],
    state: CodeState,
    fenced?: Fenced,
    alongside: readonly FencedItem[] = [],
  ): Promise<boolean> {
    const days = snapshotItems(list);
    const put = { TableName: this.tableName, Item: toCodeStateItem(state) };
    // A typical evening (a day or a few, the state, the day's alerts) is one fenced transaction: all or nothing.
    if (fenced && days.length + alongside.length < FENCED_ITEMS_MAX) {
      const puts = [...alongside, ...days.map((Item) => ({ Put: { TableName: this.tableName, Item } })), { Put: put }];
      await fencedWrite(this.doc, fenced.fence, fenced.now, puts);
      return true;
    }
    // Too much for one transaction: nothing written, the caller writes its own items first.
    if (alongside.length > 0) return false;
    await this.batchWrite(days.map((Item) => ({ PutRequest: { Item } })));
    if (fenced) await fencedWrite(this.doc, fenced.fence, fenced.now, { Put: put });
    else await this.doc.send(new PutCommand(put));
    return true;
  }

  async recordFailure(failure: CodeFailure): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...codeFailureKey(failure.stkCd),
          stk_cd: failure.stkCd,
          failed_at: failure.failedAt,
          run_id: failure.runId,
          error: failure.error.slice(0, 300),
        },
      }),
    );
  }

  /** The last failed attempt of each code that has one. */
  codeFailures(stkCds: readonly string[]): Promise<Map<string, CodeFailure>> {
    return this.perCode(stkCds, codeFailureKey, (item) => ({
      stkCd: String(item.stk_cd),
      failedAt: typeof item.failed_at === 'string' ? item.failed_at : '',
      runId: typeof item.run_id === 'string' ? item.run_id : '',
      error: typeof item.error === 'string' ? item.error : '',
    }));
  }

  async putCodeState(state: CodeState): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: toCodeStateItem(state) }));
  }

  private async batchWrite(requests: { PutRequest: { Item: Record<string, unknown> } }[]): Promise<void> {
    for (const requestsChunk of chunk(requests, BATCH_WRITE_LIMIT)) {
      await untilProcessed(
        'BatchWriteItem',
        requestsChunk,
        async (batch) => {
          const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
          return (out.UnprocessedItems?.[this.tableName] ?? []) as typeof batch;
        },
        this.backoff,
      );
    }
  }
}
