import { describe, expect, it } from 'vitest';
import { planDays, type DayPlanInput, type StoredDay } from '../../functions/domain/day-plan.ts';
import { parseRow } from '../../functions/domain/parse.ts';
import { EMPTY_RULE_STATE, type RawRow } from '../../functions/domain/types.ts';

const CODE = '017670';
const LIMIT = 100_000_000;

// Monday 2025-03-03 … Friday 2025-03-14, trading days only.
const D = ['20250303', '20250304', '20250305', '20250306', '20250307', '20250310', '20250311', '20250312', '20250313', '20250314'] as const;
const day = (i: number): string => D[i] as string;

function rate(bp: number): string {
  return `+${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}`;
}

/** A consistent ka10008 row; one basis point of the rate is 10,000 shares. */
function row(dt: string, rateBp = 4900, overrides: Partial<RawRow> = {}): RawRow {
  const poss = rateBp * 10_000;
  return {
    dt,
    close_pric: '+54300',
    pred_pre: '+300',
    trde_qty: '1000000',
    chg_qty: '+10000',
    poss_stkcnt: String(poss),
    wght: '+24.50',
    gain_pos_stkcnt: String(LIMIT - poss),
    frgnr_limit: String(LIMIT),
    frgnr_limit_irds: '0',
    limit_exh_rt: rate(rateBp),
    ...overrides,
  };
}

/** Rows for days i … j, newest first, as ka10008 serves them. */
function rows(from: number, to: number): RawRow[] {
  const out: RawRow[] = [];
  for (let i = to; i >= from; i--) out.push(row(day(i)));
  return out;
}

function stored(dt: string, rateBp = 4900, overrides: Partial<RawRow> = {}): StoredDay {
  return { snapshot: parseRow(CODE, row(dt, rateBp, overrides)), ruleState: EMPTY_RULE_STATE, revision: 0, previousRows: [] };
}

/** Stored days i … j, newest first. */
function storedDays(from: number, to: number): StoredDay[] {
  const out: StoredDay[] = [];
  for (let i = to; i >= from; i--) out.push(stored(day(i)));
  return out;
}

/** The evening of `dt` in Korea (KST is UTC+9). */
function kst(dt: string, time = '18:30'): Date {
  return new Date(`${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)}T${time}:00+09:00`);
}

function plan(input: Partial<DayPlanInput> & Pick<DayPlanInput, 'rows'>) {
  const newest = input.rows.map((r) => (r as RawRow).dt).filter((dt) => /^\d{8}$/.test(dt ?? '')).sort().at(-1) ?? day(0);
  return planDays({ stkCd: CODE, stored: [], now: kst(newest), cutoffKst: '18:00', maxDays: 20, ...input });
}

const pairs = (p: ReturnType<typeof planDays>) => p.newDays.map((d) => [d.previous.dt, d.current.dt]);

describe('planDays on a first scan', () => {
  it('evaluates only the newest day, against the row before it', () => {
    const p = plan({ rows: rows(0, 5) });
    expect(pairs(p)).toEqual([[day(4), day(5)]]);
  });

  it('keeps the row it compared with as the baseline', () => {
    expect(plan({ rows: rows(0, 5) }).baseline?.dt).toBe(day(4));
  });

  it('evaluates nothing when Kiwoom has only one day', () => {
    const p = plan({ rows: rows(0, 0) });
    expect([p.newDays, p.baseline]).toEqual([[], null]);
  });

  it('ignores an invalid row older than the two rows it compares', () => {
    const withOldGarbage = rows(0, 5).map((r) => (r.dt === day(1) ? { ...r, limit_exh_rt: 'N/A' } : r));
    const p = plan({ rows: withOldGarbage });
    expect(pairs(p)).toEqual([[day(4), day(5)]]);
    expect([p.blockingErrors.length, p.ignoredErrors.length]).toEqual([0, 1]);
  });

  it('evaluates nothing when the row before the newest is invalid', () => {
    const garbageBefore = rows(0, 5).map((r) => (r.dt === day(4) ? { ...r, poss_stkcnt: '12ab' } : r));
    const p = plan({ rows: garbageBefore });
    expect([p.newDays, p.baseline, p.blockingErrors.length]).toEqual([[], null, 1]);
  });
});

describe('planDays catching up', () => {
  it('evaluates every day after the last stored one, oldest first, each against the day before it', () => {
    const p = plan({ rows: rows(0, 5), stored: storedDays(0, 2) });
    expect(pairs(p)).toEqual([
      [day(2), day(3)],
      [day(3), day(4)],
      [day(4), day(5)],
    ]);
  });

  it('takes at most maxDays and defers the newer ones, oldest first', () => {
    const p = plan({ rows: rows(0, 9), stored: storedDays(0, 0), maxDays: 3 });
    expect(p.newDays.map((d) => d.current.dt)).toEqual([day(1), day(2), day(3)]);
    expect(p.deferredDays).toEqual([day(4), day(5), day(6), day(7), day(8), day(9)]);
  });

  it('counts a day served on two pages once', () => {
    const pages = [...rows(3, 5), row(day(3)), ...rows(1, 2)];
    const p = plan({ rows: pages, stored: storedDays(0, 2) });
    expect(p.newDays.map((d) => d.current.dt)).toEqual([day(3), day(4), day(5)]);
  });
});

