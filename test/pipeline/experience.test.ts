// Issue 7 end to end: confirmation over N days, reminders, snooze, the
// evening digest and the days-to-exhaustion forecast, through the real scan,
// DynamoDB Local, fauxqs and the simulator.
import { describe, expect, it } from 'vitest';
import type { Publisher } from '../../functions/scan/ports.ts';
import { runScan, type ScanSummary } from '../../functions/scan/scan.ts';
import { payloads, pipeline, type EveningOptions, type PipelineHarness } from './harness.ts';
import { daysOf, rateStory } from './story.ts';

const SKT = '017670';
const KT = '030200';

async function digestEvening(h: PipelineHarness, dt: string, options: EveningOptions = {}): Promise<ScanSummary> {
  h.atEvening(dt);
  return runScan(h.deps(options), { ...h.scanOptions(options), delivery: 'digest' });
}

const failingPublisher: Publisher = {
  publish: () => Promise.reject(new Error('SNS is unavailable')),
};

describe('confirm_days', () => {
  it('sends nothing when a crossing reverts before it is confirmed', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, confirm_days: 2 });
    const rows = rateStory('20250303', [4880, 4890, 4905, 4895, 4890]);
    h.story(SKT, rows);
    for (const dt of daysOf(rows).slice(1)) await h.scanEvening(dt);

    expect(await h.received()).toEqual([]);
    expect(await h.ledgerEntries()).toEqual([]);
  });

  it('alerts on the confirming day and says since which day the rate has been past', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, confirm_days: 3 });
    const rows = rateStory('20250303', [4880, 4890, 4905, 4910, 4920, 4930]);
    const days = daysOf(rows);
    h.story(SKT, rows);
    for (const dt of days.slice(1)) await h.scanEvening(dt);

    expect(payloads(await h.received())).toMatchObject([
      { rule: 'limit_exh_rt_cross_up', dt: days[4], since: days[2], threshold: 49 },
    ]);
  });
});

describe('remind_every_days', () => {
  it('reminds every 2 trading days while the rate stays past 49%, and stops after it crosses back', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, remind_every_days: 2 });
    const rows = rateStory('20250303', [4880, 4890, 4905, 4910, 4915, 4920, 4925, 4880, 4870, 4860, 4850]);
    const days = daysOf(rows);
    h.story(SKT, rows);
    for (const dt of days.slice(1)) await h.scanEvening(dt);

    const sent = payloads(await h.received()).map((p) => [p.rule, p.dt]);
    expect(sent).toEqual([
      ['limit_exh_rt_cross_up', days[2]],
      ['limit_exh_rt_still_beyond', days[4]],
      ['limit_exh_rt_still_beyond', days[6]],
    ]);
  });
});

describe('snooze_until', () => {
  it('records the alerts of a snoozed code as suppressed, shows them in the history, and publishes nothing', async () => {
    const h = await pipeline();
    const rows = rateStory('20250303', [4880, 4890, 4905, 4895, 4910]);
    const days = daysOf(rows);
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, snooze_until: days[3] });
    h.story(SKT, rows);
    const summaries = [];
    for (const dt of days.slice(1)) summaries.push(await h.scanEvening(dt));

    const received = payloads(await h.received());
    // The crossing on day 2 falls in the snooze; the one on day 4 is after it.
    expect(received.map((p) => p.dt)).toEqual([days[4]]);
    const history = await h.ledgerEntries();
    expect(history.map((e) => [e.dt, e.status])).toEqual([
      [days[4], 'sent'],
      [days[2], 'suppressed'],
    ]);
    expect(summaries.reduce((n, s) => n + s.alerts_suppressed, 0)).toBe(1);
  });

  it('never publishes a suppressed alert on a later run', async () => {
    const h = await pipeline();
    const rows = rateStory('20250303', [4880, 4905]);
    const days = daysOf(rows);
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, snooze_until: days[1] });
    h.story(SKT, rows);
    await h.scanEvening(days[1] as string);
    await h.scanEvening(days[1] as string);

    expect(await h.received()).toEqual([]);
  });
});

describe('ALERT_DELIVERY=digest', () => {
  it('sends one message per run carrying every alert, grouped by code, with the highest severity', async () => {
    const h = await pipeline();
    await h.watch(
      { stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49, chg_qty_abs: 100_000 },
      { stk_cd: KT, name: 'KT', limit_exh_rt_below: 49 },
    );
    h.story(SKT, rateStory('20250303', [4880, 4905]));
    h.story(KT, rateStory('20250303', [4910, 4890]));

    const summary = await digestEvening(h, '20250304');

    const received = await h.received();
    expect(received).toHaveLength(1);
    const [digest] = received;
    expect(digest?.attributes).toMatchObject({ rule: 'digest', severity: 'critical', alert_count: '3' });
    expect(digest?.forProtocol('sms').length).toBeLessThanOrEqual(70);
    expect(digest?.forProtocol('email')).toContain('SK텔레콤');
    expect(digest?.forProtocol('email')).toContain('KT');
    expect([summary.digests_published, summary.alerts_published]).toEqual([1, 3]);
    expect((await h.ledgerEntries()).every((e) => e.status === 'sent')).toBe(true);
  });

  it('re-sends a failed digest with the next run, merged with that run, never doubled', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: [49, 49.2] });
    const rows = rateStory('20250303', [4880, 4905, 4925]);
    const days = daysOf(rows);
    h.story(SKT, rows);
    await h.scanEvening(days[0] as string, { publisher: null, dryRun: true });

    const failed = await digestEvening(h, days[1] as string, { publisher: failingPublisher });
    expect([failed.alerts_failed, failed.digests_published]).toEqual([1, 0]);
    expect(await h.received()).toEqual([]);

    await digestEvening(h, days[2] as string);
    await digestEvening(h, days[2] as string);

    const received = await h.received();
    expect(received).toHaveLength(1);
    const payload = received[0]?.default as { alert_ids: string[] };
    expect([...payload.alert_ids].sort()).toEqual([
      `${SKT}-${days[1]}-limit_exh_rt_cross_up`,
      `${SKT}-${days[2]}-limit_exh_rt_cross_up`,
    ]);
  });
});

describe('exhaustion_days', () => {
  it('forecasts 20 trading days left for room 1,000,000 shares at a 20-day average of +50,000, and alerts once', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, name: 'SK텔레콤', exhaustion_days: 20, frgnr_limit_change: false });
    // Limit 100,000,000 shares: +5 bp a day is +50,000 shares; 99.00% leaves 1,000,000.
    const rates = Array.from({ length: 26 }, (_, i) => 9775 + 5 * i);
    const rows = rateStory('20250303', rates);
    const days = daysOf(rows);
    h.story(SKT, rows);
    await h.scanEvening(days[1] as string);
    await h.scanEvening(days[25] as string, { maxDaysPerCode: 30 });

    const received = await h.received();
    expect(payloads(received)).toMatchObject([
      {
        rule: 'limit_exhaustion_forecast',
        severity: 'critical',
        dt: days[25],
        threshold: 20,
        value: 20,
        forecast: { room_shares: 1_000_000, avg_daily_net_buying: 50_000, days_left: 20, window_days: 20 },
      },
    ]);
    expect(received[0]?.forProtocol('email')).toContain('1,000,000');
    expect(received[0]?.forProtocol('email')).toContain('50,000');
  });
});
