// The settings a replay judges: the code's watchlist item merged over `*`,
// with any threshold options written over the item exactly the way
// `kfa watch add` would store them, and validated by the same schema. Nothing
// is written.
import type { WatchSettings } from '../domain/types.ts';
import { resolveWatchSettings, type WatchItemRecord, type WatchResult } from '../domain/watchlist.ts';

export function replaySettings(
  stkCd: string,
  item: Record<string, unknown> | undefined,
  defaults: Record<string, unknown> | undefined,
  changes: WatchItemRecord | null,
): WatchResult {
  const merged: Record<string, unknown> = { ...(item ?? {}), ...(changes ?? {}), stk_cd: stkCd };
  // As `watch add`: a null from the options means "not set here".
  for (const [key, value] of Object.entries(merged)) if (value === null) delete merged[key];
  return resolveWatchSettings(merged, defaults);
}

/** Settings as the JSON output and the chart show them: percentages, shares. */
export function settingsJson(settings: WatchSettings): Record<string, unknown> {
  return {
    limit_exh_rt_above: settings.aboveBp.map((bp) => bp / 100),
    limit_exh_rt_below: settings.belowBp.map((bp) => bp / 100),
    limit_exh_rt_move_pp: settings.moveBp === null ? null : settings.moveBp / 100,
    chg_qty_abs: settings.chgQtyAbs,
    hysteresis_pp: settings.hysteresisBp / 100,
    frgnr_limit_change: settings.frgnrLimitChange,
  };
}
