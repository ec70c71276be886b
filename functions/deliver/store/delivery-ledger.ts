// Exactly once per (delivery key, channel): an entry is claimed with a
// conditional write before the chat API is called and marked sent after it
// answers. An SNS duplicate or an SQS redelivery finds the entry and sends
// nothing. A claim lasts a little longer than the invocation that took it,
// so a crash leaves it claimable by the redelivery that follows; a transient
// failure releases it at once (`retry`, optionally not before a time the API
// named). Each update after the claim is fenced by the claim's id: an
// invocation whose claim lapsed and was taken over cannot overwrite the new
// holder's bookkeeping. Items sit in the History table under DELIVERY#<key>.
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HISTORY_KEYS } from '../../store/tables.ts';
import { isConditionalCheckFailed } from '../../store/errors.ts';

export const DELIVERY_PREFIX = 'DELIVERY#';

const PK = HISTORY_KEYS.partitionKey.name;
const SK = HISTORY_KEYS.sortKey.name;

/** Errors are kept for people to read; an HTML error page would only bloat the item. */
const LAST_ERROR_MAX = 300;

export type DeliveryStatus = 'sending' | 'sent' | 'retry' | 'failed';

export interface DeliveryEntry {
  deliveryKey: string;
  channel: string;
  channelType: string;
  status: DeliveryStatus;
  attempts: number;
  /** Telegram parts already accepted (a long message is several). */
  partsSent: number;
  partsTotal?: number;
  claimId?: string;
  /** Epoch ms until which a `sending` claim excludes others. */
  claimedUntil?: number;
  /** Epoch ms before which a `retry` entry must not be sent (the API's retry_after). */
  notBefore?: number;
  lastError?: string;
  reference?: string;
  sentAt?: string;
  createdAt: string;
  updatedAt: string;
}

export type Claim =
  | { claimed: true; claimId: string; entry: DeliveryEntry }
  /** sent or failed: done; in_flight: another invocation holds a live claim; backoff: the API asked to wait. */
  | { claimed: false; reason: 'sent' | 'failed' | 'in_flight' | 'backoff'; entry: DeliveryEntry };

export interface ClaimRequest {
  deliveryKey: string;
  channel: string;
  channelType: string;
  now: Date;
  /** How long the claim excludes others: past this invocation's end. */
  holdMs: number;
}

export const deliveryKeyOf = (deliveryKey: string, channel: string) => ({ [PK]: `${DELIVERY_PREFIX}${deliveryKey}`, [SK]: channel });

export class DeliveryLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async claim(request: ClaimRequest): Promise<Claim> {
    const claimId = randomUUID();
    const now = request.now.getTime();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliveryKeyOf(request.deliveryKey, request.channel),
          UpdateExpression:
            'SET #status = :sending, claim_id = :claimId, claimed_until = :until, channel_type = :type, ' +
            'parts_sent = if_not_exists(parts_sent, :zero), created_at = if_not_exists(created_at, :at), updated_at = :at ' +
            'ADD attempts :one REMOVE not_before',
          ConditionExpression:
            'attribute_not_exists(#pk) OR (#status = :retry AND (attribute_not_exists(not_before) OR not_before <= :now)) ' +
            'OR (#status = :sending AND claimed_until < :now)',
          ExpressionAttributeNames: { '#pk': PK, '#status': 'status' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':retry': 'retry',
            ':claimId': claimId,
            ':until': now + request.holdMs,
            ':type': request.channelType,
            ':zero': 0,
            ':one': 1,
            ':at': request.now.toISOString(),
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, claimId, entry: fromItem(out.Attributes ?? {}) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const entry = await this.get(request.deliveryKey, request.channel);
    if (!entry) throw new Error(`delivery ${request.deliveryKey}/${request.channel}: claim refused but no entry found`);
    const reason = entry.status === 'sent' ? 'sent' : entry.status === 'failed' ? 'failed' : entry.status === 'retry' ? 'backoff' : 'in_flight';
    return { claimed: false, reason, entry };
  }

