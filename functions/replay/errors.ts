// What can stop a replay or a backfill, as a small family the CLI branches on:
// a Kiwoom failure for the code (exit 1) is a KiwoomError from the client
// itself; these are the replay's own.
import type { RowError } from '../domain/parse.ts';
import type { TradingDay } from '../domain/types.ts';

export abstract class ReplayError extends Error {}

/**
 * A ka10008 row inside the replayed range cannot be read. The replay stops
 * rather than compare the day after it with the day before it: the scan
 * never does that either, so the result would not be what the scan did.
 */
export class UnreadableHistoryError extends ReplayError {
  override readonly name = 'UnreadableHistoryError';
  readonly stkCd: string;
  readonly dt: TradingDay | null;

  constructor(stkCd: string, row: RowError) {
    super(`unreadable ka10008 row in the replayed range (${row.message})`, { cause: row });
    this.stkCd = stkCd;
    this.dt = row.dt;
  }
}

/** The request itself is wrong (a range ending before it starts, a chart format we cannot draw). */
export class ReplayRequestError extends ReplayError {
  override readonly name = 'ReplayRequestError';
}