describe('planDays after a gap longer than the rows fetched', () => {
  it('starts afresh as a first scan: the newest day against the row before it, nothing compared with the old day', () => {
    const p = plan({ rows: rows(5, 9), stored: storedDays(0, 1) });
    expect(pairs(p)).toEqual([[day(8), day(9)]]);
    expect([p.baseline?.dt, p.rebaselinedFrom, p.deferredDays]).toEqual([day(8), day(1), []]);
  });

  it('catches up as usual when the rows reach the last stored day', () => {
    const p = plan({ rows: rows(1, 9), stored: storedDays(0, 1) });
    expect([p.newDays.length, p.rebaselinedFrom, p.baseline]).toEqual([8, null, null]);
  });

  it('is not a gap when Kiwoom has nothing after the last stored day', () => {
    const p = plan({ rows: [], stored: storedDays(0, 1), now: kst(day(2)) });
    expect([p.newDays, p.rebaselinedFrom]).toEqual([[], null]);
  });
});

describe('planDays and the day cut-off', () => {
  it('holds today back before the cut-off', () => {
    const p = plan({ rows: rows(0, 5), stored: storedDays(0, 4), now: kst(day(5), '17:59') });
    expect([p.newDays, p.provisional]).toEqual([[], day(5)]);
  });

  it('evaluates today from the cut-off on', () => {
    const p = plan({ rows: rows(0, 5), stored: storedDays(0, 4), now: kst(day(5), '18:00') });
    expect([pairs(p), p.provisional]).toEqual([[[day(4), day(5)]], null]);
  });

  it('does not let an unfinished intraday row block the code', () => {
    const intraday = [row(day(5), 4900, { chg_qty: '' , limit_exh_rt: '--' }), ...rows(0, 4)];
    const p = plan({ rows: intraday, stored: storedDays(0, 3), now: kst(day(5), '10:00') });
    expect([pairs(p), p.blockingErrors]).toEqual([[[day(3), day(4)]], []]);
  });
});

describe('planDays on a holiday', () => {
  it('evaluates nothing when Kiwoom has no day after the last stored one', () => {
    // 2025-03-07 (Friday) is the holiday: the newest row is still Thursday's.
    const p = plan({ rows: rows(0, 3), stored: storedDays(0, 3), now: kst('20250307') });
    expect([p.newDays, p.revisedDays, p.deferredDays, p.blockingErrors]).toEqual([[], [], [], []]);
  });
});

describe('planDays and revisions', () => {
  it('finds a stored day whose figures Kiwoom has changed', () => {
    const served = rows(0, 3).map((r) => (r.dt === day(2) ? row(day(2), 4910) : r));
    const p = plan({ rows: served, stored: storedDays(0, 3) });
    expect(p.revisedDays.map((r) => [r.current.dt, r.stored.snapshot.limitExhRtBp, r.current.limitExhRtBp])).toEqual([
      [day(2), 4900, 4910],
    ]);
  });

  it('does not take another spelling of the same figures for a revision', () => {
    const respelled = rows(0, 3).map((r) =>
      r.dt === day(2) ? { ...r, limit_exh_rt: '49.00', poss_stkcnt: '0049000000', close_pric: '+054300' } : r,
    );
    expect(plan({ rows: respelled, stored: storedDays(0, 3) }).revisedDays).toEqual([]);
  });

  it('lists several revised days oldest first', () => {
    const served = rows(0, 3).map((r) => (r.dt === day(1) || r.dt === day(3) ? row(r.dt, 4800) : r));
    const p = plan({ rows: served, stored: storedDays(0, 3) });
    expect(p.revisedDays.map((r) => r.current.dt)).toEqual([day(1), day(3)]);
  });

  it('compares the next new day with the corrected last stored day', () => {
    const served = rows(0, 4).map((r) => (r.dt === day(3) ? row(day(3), 4950) : r));
    const p = plan({ rows: served, stored: storedDays(0, 3) });
    expect(p.newDays.map((d) => [d.previous.dt, d.previous.limitExhRtBp])).toEqual([[day(3), 4950]]);
  });
});

describe('planDays and invalid rows', () => {
  it('evaluates the new days before an invalid row and none from it on', () => {
    const served = rows(0, 6).map((r) => (r.dt === day(4) ? { ...r, limit_exh_rt: '4.9.0' } : r));
    const p = plan({ rows: served, stored: storedDays(0, 2) });
    expect(p.newDays.map((d) => d.current.dt)).toEqual([day(3)]);
    expect(p.blockingErrors.map((e) => e.dt)).toEqual([day(4)]);
    expect(p.deferredDays).toEqual([]);
  });

  it('blocks every new day when the invalid row has no readable day', () => {
    const served = [row(day(5)), { ...row(day(4)), dt: '2025-03-10' }, ...rows(0, 3)];
    const p = plan({ rows: served, stored: storedDays(0, 3) });
    expect([p.newDays, p.blockingErrors.length]).toEqual([[], 1]);
  });

  it('ignores an invalid row among days already stored', () => {
    const served = rows(0, 4).map((r) => (r.dt === day(2) ? { ...r, chg_qty: '1,234' } : r));
    const p = plan({ rows: served, stored: storedDays(0, 3) });
    expect(pairs(p)).toEqual([[day(3), day(4)]]);
    expect([p.blockingErrors.length, p.ignoredErrors.map((e) => e.dt)]).toEqual([0, [day(2)]]);
  });
});
