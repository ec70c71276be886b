// One item per (code, day, rule) alert, written before the SNS publish and
// marked sent after it. A retried scan finds the entry and neither re-sends a
// sent alert nor forgets an unsent one.
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { alertIdOf, CORRECTION_RULE, type LedgerRule, type RuleId, type TradingDay } from '../domain/types.ts';
import { batchGetConsistent, type BackoffOptions } from './batch.ts';
import { CorruptItemError, isConditionalCheckFailed, LedgerEntryNotFoundError } from './errors.ts';
import { FencedConditionFailed, fencedWrite, type FencedItem, type LeaseFence } from './fence.ts';
import { ALERT_PREFIX, alertKey } from './keys.ts';
import { UNSENT_INDEX, UNSENT_MARK } from './tables.ts';

/**
 * `suppressed`: the alert was due but not published (its code was snoozed);
 * kept with its message for the history and an on-purpose resend, never in
 * the unsent index.
 */
export type LedgerStatus = 'pending' | 'sent' | 'failed' | 'suppressed';

/** Exactly what goes to SNS, kept so an unsent alert can be re-sent unchanged. */
export interface LedgerMessage {
  subject: string;
  /** The SNS `Message` string (MessageStructure json). */
  messageJson: string;
  attributes: Record<string, string>;
}

export interface LedgerEntry {
  alertId: string;
  stkCd: string;
  dt: TradingDay;
  rule: LedgerRule;
  /** Tells apart a second entry for the same day and rule (see alertIdOf). */
  variant?: string;
  status: LedgerStatus;
  message: LedgerMessage;
  /** The alert follows a revision of an already stored day. */
  revision: boolean;
  createdAt: string;
  updatedAt: string;
  sentAt?: string;
  /** Publish attempts so far, failed and successful. */
  attempts: number;
  lastError?: string;
  /** SNS message id of the successful publish. */
  messageId?: string;
  /** Why a suppressed entry was not published (e.g. "snoozed until 20250110"). */
  suppressedReason?: string;
  /** On-purpose re-publications (`kfa alerts resend`); the status is left as it was. */
  resends?: number;
  lastResentAt?: string;
  lastResendMessageId?: string;
  /** Corrected history no longer supports this alert at all: it announces nothing any more. */
  withdrawn?: boolean;
  /** Crossing thresholds of this alert corrected history no longer supports (a correction notice said so). */
  withdrawnBp?: number[];
}

/** An entry for a rule's alert (not a correction notice). */
export type RuleAlertEntry = LedgerEntry & { rule: RuleId };

export function isRuleAlertEntry(entry: LedgerEntry): entry is RuleAlertEntry {
  return entry.rule !== CORRECTION_RULE;
}

/** Which entry: its code, day, rule and variant. */
export type LedgerRef = Pick<LedgerEntry, 'stkCd' | 'dt' | 'rule' | 'variant'>;

/** What a correction withdraws from an entry. */
export interface LedgerWithdrawal {
  /** Crossings: the thresholds withdrawn. */
  thresholdsBp: number[];
  /** Nothing of the entry stands. */
  all: boolean;
  /** Why, for the history (an unsent entry is suppressed with it). */
  reason: string;
}

export interface SuppressedLedgerEntry extends NewLedgerEntry {
  reason: string;
}

export interface NewLedgerEntry {
  stkCd: string;
  dt: TradingDay;
  rule: LedgerRule;
  variant?: string;
  message: LedgerMessage;
  revision: boolean;
  /** Defaults to `alertIdOf(stkCd, dt, rule, variant)`. */
  alertId?: string;
}

export type RecordResult = { created: true; entry: LedgerEntry } | { created: false; existing: LedgerEntry };

/** Entries to create inside a caller's transaction, and the writes that do it. */
export interface Creations {
  writes: FencedItem[];
  entries: LedgerEntry[];
}

