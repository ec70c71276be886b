// Edges that lose days or invent values: a code re-enabled after a pause
// longer than the scan pages back, Kiwoom's placeholders for unknown values,
// and a close price of zero.
import { describe, expect, it } from 'vitest';
import { humanSummary } from '../../cli/commands/scan.ts';
import type { RawRow } from '../../functions/domain/types.ts';
import { payloads, pipeline } from './harness.ts';
import { daysOf, patchRow, rateStory } from './story.ts';

const SKT = '017670';

describe('a code re-enabled after a pause longer than the scan pages back', () => {
  // Two rows a page: the scan's ten pages reach back twenty trading days.
  async function pausedFor30Days() {
    const h = await pipeline({ pageSize: 2 });
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
    // 48.80% when last scanned; 49.50% for weeks while nobody looked; then 49.40 → 49.60.
    const rates = [4870, 4880, ...Array<number>(30).fill(4950), 4940, 4960];
    const rows = rateStory('20250303', rates);
    const days = daysOf(rows);
    h.story(SKT, rows);
    await h.scanEvening(days[1] as string);
    const back = await h.scanEvening(days.at(-1) as string);
    return { h, days, back };
  }

  it('starts afresh from the newest day instead of comparing with the day stored weeks ago', async () => {
    const { h, back } = await pausedFor30Days();
    expect(payloads(await h.received())).toEqual([]);
    expect([back.days_processed, back.days_deferred]).toEqual([1, []]);
  });

  it('says so in the summary', async () => {
    const { back, days } = await pausedFor30Days();
    expect(back.codes_rebaselined).toEqual([{ stk_cd: SKT, last_stored_dt: days[1], baseline_dt: days.at(-2), dt: days.at(-1) }]);
    expect(humanSummary(back)).toContain(`${SKT}: re-baselined: nothing stored since ${days[1]}`);
  });

  it('goes on from the new baseline the next evening', async () => {
    const h = await pipeline({ pageSize: 2 });
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4880, ...Array<number>(30).fill(4860), 4870, 4890, 4910]);
    const days = daysOf(rows);
    h.story(SKT, rows);
    await h.scanEvening(days[1] as string);
    await h.scanEvening(days.at(-2) as string);
    const next = await h.scanEvening(days.at(-1) as string);

    expect(next.codes_rebaselined).toEqual([]);
    expect(payloads(await h.received()).map((p) => [p.dt, p.previous_dt, p.rule])).toEqual([
      [days.at(-1), days.at(-2), 'limit_exh_rt_cross_up'],
    ]);
  });
});

describe('values Kiwoom does not have', () => {
  /** Scanned on the evening of day 1, then day 2 arrives with `patch` applied. */
  async function oddSecondDay(item: Record<string, unknown>, ratesBp: number[], patch: Partial<RawRow>) {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, ...item });
    const rows = rateStory('20250303', ratesBp);
    const [, d1, d2] = daysOf(rows) as [string, string, string];
    h.story(SKT, patchRow(rows, d2, patch));
    await h.scanEvening(d1);
    const summary = await h.scanEvening(d2);
    return { summary, d2, received: payloads(await h.received()) };
  }

  it('alerts on a day whose close price is 0, and carries the row as Kiwoom sent it', async () => {
    const { summary, received, d2 } = await oddSecondDay({ limit_exh_rt_above: 49 }, [4880, 4890, 4905], { close_pric: '+0' });
    expect([summary.codes_failed, summary.days_processed]).toEqual([[], 1]);
    expect(received).toMatchObject([{ dt: d2, rule: 'limit_exh_rt_cross_up', row: { close_pric: '+0' } }]);
  });

  it('takes a signed placeholder in chg_qty for unknown, not for four billion shares sold', async () => {
    const { summary, received } = await oddSecondDay({ chg_qty_abs: 1_000_000 }, [4880, 4890, 4895], { chg_qty: '-4294967295' });
    expect([summary.days_processed, summary.codes_failed, received]).toEqual([1, [], []]);
  });

  it('takes 4294967295.00 in limit_exh_rt for unknown: nothing crosses, and the next day compares with nothing', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_below: 49 });
    const rows = rateStory('20250303', [4910, 4920, 4930, 4940]);
    const [, d1, d2, d3] = daysOf(rows) as [string, string, string, string];
    h.story(SKT, patchRow(rows, d2, { limit_exh_rt: '4294967295.00' }));
    await h.scanEvening(d1);
    await h.scanEvening(d3);

    const stored = (await h.storedDays(SKT)).find((s) => s.snapshot.dt === d2);
    expect([stored?.snapshot.limitExhRtBp, await h.received()]).toEqual([null, []]);
  });
});
