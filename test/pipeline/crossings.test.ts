// Which alerts a subscriber receives as the limit exhaustion rate and chg_qty
// move from one trading day to the next, end to end: simulator → scan →
// DynamoDB → SNS → SQS.
import { describe, expect, it } from 'vitest';
import { SMS_MAX_CHARS } from '../../functions/domain/messages.ts';
import { payloads, pipeline } from './harness.ts';
import { daysOf, patchRow, rateStory } from './story.ts';

const SKT = '017670';

describe('limit exhaustion crossings', () => {
  it('alerts once when the rate crosses 49% upward between two trading days', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4880, 4905]);
    const [, d1, d2] = daysOf(rows) as [string, string, string];
    h.story(SKT, rows);

    await h.scanEvening(d1);
    expect(await h.received()).toEqual([]);
    const summary = await h.scanEvening(d2);

    const received = await h.received();
    expect(payloads(received)).toMatchObject([
      {
        alert_id: `${SKT}-${d2}-limit_exh_rt_cross_up`,
        stk_cd: SKT,
        name: 'SK텔레콤',
        dt: d2,
        previous_dt: d1,
        rule: 'limit_exh_rt_cross_up',
        direction: 'up',
        threshold: 49,
        thresholds_crossed: [49],
        value: 49.05,
        previous_value: 48.8,
        row: { dt: d2, limit_exh_rt: '+49.05', poss_stkcnt: '49050000' },
      },
    ]);
    expect(summary.alerts_published).toBe(1);
  });

  it('carries filterable attributes and a subject naming the code and threshold', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4880, 4905]);
    h.story(SKT, rows);

    await h.scanEvening(daysOf(rows)[1] as string);

    const [alert] = await h.received();
    expect(alert?.attributes).toMatchObject({
      stk_cd: SKT,
      rule: 'limit_exh_rt_cross_up',
      direction: 'up',
      severity: 'critical',
      alert_id: `${SKT}-20250304-limit_exh_rt_cross_up`,
    });
    expect(alert?.subject).toBe('[kfa] SK텔레콤(017670) 한도소진률 49% 상향 돌파 2025-03-04');
  });

  it('gives email subscribers the formatted figures and SMS subscribers one short line', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4880, 4905]);
    h.story(SKT, rows);

    await h.scanEvening(daysOf(rows)[1] as string);

    const [alert] = await h.received();
    const email = alert?.forProtocol('email') ?? '';
    expect(email).toContain('한도소진률: 48.80% → 49.05% (+0.25%p) (2025-03-03 → 2025-03-04)');
    expect(email).toContain('외국인 보유주식수: 49,050,000주');
    expect(email).toContain('외국인한도: 100,000,000주');
    const sms = alert?.forProtocol('sms') ?? '';
    expect(sms).toBe('[외인] SK텔레콤 49% 상향돌파(49.05%) 03/04');
    expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
  });

  it('keeps the SMS within one Korean SMS however long the watched name is', async () => {
    const h = await pipeline();
    const name = '한국외국인보유한도소진률알림테스트용으로지은아주긴종목이름입니다정말로깁니다';
    await h.watch({ stk_cd: SKT, name, limit_exh_rt_above: 49, chg_qty_abs: 100_000 });
    const rows = rateStory('20250303', [4880, 4905]);
    h.story(SKT, rows);

    await h.scanEvening(daysOf(rows)[1] as string);

    const sms = (await h.received()).map((r) => r.forProtocol('sms'));
    expect(sms).toHaveLength(2);
    for (const line of sms) expect(line.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
  });

  it('alerts the down-crossing on the trading day after an up-crossing', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, limit_exh_rt_below: 49 });
    const rows = rateStory('20250303', [4870, 4880, 4905, 4890]);
    const [, d1, d2, d3] = daysOf(rows) as [string, string, string, string];
    h.story(SKT, rows);

    await h.scanEvening(d1);
    await h.scanEvening(d2);
    const up = payloads(await h.received());
    await h.scanEvening(d3);
    const down = payloads(await h.received());

    expect(up.map((p) => [p.dt, p.rule])).toEqual([[d2, 'limit_exh_rt_cross_up']]);
    expect(down).toMatchObject([
      { dt: d3, previous_dt: d2, rule: 'limit_exh_rt_cross_down', direction: 'down', threshold: 49, value: 48.9, previous_value: 49.05 },
    ]);
  });

  it('sends one alert naming the furthest threshold when a day crosses several', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: [49, 50, 51] });
    const rows = rateStory('20250303', [4880, 4890, 5020]);
    const [, d1, d2] = daysOf(rows) as [string, string, string];
    h.story(SKT, rows);

    await h.scanEvening(d1);
    await h.scanEvening(d2);

    const received = await h.received();
    expect(payloads(received)).toMatchObject([
      { rule: 'limit_exh_rt_cross_up', threshold: 50, thresholds_crossed: [49, 50], value: 50.2 },
    ]);
    expect(received[0]?.forProtocol('email')).toContain('(이날 돌파한 기준: 49.00%, 50.00%)');
  });

  it('does not alert again while the rate hovers inside the hysteresis band', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, hysteresis_pp: 0.5 });
    // 49.05 alerts; 48.95 is not 0.5 pp back, so 49.10 stays quiet; 48.40 re-arms; 49.20 alerts.
    const rows = rateStory('20250303', [4880, 4890, 4905, 4895, 4910, 4840, 4920]);
    const days = daysOf(rows);
    h.story(SKT, rows);

    const alertDays: unknown[] = [];
    for (const dt of days.slice(1)) {
      await h.scanEvening(dt);
      alertDays.push(...payloads(await h.received()).map((p) => p.dt));
    }

    expect(alertDays).toEqual([days[2], days[6]]);
  });
});

