// Settings a person changes between two runs take effect where they matter:
// a snooze at publish time (also for alerts recorded before it was set),
// and a lowered confirm_days for a crossing already pending.
import { describe, expect, it } from 'vitest';
import type { Publisher } from '../../functions/scan/ports.ts';
import { payloads, pipeline, type EveningOptions, type PipelineHarness } from './harness.ts';
import { daysOf, rateStory } from './story.ts';

const SKT = '017670';
const KT = '030200';

const snsDown: Publisher = { publish: () => Promise.reject(new Error('SNS is unavailable')) };

/** The evening of days[1] crosses 49% for SKT while SNS is down: one alert recorded, not sent. */
async function unsentCrossing(delivery: 'each' | 'digest') {
  const h = await pipeline();
  await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
  const rows = rateStory('20250303', [4880, 4905, 4910, 4915]);
  const days = daysOf(rows) as [string, string, string, string];
  h.story(SKT, rows);
  const failed = await h.scanEvening(days[1], { publisher: snsDown, delivery });
  expect(failed.alerts_failed).toBe(1);
  return { h, days };
}

async function snooze(h: PipelineHarness, until: string): Promise<void> {
  await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, snooze_until: until });
}

describe('a snooze set after an alert was recorded but before it was published', () => {
  it.each(['each', 'digest'] as const)('records it as suppressed and never publishes it (%s delivery)', async (delivery) => {
    const { h, days } = await unsentCrossing(delivery);
    await snooze(h, days[2]);

    const during = await h.scanEvening(days[2], { delivery });
    const after = await h.scanEvening(days[3], { delivery });

    expect(await h.received()).toEqual([]);
    expect(during.alerts_suppressed + after.alerts_suppressed).toBe(1);
    const [entry] = await h.ledgerEntries();
    expect([entry?.status, entry?.suppressedReason]).toEqual(['suppressed', `snoozed until ${days[2]}`]);
    expect(await h.ledger.unsent()).toEqual([]);
  });

  it('stays suppressed once the snooze is lifted', async () => {
    const { h, days } = await unsentCrossing('each');
    await snooze(h, days[2]);
    await h.scanEvening(days[2]);
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });

    await h.scanEvening(days[3]);

    expect(await h.received()).toEqual([]);
  });

  it('publishes the alerts of other codes as usual', async () => {
    const { h, days } = await unsentCrossing('each');
    await h.watch({ stk_cd: KT, limit_exh_rt_above: 49 });
    h.story(KT, rateStory('20250303', [4880, 4890, 4905]));
    await snooze(h, days[2]);

    await h.scanEvening(days[2]);

    expect(payloads(await h.received()).map((p) => p.stk_cd)).toEqual([KT]);
  });
});

describe('confirm_days lowered while a crossing is pending', () => {
  async function pendingThenLowered(confirmDays: number, options: EveningOptions = {}) {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, confirm_days: 3 });
    // Crosses on days[2], stays past on days[3]: pending for two days of three.
    const rows = rateStory('20250303', [4880, 4890, 4905, 4910, 4915, 4920]);
    const days = daysOf(rows);
    h.story(SKT, rows);
    for (const dt of days.slice(1, 4)) await h.scanEvening(dt);
    expect(await h.received()).toEqual([]);

    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, confirm_days: confirmDays });
    await h.scanEvening(days[4] as string, options);
    await h.scanEvening(days[5] as string, options);
    return { h, days, received: payloads(await h.received()) };
  }

  it('confirms the crossing on the next evaluation instead of dropping it', async () => {
    const { received, days } = await pendingThenLowered(1);
    expect(received).toMatchObject([{ rule: 'limit_exh_rt_cross_up', dt: days[4], since: days[2], threshold: 49 }]);
  });

  it('confirms it once when lowered to a count the crossing has already met', async () => {
    const { received, days } = await pendingThenLowered(2);
    expect(received.map((p) => [p.rule, p.dt])).toEqual([['limit_exh_rt_cross_up', days[4]]]);
  });
});
