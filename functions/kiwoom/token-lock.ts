// One issuer at a time per token secret. Kiwoom may invalidate a token when it
// issues the next one, so two token-function invocations that both issue (the
// hourly `ensure` and a scan's `renew`) can leave the secret holding the token
// the other one killed: T2 issued, T3 issued (T2 dies), T2 written last. The
// issuer therefore holds this lock item in the History table from "decide to
// issue" to "secret written", and decides again once it holds it.
//
// The lock expires by itself, no later than the holder's invocation could
// still be running (its remaining time plus a margin), so a crashed holder
// blocks nobody for long, and a live holder never loses the lock before its
// write. The item also remembers when au10001 was last asked, which keeps
// issuance for a token that is merely near expiry to once per ten minutes.
import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TokenStoreError } from './errors.ts';

export const TOKEN_LOCK_PREFIX = 'TOKENLOCK#';

/** The lock's scope: the token secret it guards, hashed (an ARN names the account). */
export function tokenLockScope(tokenSecretArn: string): string {
  return createHash('sha256').update(`kiwoom-token-secret:${tokenSecretArn}`).digest('hex').slice(0, 16);
}

export const tokenLockKey = (scope: string) => ({ pk: `${TOKEN_LOCK_PREFIX}${scope}`, sk: 'LOCK' });

export type LockAttempt =
  | { acquired: true; lastIssueAt: Date | null }
  | { acquired: false; holder: string; expiresAt: Date };

/** Someone else kept issuing for longer than this invocation could wait. */
export class TokenLockBusyError extends TokenStoreError {
  override readonly name = 'TokenLockBusyError';
}

export class TokenIssuerLock {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    readonly scope: string,
  ) {}

  /** Takes the lock unless another holder has it and it has not expired. */
  async tryAcquire(holder: string, now: Date, ttlMs: number): Promise<LockAttempt> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tokenLockKey(this.scope),
          UpdateExpression: 'SET holder = :holder, lock_expires_at = :expiresAt, acquired_at = :now',
          ConditionExpression: 'attribute_not_exists(holder) OR lock_expires_at < :nowMs OR holder = :holder',
          ExpressionAttributeValues: {
            ':holder': holder,
            ':expiresAt': now.getTime() + ttlMs,
            ':now': now.toISOString(),
            ':nowMs': now.getTime(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const last = out.Attributes?.['last_issue_at'];
      return { acquired: true, lastIssueAt: typeof last === 'number' ? new Date(last) : null };
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
      const current = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: tokenLockKey(this.scope), ConsistentRead: true }),
      );
      return {
        acquired: false,
        holder: String(current.Item?.['holder'] ?? ''),
        expiresAt: new Date(Number(current.Item?.['lock_expires_at'] ?? now.getTime())),
      };
    }
  }

  /**
   * Gives the lock up, remembering when au10001 was asked if this holder
   * asked it. Quietly does nothing when the lock is no longer this holder's.
   */
  async release(holder: string, issuedAt: Date | null): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tokenLockKey(this.scope),
          UpdateExpression:
            issuedAt === null
              ? 'REMOVE holder, lock_expires_at, acquired_at'
              : 'REMOVE holder, lock_expires_at, acquired_at SET last_issue_at = :issuedAt',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder, ...(issuedAt === null ? {} : { ':issuedAt': issuedAt.getTime() }) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