describe('chg_qty', () => {
  async function buyingThenSelling() {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, chg_qty_abs: '1,000,000' });
    // Limit 100,000,000: one basis point is 10,000 shares.
    const rows = rateStory('20250303', [4800, 4800, 4950, 4830]);
    h.story(SKT, rows);
    const [, d1, d2, d3] = daysOf(rows) as [string, string, string, string];
    await h.scanEvening(d1);
    await h.scanEvening(d2);
    const buying = await h.received();
    await h.scanEvening(d3);
    const selling = await h.received();
    return { buying, selling, d2, d3 };
  }

  it('alerts a rise in foreign holdings when chg_qty is a large positive number', async () => {
    const { buying, d2 } = await buyingThenSelling();
    expect(payloads(buying)).toMatchObject([
      { dt: d2, rule: 'chg_qty_abs', direction: 'up', threshold: 1_000_000, value: 1_500_000, row: { chg_qty: '+1500000' } },
    ]);
    expect(buying[0]?.forProtocol('sms')).toContain('보유 1,500,000주 증가');
  });

  it('alerts a fall in foreign holdings when chg_qty is a large negative number', async () => {
    const { selling, d3 } = await buyingThenSelling();
    expect(payloads(selling)).toMatchObject([
      { dt: d3, rule: 'chg_qty_abs', direction: 'down', value: -1_200_000, previous_value: 1_500_000, row: { chg_qty: '-1200000' } },
    ]);
    expect(selling[0]?.forProtocol('sms')).toContain('보유 1,200,000주 감소');
  });
});

describe('empty values', () => {
  it('fires no rate rule around a day with an empty limit_exh_rt, and still judges its chg_qty', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, limit_exh_rt_below: 48.5, limit_exh_rt_move_pp: 0.1, chg_qty_abs: 200_000 });
    const full = rateStory('20250303', [4880, 4880, 4910, 4920]);
    const [, d1, d2, d3] = daysOf(full) as [string, string, string, string];
    // d2 would cross 49% and move 0.30 pp, but Kiwoom left the rate empty.
    h.story(SKT, patchRow(full, d2, { limit_exh_rt: '' }));

    await h.scanEvening(d1);
    const second = await h.scanEvening(d2);
    const third = await h.scanEvening(d3);

    const received = payloads(await h.received());
    expect(received.map((p) => [p.dt, p.rule])).toEqual([[d2, 'chg_qty_abs']]);
    expect([second.codes_failed, third.codes_failed, third.days_processed]).toEqual([[], [], 1]);
  });
});
