// Reads what `kfa status` and `kfa report` show from the Watchlist and
// History tables (no Kiwoom call): each code's effective settings, its newest
// stored days, its alert ledger entries and its code state. Invalid watchlist
// items come back as reasons, never as failures.
import { FORECAST_WINDOW_DAYS } from '../domain/rules.ts';
import { DEFAULTS_KEY, formatWatchProblems, resolveWatchSettings } from '../domain/watchlist.ts';
import { isRuleAlertEntry, type LedgerEntry, type LedgerQuery, type RuleAlertEntry } from '../store/alert-ledger.ts';
import type { CodeState, StoredSnapshot } from '../store/history-store.ts';
import type { CodeStatusInput, InvalidItem } from './status.ts';

export interface StatusSources {
  watchlist: { list(): Promise<Record<string, unknown>[]> };
  history: {
    recentSnapshots(stkCd: string, limit: number): Promise<StoredSnapshot[]>;
    codeStates(stkCds: readonly string[]): Promise<Map<string, CodeState>>;
  };
  ledger: { list(query?: LedgerQuery): Promise<LedgerEntry[]> };
}

export interface StatusRequest {
  /** Only these codes (a code without an item gets the `*` defaults); default: every item. */
  codes?: readonly string[];
  /** Stored trading days to read per code (at least the forecast's window). */
  days?: number;
  /** Table reads in flight at once. */
  concurrency?: number;
}

export interface LoadedCode {
  input: CodeStatusInput;
  /** The newest stored days read, oldest first. */
  days: StoredSnapshot[];
  /** Every ledger entry of the code, newest trading day first. */
  /** The code's rule alerts (correction notices left out), newest first. */
  alerts: RuleAlertEntry[];
}

export interface LoadedStatus {
  codes: LoadedCode[];
  invalid: InvalidItem[];
}

export async function loadStatus(sources: StatusSources, request: StatusRequest = {}): Promise<LoadedStatus> {
  const items = await sources.watchlist.list();
  const defaults = items.find((item) => item.stk_cd === DEFAULTS_KEY);
  const byCode = new Map<string, Record<string, unknown>>();
  for (const item of items) if (item.stk_cd !== DEFAULTS_KEY) byCode.set(String(item.stk_cd), item);

  const wanted = request.codes ?? [...byCode.keys()].sort();
  const invalid: InvalidItem[] = [];
  const targets: { settings: CodeStatusInput['settings']; listed: boolean }[] = [];
  for (const stkCd of new Set(wanted)) {
    const item = byCode.get(stkCd);
    const resolved = resolveWatchSettings(item ?? { stk_cd: stkCd }, defaults);
    if (resolved.ok) targets.push({ settings: resolved.settings, listed: item !== undefined });
    else invalid.push({ stkCd: resolved.stkCd, problems: resolved.problems, message: formatWatchProblems(resolved) });
  }

  const states = await sources.history.codeStates(targets.map((t) => t.settings.stkCd));
  const limit = Math.max(request.days ?? 0, FORECAST_WINDOW_DAYS);
  const codes = await mapWithConcurrency(targets, request.concurrency ?? 8, async (target): Promise<LoadedCode> => {
    const stkCd = target.settings.stkCd;
    const [newestFirst, entries] = await Promise.all([
      sources.history.recentSnapshots(stkCd, limit),
      sources.ledger.list({ stkCd }),
    ]);
    const alerts = entries.filter(isRuleAlertEntry);
    const days = [...newestFirst].reverse();
    const last = alerts[0];
    return {
      input: {
        settings: target.settings,
        listed: target.listed,
        days,
        lastAlert: last
          ? { alertId: last.alertId, dt: last.dt, rule: last.rule, status: last.status, ...(last.sentAt ? { sentAt: last.sentAt } : {}) }
          : null,
        lastCheckedAt: states.get(stkCd)?.checkedAt || null,
      },
      days,
      alerts,
    };
  });
  return { codes, invalid };
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