/** The notice recorded with a withdrawal (null for an unsent entry, which needs none). */
export type WithdrawResult = { withdrawn: true; notice: LedgerEntry | null } | { withdrawn: false; notice: null };

/** `claimed`: this scan may publish the entry now; otherwise the entry as it is (sent, suppressed). */
export type ClaimResult = { claimed: true } | { claimed: false; entry: LedgerEntry | undefined };

export interface LedgerQuery {
  stkCd?: string;
  /** Only alerts for trading days on or after this one. */
  since?: TradingDay;
  status?: LedgerStatus;
  limit?: number;
}

export interface AlertLedgerOptions {
  /** The clock for created_at / updated_at / sent_at. */
  now?: () => Date;
  backoff?: BackoffOptions;
}

/** Errors go to the ledger for people to read; a stack or an HTML page would only bloat it. */
const LAST_ERROR_MAX = 300;

export class AlertLedger {
  private readonly now: () => Date;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly options: AlertLedgerOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Creates a pending entry unless one exists for (code, day, rule); then
   * returns that one untouched. With a fence, only while the lease holds.
   */
  async record(entry: NewLedgerEntry, fence?: LeaseFence): Promise<RecordResult> {
    const created = newLedgerEntry(entry, 'pending', this.now().toISOString());
    return this.create(created, { ...toLedgerItem(created), unsent: UNSENT_MARK }, fence);
  }

  /**
   * The writes that create these entries (pending, or suppressed with a
   * reason), each unless an entry exists for its key, for the caller to run
   * in one fenced transaction with its own writes (a code's commit).
   */
  creationWrites(entries: readonly (NewLedgerEntry & { suppressedReason?: string })[], fence: LeaseFence): Creations {
    const at = this.now().toISOString();
    const created = entries.map((entry): LedgerEntry => {
      const reason = entry.suppressedReason;
      if (reason === undefined) return newLedgerEntry(entry, 'pending', at);
      return { ...newLedgerEntry(entry, 'suppressed', at), suppressedReason: reason.slice(0, LAST_ERROR_MAX) };
    });
    const writes = created.map((entry) => ({
      Put: {
        TableName: this.tableName,
        Item: { ...toLedgerItem(entry), ...(entry.status === 'pending' ? { unsent: UNSENT_MARK } : {}), recorded_epoch: fence.epoch },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
    return { writes, entries: created };
  }

  /**
   * Claims an unsent entry for publishing, in one transaction with the
   * lease check: throws LeaseLostError once another scan took the lease, so
   * a scan that lost it never publishes. An entry another scan has sent (or
   * that was suppressed) meanwhile is not claimed. The entry stays in the
   * unsent index until markSent: a crash after the claim leaves it for the
   * next run.
   */
  async claim(entry: LedgerRef, fence: LeaseFence): Promise<ClaimResult> {
    const at = this.now();
    try {
      await fencedWrite(this.doc, fence, at, {
        Update: {
          TableName: this.tableName,
          Key: keyOf(entry),
          UpdateExpression: 'SET claimed_epoch = :epoch, claimed_at = :at ADD claims :one',
          ConditionExpression: 'attribute_exists(pk) AND (#status = :pending OR #status = :failed)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':epoch': fence.epoch,
            ':at': at.toISOString(),
            ':one': 1,
            ':pending': 'pending',
            ':failed': 'failed',
          },
        },
      });
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof FencedConditionFailed)) throw error;
      return { claimed: false, entry: await this.get(entry.stkCd, entry.dt, entry.rule, entry.variant) };
    }
  }

  /**
   * Records an alert that is not to be published (snoozed): status
   * `suppressed`, out of the unsent index, the message kept. An existing
   * entry for (code, day, rule), whatever its status, is returned untouched.
   */
  async recordSuppressed(entry: SuppressedLedgerEntry, fence?: LeaseFence): Promise<RecordResult> {
    const created: LedgerEntry = {
      ...newLedgerEntry(entry, 'suppressed', this.now().toISOString()),
      suppressedReason: entry.reason.slice(0, LAST_ERROR_MAX),
    };
    // No `unsent` attribute: a suppressed entry never enters the retry index.
    return this.create(created, toLedgerItem(created), fence);
  }

  /**
   * Turns an unsent entry into a suppressed one (its code was snoozed before
   * it could be published): out of the unsent index, never published by a
   * run again. A sent entry stays sent; returns the entry as it now is.
   */
  async suppress(entry: LedgerRef, reason: string, fence?: LeaseFence): Promise<LedgerEntry | undefined> {
    const update = {
      TableName: this.tableName,
      Key: keyOf(entry),
      UpdateExpression: 'SET #status = :suppressed, suppressed_reason = :reason, updated_at = :at REMOVE unsent',
      ConditionExpression: 'attribute_exists(pk) AND (#status = :pending OR #status = :failed)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':suppressed': 'suppressed',
        ':reason': reason.slice(0, LAST_ERROR_MAX),
        ':at': this.now().toISOString(),
        ':pending': 'pending',
        ':failed': 'failed',
      },
    };
    try {
      if (fence) await fencedWrite(this.doc, fence, this.now(), { Update: update });
      else await this.doc.send(new UpdateCommand(update));
    } catch (error) {
      if (!isConditionalCheckFailed(error) && !(error instanceof FencedConditionFailed)) throw error;
    }
    return this.get(entry.stkCd, entry.dt, entry.rule, entry.variant);
  }

