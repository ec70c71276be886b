// `kfa replay` and `kfa backfill`: fetch a code's ka10008 history through the
// cache in the History table, then (replay) run the scan's rule engine over
// every day in order. Neither publishes, touches the alert ledger, or stores
// a day the scan has yet to evaluate (see ReplayStore.storeCeiling).
import { kstDay } from '../domain/calendar.ts';
import type { Alert, Snapshot, TradingDay, WatchSettings } from '../domain/types.ts';
import { KiwoomError } from '../kiwoom/errors.ts';
import type { Ka10008Source } from '../kiwoom/types.ts';
import {
  compareHysteresis,
  evaluatedDays,
  findFlaps,
  RECENT_CONTEXT_DAYS,
  replayAlerts,
  seriesDays,
  type DaySeries,
  type Flap,
  type HysteresisOutcome,
} from './analysis.ts';
import {
  calendarDaysFrom,
  coversStart,
  coversWindow,
  fetchStopDt,
  mergeRanges,
  sameRange,
  type CachedRange,
  type ReplayWindow,
} from './coverage.ts';
import { ReplayRequestError, UnreadableHistoryError } from './errors.ts';
import { fetchHistory, rangeOfRun, type FetchedHistory, type FetchProgress } from './fetch.ts';
import type { ReplayStorePort, StoreOutcome } from './replay-store.ts';

/** Without --from: about six months back from the end of the window. */
export const DEFAULT_LOOKBACK_CALENDAR_DAYS = 182;
/** Without --days: about six months of trading days, enough for the default replay. */
export const DEFAULT_BACKFILL_DAYS = 120;
/** Calendar days before --from read for look-back context (RECENT_CONTEXT_DAYS trading days fit). */
const CONTEXT_CALENDAR_DAYS = 100;

export interface ReplayDeps {
  kiwoom: Ka10008Source;
  store: ReplayStorePort;
  now: () => Date;
  /** Today's row counts only after this time (KST "HH:MM"), as in the scan. */
  dayCutoffKst: string;
  onProgress?: (progress: FetchProgress) => void;
}

export interface ReplayRequest {
  settings: WatchSettings;
  fromDt?: TradingDay;
  /** Omitted: up to the newest final day. */
  toDt?: TradingDay;
}

export interface FetchSummary {
  /** True when the History table answered alone: no Kiwoom call. */
  cacheHit: boolean;
  pages: number;
  daysFetched: number;
  daysStored: number;
  /** Fetched days not stored because the scan has yet to evaluate them. */
  daysNotStored: number;
}

export interface ReplayResult {
  stkCd: string;
  settings: WatchSettings;
  window: ReplayWindow;
  series: DaySeries;
  /** The days compared with their previous day, oldest first. */
  days: Snapshot[];
  alerts: Alert[];
  flaps: Flap[];
  hysteresis: HysteresisOutcome[];
  fetch: FetchSummary;
}

export function replayWindow(request: Pick<ReplayRequest, 'fromDt' | 'toDt'>, now: Date): ReplayWindow {
  const toDt = request.toDt ?? null;
  const fromDt = request.fromDt ?? calendarDaysFrom(toDt ?? kstDay(now), -DEFAULT_LOOKBACK_CALENDAR_DAYS);
  if (toDt !== null && toDt < fromDt) throw new ReplayRequestError(`--to ${toDt} is before --from ${fromDt}`);
  return { fromDt, toDt };
}

