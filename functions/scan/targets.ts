// Which codes a run scans, and in which order.
import type { WatchSettings } from '../domain/types.ts';
import { DEFAULTS_KEY, formatWatchProblems, resolveWatchSettings } from '../domain/watchlist.ts';
import type { ScanDeps } from './ports.ts';
import type { ScanSummary } from './summary.ts';

export interface Target {
  stkCd: string;
  settings: WatchSettings;
}

export interface Watchlist {
  /** The codes to scan, in watchlist order. */
  targets: Target[];
  /** Any code's settings as the watchlist says now (its item over `*`); undefined when its item is invalid. */
  settingsOf(stkCd: string): WatchSettings | undefined;
}

/** Validates every watchlist item; an invalid one is reported and skipped, never fatal. */
export async function loadTargets(
  deps: ScanDeps,
  codes: string[] | undefined,
  summary: ScanSummary,
): Promise<Watchlist> {
  const items = await deps.watchlist.list();
  const defaultsItem = items.find((item) => item.stk_cd === DEFAULTS_KEY);
  const byCode = new Map<string, Record<string, unknown>>();
  for (const item of items) {
    if (item.stk_cd === DEFAULTS_KEY) continue;
    byCode.set(String(item.stk_cd), item);
  }
  const settingsOf = (stkCd: string): WatchSettings | undefined => {
    const resolved = resolveWatchSettings(byCode.get(stkCd) ?? { stk_cd: stkCd }, defaultsItem);
    return resolved.ok ? resolved.settings : undefined;
  };
  const wanted = codes ?? [...byCode.keys()].sort();
  const targets: Target[] = [];
  for (const stkCd of wanted) {
    const item = byCode.get(stkCd) ?? { stk_cd: stkCd };
    const resolved = resolveWatchSettings(item, defaultsItem);
    if (!resolved.ok) {
      const message = formatWatchProblems(resolved);
      summary.invalid_items.push({ stk_cd: resolved.stkCd, problems: resolved.problems, message });
      deps.logger.warn('invalid watchlist item skipped', { stk_cd: resolved.stkCd, problems: resolved.problems });
      continue;
    }
    // An explicit --codes list scans the code even when disabled: the user asked.
    if (!resolved.settings.enabled && codes === undefined) continue;
    targets.push({ stkCd: resolved.settings.stkCd, settings: resolved.settings });
  }
  return { targets, settingsOf };
}

/**
 * Codes this run has not tried yet, in the order the next slice or run takes
 * them: codes that did not fail last time, least recently checked first (so
 * codes a cut-short run did not reach come first), then codes whose last
 * attempt failed, so that one bad code cannot keep the others out of every
 * slice. A code tried earlier in the same run, failed or not, waits for the
 * next run.
 */
export async function orderTargets(deps: ScanDeps, targets: Target[], runId: string): Promise<Target[]> {
  if (targets.length === 0) return [];
  const codes = targets.map((t) => t.stkCd);
  const [states, failures] = await Promise.all([deps.history.codeStates(codes), deps.history.codeFailures(codes)]);
  return targets
    .filter((t) => states.get(t.stkCd)?.lastRunId !== runId && failures.get(t.stkCd)?.runId !== runId)
    .map((t, index) => {
      const checkedAt = states.get(t.stkCd)?.checkedAt ?? '';
      const failedAt = failures.get(t.stkCd)?.failedAt;
      return { t, index, checkedAt, failed: failedAt !== undefined && failedAt >= checkedAt ? 1 : 0 };
    })
    .sort((a, b) => a.failed - b.failed || compare(a.checkedAt, b.checkedAt) || a.index - b.index)
    .map((x) => x.t);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