  /**
   * Withdraws what corrected history no longer supports, in one transaction
   * with the notice that says so: a sent entry keeps its status and records
   * the withdrawn thresholds (or that nothing of it stands), and `notice` is
   * recorded pending; an unsent one is suppressed for good and needs no
   * notice. Done once: the entry then announces less, so a re-run finds
   * nothing more to withdraw. Not withdrawn when the entry changed meanwhile.
   */
  async withdraw(
    entry: LedgerEntry,
    withdrawal: LedgerWithdrawal,
    notice: NewLedgerEntry | null,
    fence?: LeaseFence,
  ): Promise<WithdrawResult> {
    const at = this.now().toISOString();
    const sent = entry.status === 'sent';
    const update = {
      TableName: this.tableName,
      Key: keyOf(entry),
      UpdateExpression: sent
        ? 'SET withdrawn = :all, withdrawn_bp = :bp, updated_at = :at'
        : 'SET withdrawn = :all, withdrawn_bp = :bp, updated_at = :at, #status = :suppressed, suppressed_reason = :reason REMOVE unsent',
      ConditionExpression: sent ? '#status = :sent' : '#status = :pending OR #status = :failed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':all': sent ? withdrawal.all : true,
        ':bp': [...new Set([...(entry.withdrawnBp ?? []), ...withdrawal.thresholdsBp])],
        ':at': at,
        ...(sent
          ? { ':sent': 'sent' }
          : { ':suppressed': 'suppressed', ':reason': withdrawal.reason.slice(0, LAST_ERROR_MAX), ':pending': 'pending', ':failed': 'failed' }),
      },
    };
    const created = notice === null ? null : newLedgerEntry(notice, 'pending', at);
    const writes = [
      { Update: update },
      ...(created === null
        ? []
        : [{ Put: { TableName: this.tableName, Item: { ...toLedgerItem(created), unsent: UNSENT_MARK }, ConditionExpression: 'attribute_not_exists(pk)' } }]),
    ];
    try {
      if (fence) await fencedWrite(this.doc, fence, this.now(), writes);
      else await this.doc.send(new TransactWriteCommand({ TransactItems: writes }));
      return { withdrawn: true, notice: created };
    } catch (error) {
      if (error instanceof FencedConditionFailed || isCancelled(error)) return { withdrawn: false, notice: null };
      throw error;
    }
  }

  /**
   * Notes an on-purpose re-publication. Status, sent_at, message_id and the
   * unsent index stay as they were: a resend neither makes a pending alert
   * sent nor a sent one pending.
   */
  async recordResend(stkCd: string, dt: TradingDay, rule: LedgerRule, messageId: string, variant?: string): Promise<LedgerEntry> {
    const at = this.now().toISOString();
    return this.update({ stkCd, dt, rule, variant }, {
      UpdateExpression: 'SET last_resent_at = :at, last_resend_message_id = :messageId, updated_at = :at ADD resends :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': at, ':messageId': messageId, ':one': 1 },
    });
  }

  async markSent(stkCd: string, dt: TradingDay, rule: LedgerRule, messageId: string, variant?: string): Promise<LedgerEntry> {
    const at = this.now().toISOString();
    return this.update({ stkCd, dt, rule, variant }, {
      // REMOVE unsent takes the entry out of the sparse index.
      UpdateExpression:
        'SET #status = :sent, sent_at = :at, updated_at = :at, message_id = :messageId ADD attempts :one REMOVE unsent',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':at': at, ':messageId': messageId, ':one': 1 },
    });
  }

  /** Counts the attempt and keeps the entry unsent. A sent entry stays sent. */
  async markFailed(stkCd: string, dt: TradingDay, rule: LedgerRule, error: string, variant?: string): Promise<LedgerEntry> {
    const at = this.now().toISOString();
    return this.update(
      { stkCd, dt, rule, variant },
      {
        UpdateExpression: 'SET #status = :failed, last_error = :error, updated_at = :at ADD attempts :one',
        ConditionExpression: 'attribute_exists(pk) AND #status <> :sent',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':sent': 'sent',
          ':error': error.slice(0, LAST_ERROR_MAX),
          ':at': at,
          ':one': 1,
        },
      },
      async (cause) => {
        const current = await this.get(stkCd, dt, rule, variant);
        if (current) return current;
        throw new LedgerEntryNotFoundError(stkCd, dt, rule, { cause });
      },
    );
  }

  async get(stkCd: string, dt: TradingDay, rule: LedgerRule, variant?: string): Promise<LedgerEntry | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: alertKey(stkCd, dt, rule, variant), ConsistentRead: true }),
    );
    return out.Item ? fromLedgerItem(out.Item) : undefined;
  }

  /**
   * Entries still to be sent, oldest first. The index is eventually
   * consistent, so every hit is re-read with a consistent read and dropped
   * if it was sent meanwhile. An entry recorded a moment ago may not be in
   * the index yet; the next run picks it up.
   */
  async unsent(): Promise<LedgerEntry[]> {
    const keys: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: UNSENT_INDEX.indexName,
          KeyConditionExpression: '#unsent = :unsent',
          ExpressionAttributeNames: { '#unsent': UNSENT_INDEX.partitionKey.name },
          ExpressionAttributeValues: { ':unsent': UNSENT_MARK },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) keys.push({ pk: item.pk, sk: item.sk });
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    const fresh: LedgerEntry[] = [];
    await batchGetConsistent(this.doc, this.tableName, keys, (item) => fresh.push(fromLedgerItem(item)), this.options.backoff);
    return fresh.filter((entry) => entry.status !== 'sent' && entry.status !== 'suppressed').sort(byCreatedAt);
  }

  /** Newest trading day first (then newest created). */
  async list(query: LedgerQuery = {}): Promise<LedgerEntry[]> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filters: string[] = [];
    if (query.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = query.status;
      filters.push('#status = :status');
    }
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      let page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };
      if (query.stkCd !== undefined) {
        const keyCondition = query.since !== undefined ? 'pk = :pk AND sk >= :since' : 'pk = :pk';
        page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: keyCondition,
            FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
            ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
            ExpressionAttributeValues: {
              ...values,
              ':pk': `${ALERT_PREFIX}${query.stkCd}`,
              ...(query.since !== undefined ? { ':since': query.since } : {}),
            },
            ScanIndexForward: false,
            ExclusiveStartKey: startKey,
          }),
        );
      } else {
        const scanFilters = ['begins_with(pk, :prefix)', ...filters];
        if (query.since !== undefined) scanFilters.push('dt >= :since');
        page = await this.doc.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: scanFilters.join(' AND '),
            ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
            ExpressionAttributeValues: {
              ...values,
              ':prefix': ALERT_PREFIX,
              ...(query.since !== undefined ? { ':since': query.since } : {}),
            },
            ExclusiveStartKey: startKey,
          }),
        );
      }
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const entries = items.map(fromLedgerItem).sort(newestFirst);
    return query.limit !== undefined ? entries.slice(0, Math.max(0, query.limit)) : entries;
  }

  /** Puts `item` (the form of `created`) unless an entry exists for its key; then returns that one. */
  private async create(created: LedgerEntry, item: Record<string, unknown>, fence?: LeaseFence): Promise<RecordResult> {
    // Which acquisition of the lease recorded it, for the history.
    const Item = fence ? { ...item, recorded_epoch: fence.epoch } : item;
    const put = { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' };
    try {
      if (fence) await fencedWrite(this.doc, fence, this.now(), { Put: put });
      else await this.doc.send(new PutCommand(put));
      return { created: true, entry: created };
    } catch (error) {
      if (!isConditionalCheckFailed(error) && !(error instanceof FencedConditionFailed)) throw error;
      // The document client does not unmarshall an error's Item, so read it back.
      const existing = await this.get(created.stkCd, created.dt, created.rule, created.variant);
      if (!existing) throw error; // deleted between the two calls: let the caller retry
      return { created: false, existing };
    }
  }

  /**
   * Updates the entry for (code, day, rule) and returns it as it now is.
   * When the condition fails, `onConditionFailed` decides; by default the
   * entry is taken not to exist.
   */
  private async update(
    ref: LedgerRef,
    update: LedgerUpdate,
    onConditionFailed: (cause: unknown) => Promise<LedgerEntry> = (cause) =>
      Promise.reject(new LedgerEntryNotFoundError(ref.stkCd, ref.dt, ref.rule, { cause })),
  ): Promise<LedgerEntry> {
    let out: UpdateCommandOutput;
    try {
      out = await this.doc.send(
        new UpdateCommand({ TableName: this.tableName, Key: keyOf(ref), ...update, ReturnValues: 'ALL_NEW' }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return onConditionFailed(error);
      throw error;
    }
    return fromLedgerItem(out.Attributes ?? {});
  }
}

/** What an update sets and on which condition; the key and ReturnValues are the ledger's. */
type LedgerUpdate = Pick<
  UpdateCommandInput,
  'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
>;

function keyOf(ref: LedgerRef): ReturnType<typeof alertKey> {
  return alertKey(ref.stkCd, ref.dt, ref.rule, ref.variant);
}

function isCancelled(error: unknown): boolean {
  return error instanceof Error && error.name === 'TransactionCanceledException';
}

function newLedgerEntry(entry: NewLedgerEntry, status: LedgerStatus, at: string): LedgerEntry {
  return {
    alertId: entry.alertId ?? alertIdOf(entry.stkCd, entry.dt, entry.rule, entry.variant),
    stkCd: entry.stkCd,
    dt: entry.dt,
    rule: entry.rule,
    ...(entry.variant === undefined ? {} : { variant: entry.variant }),
    status,
    message: entry.message,
    revision: entry.revision,
    createdAt: at,
    updatedAt: at,
    attempts: 0,
  };
}

function byCreatedAt(a: LedgerEntry, b: LedgerEntry): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}

function newestFirst(a: LedgerEntry, b: LedgerEntry): number {
  if (a.dt !== b.dt) return a.dt < b.dt ? 1 : -1;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  if (a.stkCd !== b.stkCd) return a.stkCd < b.stkCd ? -1 : 1;
  return a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0;
}

function toLedgerItem(entry: LedgerEntry): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...keyOf(entry),
    alert_id: entry.alertId,
    stk_cd: entry.stkCd,
    dt: entry.dt,
    rule: entry.rule,
    status: entry.status,
    message: {
      subject: entry.message.subject,
      message_json: entry.message.messageJson,
      attributes: { ...entry.message.attributes },
    },
    revision: entry.revision,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
    attempts: entry.attempts,
  };
  if (entry.sentAt !== undefined) item.sent_at = entry.sentAt;
  if (entry.lastError !== undefined) item.last_error = entry.lastError;
  if (entry.messageId !== undefined) item.message_id = entry.messageId;
  if (entry.suppressedReason !== undefined) item.suppressed_reason = entry.suppressedReason;
  if (entry.resends !== undefined) item.resends = entry.resends;
  if (entry.lastResentAt !== undefined) item.last_resent_at = entry.lastResentAt;
  if (entry.lastResendMessageId !== undefined) item.last_resend_message_id = entry.lastResendMessageId;
  if (entry.variant !== undefined) item.variant = entry.variant;
  return item;
}