  /** A part of a split message was accepted: a redelivery continues after it. */
  async partSent(deliveryKey: string, channel: string, claimId: string, partsSent: number, partsTotal: number, now: Date): Promise<boolean> {
    return this.fenced(deliveryKey, channel, claimId, 'SET parts_sent = :n, parts_total = :total, updated_at = :at', {
      ':n': partsSent,
      ':total': partsTotal,
      ':at': now.toISOString(),
    });
  }

  /** False when the claim was taken over meanwhile (the new holder may send again: the allowed duplicate). */
  async markSent(deliveryKey: string, channel: string, claimId: string, reference: string | undefined, now: Date): Promise<boolean> {
    const at = now.toISOString();
    return this.fenced(deliveryKey, channel, claimId, 'SET #status = :sent, sent_at = :at, updated_at = :at, api_reference = :ref REMOVE claimed_until', {
      ':sent': 'sent',
      ':at': at,
      ':ref': reference ?? null,
    });
  }

  /** Gives the claim back after a transient failure; with `notBefore` (epoch ms), no one may send earlier. */
  async release(deliveryKey: string, channel: string, claimId: string, error: string, now: Date, notBefore?: number): Promise<boolean> {
    return this.fenced(
      deliveryKey,
      channel,
      claimId,
      `SET #status = :retry, last_error = :error, updated_at = :at${notBefore === undefined ? '' : ', not_before = :notBefore'} REMOVE claimed_until`,
      {
        ':retry': 'retry',
        ':error': error.slice(0, LAST_ERROR_MAX),
        ':at': now.toISOString(),
        ...(notBefore === undefined ? {} : { ':notBefore': notBefore }),
      },
    );
  }

  /** The channel cannot take this message: no more attempts. */
  async markFailed(deliveryKey: string, channel: string, claimId: string, error: string, now: Date): Promise<boolean> {
    return this.fenced(deliveryKey, channel, claimId, 'SET #status = :failed, last_error = :error, updated_at = :at REMOVE claimed_until', {
      ':failed': 'failed',
      ':error': error.slice(0, LAST_ERROR_MAX),
      ':at': now.toISOString(),
    });
  }

  async get(deliveryKey: string, channel: string): Promise<DeliveryEntry | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: deliveryKeyOf(deliveryKey, channel), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Every channel's entry for one delivery key. */
  async entries(deliveryKey: string): Promise<DeliveryEntry[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': `${DELIVERY_PREFIX}${deliveryKey}` },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(fromItem);
  }

  private async fenced(
    deliveryKey: string,
    channel: string,
    claimId: string,
    updateExpression: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const usesStatus = updateExpression.includes('#status');
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: deliveryKeyOf(deliveryKey, channel),
          UpdateExpression: updateExpression,
          ConditionExpression: '#claimStatus = :claimed AND claim_id = :claimId',
          ExpressionAttributeNames: { '#claimStatus': 'status', ...(usesStatus ? { '#status': 'status' } : {}) },
          ExpressionAttributeValues: { ...values, ':claimed': 'sending', ':claimId': claimId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

function fromItem(item: Record<string, unknown>): DeliveryEntry {
  const pk = String(item[PK] ?? '');
  const optional = <T>(name: string, value: T | undefined) => (value === undefined || value === null ? {} : { [name]: value });
  return {
    deliveryKey: pk.startsWith(DELIVERY_PREFIX) ? pk.slice(DELIVERY_PREFIX.length) : pk,
    channel: String(item[SK] ?? ''),
    channelType: String(item.channel_type ?? ''),
    status: item.status as DeliveryStatus,
    attempts: Number(item.attempts ?? 0),
    partsSent: Number(item.parts_sent ?? 0),
    ...optional('partsTotal', item.parts_total as number | undefined),
    ...optional('claimId', item.claim_id as string | undefined),
    ...optional('claimedUntil', item.claimed_until as number | undefined),
    ...optional('notBefore', item.not_before as number | undefined),
    ...optional('lastError', item.last_error as string | undefined),
    ...optional('reference', item.api_reference as string | undefined),
    ...optional('sentAt', item.sent_at as string | undefined),
    createdAt: String(item.created_at ?? ''),
    updatedAt: String(item.updated_at ?? ''),
  };
}
