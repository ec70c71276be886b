// The few store failures a caller branches on. Everything else is the SDK's
// own error, passed through.

export class StoreError extends Error {
  override readonly name: string = 'StoreError';
}

/** A scan's lease was taken over (or expired and vanished): stop working. */
export class LeaseLostError extends StoreError {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly scope: string,
    readonly holder: string,
    options?: ErrorOptions,
  ) {
    super(`lease ${scope} is no longer held by ${holder}`, options);
  }
}

/** markSent/markFailed on an alert the ledger never recorded. */
export class LedgerEntryNotFoundError extends StoreError {
  override readonly name = 'LedgerEntryNotFoundError';
  constructor(
    readonly stkCd: string,
    readonly dt: string,
    readonly rule: string,
    options?: ErrorOptions,
  ) {
    super(`no ledger entry for ${stkCd} ${dt} ${rule}`, options);
  }
}

/** DynamoDB kept answering with unprocessed items/keys after every retry. */
export class BatchIncompleteError extends StoreError {
  override readonly name = 'BatchIncompleteError';
  constructor(
    readonly operation: 'BatchWriteItem' | 'BatchGetItem',
    readonly remaining: number,
    options?: ErrorOptions,
  ) {
    super(`${operation} left ${remaining} item(s) unprocessed after retries`, options);
  }
}

/** An item in the table does not have the shape this code wrote. */
export class CorruptItemError extends StoreError {
  override readonly name = 'CorruptItemError';
  constructor(
    readonly key: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(`item ${key}: ${problem}`, options);
  }
}

export function isConditionalCheckFailed(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