function fromLedgerItem(item: Record<string, unknown>): LedgerEntry {
  const where = `${String(item.pk)}/${String(item.sk)}`;
  const message = item.message as { subject?: unknown; message_json?: unknown; attributes?: unknown } | undefined;
  if (typeof item.stk_cd !== 'string' || typeof item.dt !== 'string' || typeof item.rule !== 'string' || !message) {
    throw new CorruptItemError(where, 'ledger entry without stk_cd, dt, rule or message');
  }
  const status =
    item.status === 'sent' || item.status === 'failed' || item.status === 'suppressed' ? item.status : 'pending';
  const variant = typeof item.variant === 'string' ? item.variant : undefined;
  const entry: LedgerEntry = {
    alertId: typeof item.alert_id === 'string' ? item.alert_id : alertIdOf(item.stk_cd, item.dt, item.rule as LedgerRule, variant),
    stkCd: item.stk_cd,
    dt: item.dt,
    rule: item.rule as LedgerRule,
    ...(variant === undefined ? {} : { variant }),
    status,
    message: {
      subject: typeof message.subject === 'string' ? message.subject : '',
      messageJson: typeof message.message_json === 'string' ? message.message_json : '',
      attributes: stringMap(message.attributes),
    },
    revision: item.revision === true,
    createdAt: typeof item.created_at === 'string' ? item.created_at : '',
    updatedAt: typeof item.updated_at === 'string' ? item.updated_at : '',
    attempts: typeof item.attempts === 'number' ? item.attempts : 0,
  };
  if (typeof item.sent_at === 'string') entry.sentAt = item.sent_at;
  if (typeof item.last_error === 'string') entry.lastError = item.last_error;
  if (typeof item.message_id === 'string') entry.messageId = item.message_id;
  if (typeof item.suppressed_reason === 'string') entry.suppressedReason = item.suppressed_reason;
  if (typeof item.resends === 'number') entry.resends = item.resends;
  if (typeof item.last_resent_at === 'string') entry.lastResentAt = item.last_resent_at;
  if (typeof item.last_resend_message_id === 'string') entry.lastResendMessageId = item.last_resend_message_id;
  if (item.withdrawn === true) entry.withdrawn = true;
  if (Array.isArray(item.withdrawn_bp) && item.withdrawn_bp.length > 0) {
    entry.withdrawnBp = item.withdrawn_bp.filter((t): t is number => typeof t === 'number');
  }
  return entry;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, text] of Object.entries(value)) if (typeof text === 'string') out[key] = text;
  return out;
}