export async function runReplay(deps: ReplayDeps, request: ReplayRequest): Promise<ReplayResult> {
  const now = deps.now();
  const { settings } = request;
  const stkCd = settings.stkCd;
  const window = replayWindow(request, now);
  const cached = await deps.store.cachedRange(stkCd);
  const fetch: FetchSummary = { cacheHit: true, pages: 0, daysFetched: 0, daysStored: 0, daysNotStored: 0 };

  let fetched: FetchedHistory | null = null;
  if (!coversWindow(cached, window, now, deps.dayCutoffKst)) {
    fetched = await fetchHistory(
      deps.kiwoom,
      stkCd,
      { oldestDt: fetchStopDt(cached, window) },
      { now, cutoffKst: deps.dayCutoffKst },
      deps.onProgress,
    );
    const stored = await storeFetched(deps.store, fetched, cached);
    Object.assign(fetch, {
      cacheHit: false,
      pages: fetched.pages,
      daysFetched: fetched.run.length,
      daysStored: stored.stored,
      daysNotStored: stored.notStored,
    });
    const run = rangeOfRun(fetched);
    const known = run === null ? cached : mergeRanges(cached, run);
    // An unreadable row between the window and the newest day breaks the chain of previous days.
    if (fetched.unreadable && !(known !== null && coversStart(known, window.fromDt))) {
      throw new UnreadableHistoryError(stkCd, fetched.unreadable);
    }
  }

  const series = await gatherSeries(deps.store, stkCd, window, fetched);
  return analyseSeries(settings, window, series, fetch);
}

/** The pure half of a replay: the engine, flaps and hysteresis over days already in hand. */
export function analyseSeries(
  settings: WatchSettings,
  window: ReplayWindow,
  series: DaySeries,
  fetch: FetchSummary,
): ReplayResult {
  const alerts = replayAlerts(settings, series);
  return {
    stkCd: settings.stkCd,
    settings,
    window,
    series,
    days: evaluatedDays(series),
    alerts,
    flaps: findFlaps(alerts, seriesDays(series)),
    hysteresis: compareHysteresis(settings, series),
    fetch,
  };
}

/**
 * The window's days and their baseline: what the History table holds (the
 * scan's own versions win, so the replay judges what the scan judged) plus
 * fetched days that could not be stored yet.
 */
async function gatherSeries(
  store: ReplayStorePort,
  stkCd: string,
  window: ReplayWindow,
  fetched: FetchedHistory | null,
): Promise<DaySeries> {
  const upper = window.toDt ?? '99991231';
  // The baseline, and look-back context for rules that need it (as far as the table and the fetch reach).
  const contextFrom = calendarDaysFrom(window.fromDt, -CONTEXT_CALENDAR_DAYS);
  const dayBefore = await store.storedDayBefore(stkCd, window.fromDt);
  const lower = dayBefore !== null && dayBefore < contextFrom ? dayBefore : contextFrom;
  const byDay = new Map<TradingDay, Snapshot>();
  for (const snapshot of fetched?.run ?? []) byDay.set(snapshot.dt, snapshot);
  for (const stored of await store.storedBetween(stkCd, lower, upper)) byDay.set(stored.snapshot.dt, stored.snapshot);
  const ordered = [...byDay.values()].filter((s) => s.dt <= upper).sort((a, b) => (a.dt < b.dt ? -1 : 1));
  const before = ordered.filter((s) => s.dt < window.fromDt);
  const baseline = before.at(-1) ?? null;
  return {
    context: before.slice(-(RECENT_CONTEXT_DAYS + 1), -1),
    baseline,
    days: ordered.filter((s) => s.dt >= window.fromDt),
  };
}

interface StoredRun extends StoreOutcome {
  notStored: number;
  range: CachedRange | null;
}

/**
 * Stores the fetched days nobody has stored, below the scan's ceiling, and
 * records the contiguous range the table now holds. Why the range ends at
 * the ceiling: days older than it are stored now (by us or before), the
 * ceiling day is the scan's, and the days after it are the scan's to store.
 */
async function storeFetched(
  store: ReplayStorePort,
  fetched: FetchedHistory,
  cached: CachedRange | null,
): Promise<StoredRun> {
  const run = rangeOfRun(fetched);
  if (run === null) return { stored: 0, present: 0, notStored: 0, range: cached };
  const ceiling = await store.storeCeiling(fetched.stkCd);
  const storable = fetched.run.filter((s) => ceiling === null || s.dt < ceiling);
  const present = new Set(
    storable.length === 0
      ? []
      : (await store.storedBetween(fetched.stkCd, storable.at(-1)!.dt, storable[0]!.dt)).map((s) => s.snapshot.dt),
  );
  const outcome = await store.storeIfAbsent(
    storable.filter((s) => !present.has(s.dt)),
    fetched.fetchedAt.toISOString(),
  );
  const storedRun = capRange(run, ceiling);
  const range = storedRun === null ? cached : mergeRanges(cached, storedRun);
  if (range !== null && !sameRange(range, cached)) await store.putCachedRange(fetched.stkCd, range);
  const notStored = ceiling === null ? 0 : fetched.run.filter((s) => s.dt > ceiling).length;
  return {
    stored: outcome.stored,
    present: fetched.run.length - outcome.stored - notStored,
    notStored,
    range,
  };
}

