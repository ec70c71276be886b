// Which trading days a run evaluates: the first scan, missed evenings (across
// ka10008 continuation pages), the per-run cap, and a market holiday.
import { describe, expect, it } from 'vitest';
import { MAX_DAYS_PER_CODE, payloads, pipeline } from './harness.ts';
import { daysOf, rateStory } from './story.ts';

const SKT = '017670';

/** Rates that cross 49% every trading day, up and down in turn. */
function zigzag(days: number): number[] {
  return Array.from({ length: days }, (_, i) => (i % 2 === 0 ? 4880 : 4920));
}

describe('the first scan of a code', () => {
  it('evaluates only the newest day, against the row before it, however many crossings the history holds', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, limit_exh_rt_below: 49 });
    const rows = rateStory('20250303', zigzag(30));
    const days = daysOf(rows);
    h.story(SKT, rows);

    const summary = await h.scanEvening(days[29] as string);

    const received = payloads(await h.received());
    expect(received.map((p) => [p.dt, p.previous_dt, p.rule])).toEqual([[days[29], days[28], 'limit_exh_rt_cross_up']]);
    expect(summary.days_processed).toBe(1);
  });

  it('stores the row it compared with as the baseline for the next run', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', zigzag(30));
    const days = daysOf(rows);
    h.story(SKT, rows);

    await h.scanEvening(days[29] as string);

    expect((await h.storedDays(SKT)).map((s) => s.snapshot.dt)).toEqual([days[29], days[28]]);
  });
});

describe('catching up after missed evenings', () => {
  it('evaluates every day since the last run, oldest first, paging back through continuation pages', async () => {
    const h = await pipeline({ pageSize: 5 });
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, limit_exh_rt_below: 49 });
    const rows = rateStory('20250303', zigzag(30));
    const days = daysOf(rows);
    h.story(SKT, rows);
    await h.scanEvening(days[20] as string);
    await h.received();
    h.simulator.clearRequests();

    // Eight evenings missed: the run on day 29 finds days 21…29 new.
    const summary = await h.scanEvening(days[29] as string);

    expect(summary.days_processed).toBe(9);
    expect(summary.alerts.map((a) => a.dt)).toEqual(days.slice(21, 30));
    expect(payloads(await h.received()).map((p) => p.dt).sort()).toEqual(days.slice(21, 30));
    expect(h.ka10008Requests().map((r) => r.headers['cont-yn'])).toEqual(['N', 'Y']);
  });

  it('compares each caught-up day with the trading day before it', async () => {
    const h = await pipeline({ pageSize: 5 });
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, limit_exh_rt_below: 49 });
    const rows = rateStory('20250303', zigzag(30));
    const days = daysOf(rows);
    h.story(SKT, rows);
    await h.scanEvening(days[20] as string);
    await h.received();

    await h.scanEvening(days[29] as string);

    const pairs = payloads(await h.received()).map((p) => [p.previous_dt, p.dt]);
    expect(pairs.sort()).toEqual(days.slice(21, 30).map((dt, i) => [days[20 + i], dt]));
  });

  it(`evaluates at most ${MAX_DAYS_PER_CODE} days per run, reports the rest as deferred, and the next run takes them`, async () => {
    const h = await pipeline({ pageSize: 5 });
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
    const rates = Array.from({ length: 30 }, () => 4800);
    rates[24] = 4950; // a crossing on a deferred day
    const rows = rateStory('20250303', rates);
    const days = daysOf(rows);
    h.story(SKT, rows);
    await h.scanEvening(days[1] as string);

    const capped = await h.scanEvening(days[26] as string);
    const duringCapped = await h.received();
    const next = await h.scanEvening(days[27] as string);

    expect(capped.days_processed).toBe(MAX_DAYS_PER_CODE);
    expect(capped.days_deferred).toEqual([{ stk_cd: SKT, days: days.slice(22, 27) }]);
    expect(duringCapped).toEqual([]);
    expect([next.days_processed, next.days_deferred]).toEqual([6, []]);
    expect(payloads(await h.received()).map((p) => p.dt)).toEqual([days[24]]);
  });
});

describe('a market holiday', () => {
  // Thursday 2025-03-06 is a holiday in this story: Kiwoom has no row for it.
  const HOLIDAY = '20250306';

  async function throughHoliday() {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, limit_exh_rt_below: 49 });
    const rows = rateStory('20250303', [4880, 4920, 4880, 4920], [HOLIDAY]);
    h.story(SKT, rows);
    await h.scanEvening('20250304');
    await h.scanEvening('20250305');
    await h.received();
    const holiday = await h.scanEvening(HOLIDAY);
    const onHoliday = await h.received();
    return { h, holiday, onHoliday };
  }

  it('evaluates nothing and sends nothing on the evening of a holiday', async () => {
    const { holiday, onHoliday } = await throughHoliday();
    expect([holiday.days_processed, holiday.alerts_published, holiday.codes_failed]).toEqual([0, 0, []]);
    expect(onHoliday).toEqual([]);
  });

  it('compares the first day after a holiday with the last day before it', async () => {
    const { h } = await throughHoliday();
    await h.scanEvening('20250307');
    expect(payloads(await h.received()).map((p) => [p.previous_dt, p.dt])).toEqual([['20250305', '20250307']]);
  });
});
