// Pages a code's ka10008 history back from the newest day and keeps the final
// days as one contiguous run. The Kiwoom client paces the calls (its learned
// rate limiter); this only decides when to stop.
import { isFinalAt } from '../domain/calendar.ts';
import { isTradingDay, parseRow, RowError } from '../domain/parse.ts';
import type { Snapshot, TradingDay } from '../domain/types.ts';
import type { Ka10008Source } from '../kiwoom/types.ts';
import type { CachedRange } from './coverage.ts';

/** Far more than any listing has (50 rows a page): the stop day or the last page ends a fetch. */
const MAX_PAGES = 2_000;

export interface FetchStop {
  /** Stop after the first page whose oldest row is at or before this day. */
  oldestDt?: TradingDay;
  /** Stop once this many final days are in hand (backfill). */
  days?: number;
}

export interface FetchProgress {
  stkCd: string;
  pages: number;
  days: number;
  oldestDt: TradingDay | null;
}

export interface FetchedHistory {
  stkCd: string;
  /** Final days, newest first, contiguous from the newest final day down. */
  run: Snapshot[];
  /** The row that ended the run before the stop, if one did. */
  unreadable: RowError | null;
  /** The run reaches Kiwoom's oldest row (the last page said there are no more). */
  listingStart: boolean;
  pages: number;
  /** When the run was fetched (its newest day was then the newest final day). */
  fetchedAt: Date;
}

export interface FetchClock {
  now: Date;
  cutoffKst: string;
}

export async function fetchHistory(
  kiwoom: Ka10008Source,
  stkCd: string,
  stop: FetchStop,
  clock: FetchClock,
  onProgress?: (progress: FetchProgress) => void,
): Promise<FetchedHistory> {
  const run: Snapshot[] = [];
  const seen = new Set<string>();
  let unreadable: RowError | null = null;
  let pages = 0;
  let lastPageHadMore = true;
  let stoppedEarly = false;

  for await (const page of kiwoom.ka10008Pages(stkCd, {
    ...(stop.oldestDt === undefined ? {} : { oldestDt: stop.oldestDt }),
    maxPages: MAX_PAGES,
  })) {
    pages += 1;
    lastPageHadMore = page.hasMore;
    for (const raw of page.rows) {
      let snapshot: Snapshot;
      try {
        snapshot = parseRow(stkCd, raw);
      } catch (error) {
        if (!(error instanceof RowError)) throw error;
        // Today's intraday row is dropped anyway, readable or not.
        if (error.dt !== null && isTradingDay(error.dt) && !isFinalAt(error.dt, clock.now, clock.cutoffKst)) continue;
        unreadable = error;
        stoppedEarly = true;
        break;
      }
      if (!isFinalAt(snapshot.dt, clock.now, clock.cutoffKst)) continue;
      // Overlapping pages must not double a day; rows come newest first.
      if (seen.has(snapshot.dt) || (run.length > 0 && snapshot.dt > (run.at(-1) as Snapshot).dt)) continue;
      seen.add(snapshot.dt);
      run.push(snapshot);
      if (stop.days !== undefined && run.length >= stop.days) {
        stoppedEarly = true;
        break;
      }
    }
    onProgress?.({ stkCd, pages, days: run.length, oldestDt: run.at(-1)?.dt ?? null });
    if (stoppedEarly) break;
  }
  return {
    stkCd,
    run,
    unreadable,
    listingStart: !stoppedEarly && !lastPageHadMore,
    pages,
    fetchedAt: clock.now,
  };
}

/** The range a fetched run vouches for (before anything is stored), or null when it is empty. */
export function rangeOfRun(fetched: FetchedHistory): CachedRange | null {
  const newest = fetched.run[0];
  const oldest = fetched.run.at(-1);
  if (newest === undefined || oldest === undefined) return null;
  return {
    fromDt: oldest.dt,
    toDt: newest.dt,
    listingStart: fetched.listingStart,
    newestAt: fetched.fetchedAt.toISOString(),
  };
}