function capRange(run: CachedRange, ceiling: TradingDay | null): CachedRange | null {
  if (ceiling === null || ceiling >= run.toDt) return run;
  if (ceiling < run.fromDt) return null;
  return { ...run, toDt: ceiling, newestAt: null };
}

// ---------------------------------------------------------------- backfill

export interface BackfillRequest {
  codes: readonly string[];
  /** Trading days to hold per code, back from the newest final day. */
  days: number;
  /** Codes fetched at once (their calls still share the client's limiter). */
  concurrency?: number;
}

export interface BackfillCode {
  stkCd: string;
  pages: number;
  daysFetched: number;
  daysStored: number;
  daysAlreadyStored: number;
  /** Newer than the scan's last evaluated day: left for the scan. */
  daysNotStored: number;
  range: CachedRange | null;
  error?: { reason: string; message: string };
}

export interface BackfillSummary {
  codes: BackfillCode[];
  /** Set when an answer concerned every code (bad credentials, IP not allowed): the rest were not tried. */
  stopped: { reason: string; message: string } | null;
  notReached: string[];
}

export async function runBackfill(
  deps: ReplayDeps,
  request: BackfillRequest,
  onCode?: (code: BackfillCode) => void,
): Promise<BackfillSummary> {
  if (!(Number.isInteger(request.days) && request.days >= 1)) {
    throw new ReplayRequestError(`--days must be a whole number of at least 1, got ${request.days}`);
  }
  const summary: BackfillSummary = { codes: [], stopped: null, notReached: [] };
  const queue = [...request.codes];
  const worker = async (): Promise<void> => {
    for (let stkCd = queue.shift(); stkCd !== undefined; stkCd = queue.shift()) {
      if (summary.stopped) {
        summary.notReached.push(stkCd);
        continue;
      }
      const code = await backfillCode(deps, stkCd, request.days, summary);
      summary.codes.push(code);
      onCode?.(code);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(request.concurrency ?? 4, queue.length)) }, worker));
  summary.codes.sort((a, b) => (a.stkCd < b.stkCd ? -1 : 1));
  return summary;
}

async function backfillCode(
  deps: ReplayDeps,
  stkCd: string,
  days: number,
  summary: BackfillSummary,
): Promise<BackfillCode> {
  const code: BackfillCode = {
    stkCd,
    pages: 0,
    daysFetched: 0,
    daysStored: 0,
    daysAlreadyStored: 0,
    daysNotStored: 0,
    range: null,
  };
  try {
    const cached = await deps.store.cachedRange(stkCd);
    const now = deps.now();
    const fetched = await fetchHistory(deps.kiwoom, stkCd, { days }, { now, cutoffKst: deps.dayCutoffKst }, deps.onProgress);
    const stored = await storeFetched(deps.store, fetched, cached);
    Object.assign(code, {
      pages: fetched.pages,
      daysFetched: fetched.run.length,
      daysStored: stored.stored,
      daysAlreadyStored: stored.present,
      daysNotStored: stored.notStored,
      range: stored.range,
    });
    if (fetched.unreadable) {
      code.error = { reason: fetched.unreadable.name, message: `stopped at an unreadable row: ${fetched.unreadable.message}` };
    }
  } catch (error) {
    const reason = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    code.error = { reason, message };
    // Bad credentials, IP not allowed, live/mock mismatch: every code would fail the same way.
    if (error instanceof KiwoomError && error.stopsRun && !summary.stopped) summary.stopped = { reason, message };
    else if (!(error instanceof KiwoomError)) throw error;
  }
  return code;
}
