// Small factories for domain tests: the ka10008 spec example's 20241105 row
// for 005930, its parsed form, and watch settings with every rule off. A test
// that needs other figures passes them as overrides.
import type { RawRow, Snapshot, WatchSettings } from '../../functions/domain/types.ts';
import { formatWatchProblems, type WatchProblem, type WatchResult } from '../../functions/domain/watchlist.ts';

export function kiwoomRow(overrides: Partial<RawRow> = {}): RawRow {
  return {
    dt: '20241105',
    close_pric: '135300',
    pred_pre: '0',
    trde_qty: '0',
    chg_qty: '0',
    poss_stkcnt: '6663509',
    wght: '+26.10',
    gain_pos_stkcnt: '18863197',
    frgnr_limit: '25526706',
    frgnr_limit_irds: '0',
    limit_exh_rt: '+26.10',
    ...overrides,
  };
}

/** `kiwoomRow()` parsed; `row` defaults to that row on the snapshot's day. */
export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  const dt = overrides.dt ?? '20241105';
  return {
    stkCd: '005930',
    dt,
    closePrice: 135300,
    closeDirection: 'unchanged',
    predPre: 0,
    tradeQty: 0,
    chgQty: 0,
    possStkcnt: 6663509,
    wghtBp: 2610,
    gainPosStkcnt: 18863197,
    frgnrLimit: 25526706,
    frgnrLimitIrds: 0,
    limitExhRtBp: 2610,
    row: kiwoomRow({ dt }),
    ...overrides,
  };
}

/** Enabled, every rule off, no hysteresis. */
export function watchSettings(overrides: Partial<WatchSettings> = {}): WatchSettings {
  return {
    stkCd: '005930',
    enabled: true,
    aboveBp: [],
    belowBp: [],
    moveBp: null,
    chgQtyAbs: null,
    hysteresisBp: 0,
    frgnrLimitChange: false,
    ...overrides,
  };
}

/** The settings of a valid Watchlist item; a test fails with the problems otherwise. */
export function settingsOf(result: WatchResult): WatchSettings {
  if (!result.ok) throw new Error(formatWatchProblems(result));
  return result.settings;
}

/** The problems of an invalid Watchlist item; a test fails with the settings otherwise. */
export function problemsOf(result: WatchResult): WatchProblem[] {
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.settings)}`);
  return result.problems;
}

/** What `fn` throws; a test fails if it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
