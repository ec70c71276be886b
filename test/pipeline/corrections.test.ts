// Corrections carried forward, end to end: Kiwoom changes a stored day, the
// scan re-evaluates it and every later stored day from the corrected
// history, and each crossing is announced once: not again when it only
// moved, a new one when the correction reveals it, a correction notice when
// it no longer happened.
import { describe, expect, it } from 'vitest';
import type { RawRow } from '../../functions/domain/types.ts';
import type { Publisher } from '../../functions/scan/ports.ts';
import { alertIds, payloads, pipeline, type PipelineHarness } from './harness.ts';
import { daysOf, patchRow, rateStory } from './story.ts';

const SKT = '017670';
const snsDown: Publisher = { publish: () => Promise.reject(new Error('SNS is unavailable')) };

/** The story as Kiwoom serves it on the evening of `dt`, with `day` served as `bp` (a copy, or before a correction). */
function servedAs(rows: readonly RawRow[], day: string, bp: number): RawRow[] {
  const poss = bp * 10_000;
  return patchRow(rows, day, {
    limit_exh_rt: `+${(bp / 100).toFixed(2)}`,
    poss_stkcnt: String(poss),
    gain_pos_stkcnt: String(100_000_000 - poss),
  });
}

/** Evening by evening over `days`: Kiwoom serves `early` until `switchAt`, then the true story. */
async function evenings(h: PipelineHarness, rows: RawRow[], early: RawRow[], days: string[], switchAt: string) {
  for (const dt of days) {
    h.story(SKT, dt < switchAt ? early : rows);
    await h.scanEvening(dt);
  }
}

describe('a crossing that a correction only moves to another day', () => {
  // d1 48.80; d2 first served as a copy of d1, really 49.10; d3 49.20; d4 49.25.
  async function staleCopyCorrected() {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4880, 4910, 4920, 4925]);
    const [, d1, d2, d3, d4] = daysOf(rows) as [string, string, string, string, string];
    await evenings(h, rows, servedAs(rows, d2, 4880), [d1, d2, d3], d4);
    const before = await h.received();
    h.story(SKT, rows);
    const corrected = await h.scanEvening(d4);
    return { h, rows, d2, d3, d4, before, corrected, after: await h.received() };
  }

  it('is announced once: D2 crossed on the stale copy, the correction moves it to D1, nothing more is sent', async () => {
    const { before, after, d3 } = await staleCopyCorrected();
    expect(payloads(before).map((p) => [p.dt, p.rule])).toEqual([[d3, 'limit_exh_rt_cross_up']]);
    expect(after).toEqual([]);
  });

  it('stores the corrected day as a revision and the later days with the recomputed rule state', async () => {
    const { h, d2, d3, corrected } = await staleCopyCorrected();
    const stored = await h.storedDays(SKT);
    const at = (dt: string) => stored.find((s) => s.snapshot.dt === dt);
    expect([at(d2)?.revision, at(d2)?.snapshot.limitExhRtBp, at(d2)?.ruleState.disarmedUpBp]).toEqual([1, 4910, [4900]]);
    expect(at(d3)?.ruleState.disarmedUpBp).toEqual([4900]);
    expect([corrected.revisions, corrected.alerts_withdrawn]).toEqual([1, 0]);
  });

  it('stays announced when the day that announced it is corrected in turn (D3 49.20, then 49.15)', async () => {
    // The span of the second correction starts at D3; the crossing it announced is D2's, before the span.
    const { h, rows, d3, d4 } = await staleCopyCorrected();
    h.story(SKT, servedAs(rows, d3, 4915));
    const again = await h.scanEvening(d4);
    expect([await h.received(), again.revisions, again.alerts_withdrawn]).toEqual([[], 1, 0]);
  });
});

describe('a moved announcement whose day is corrected to the other side', () => {
  it('is withdrawn, and the crossing it stood for is announced on its own day (D3 49.20, then 48.50)', async () => {
    // After the first correction D3's alert stands for D2's crossing. D3 really closed at 48.50, which
    // re-arms 49%, so D4's 49.25 is a crossing of its own.
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4880, 4910, 4920, 4925]);
    const [, d1, d2, d3, d4] = daysOf(rows) as [string, string, string, string, string];
    await evenings(h, rows, servedAs(rows, d2, 4880), [d1, d2, d3], d4);
    h.story(SKT, rows);
    await h.scanEvening(d4);
    expect(alertIds(await h.received())).toEqual([`${SKT}-${d3}-limit_exh_rt_cross_up`]);

    h.story(SKT, servedAs(rows, d3, 4850));
    const again = await h.scanEvening(d4);
    const received = payloads(await h.received());
    expect(received.map((p) => [p.rule, p.dt, p.corrects_alert_id ?? null])).toEqual([
      ['correction', d3, `${SKT}-${d3}-limit_exh_rt_cross_up`],
      ['limit_exh_rt_cross_up', d2, null],
      ['limit_exh_rt_cross_up', d4, null],
    ]);
    expect(received.slice(1).map((p) => p.revision)).toEqual([true, true]);
    expect(again.alerts_withdrawn).toBe(1);
  });
});

describe('an alert sent on a day that really closed below the threshold', () => {
  it('is retracted first, then the crossing is announced on its real day (D2 first 49.05, really 48.70; D3 49.30)', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, hysteresis_pp: 0.2 });
    const rows = rateStory('20250303', [4880, 4885, 4890, 4870, 4930]);
    const [, , d1, d2, d3] = daysOf(rows) as [string, string, string, string, string];
    const early = servedAs(rows, d2, 4905);
    h.story(SKT, early.filter((r) => r.dt <= d1));
    await h.scanEvening(d1);
    h.story(SKT, early.filter((r) => r.dt <= d2));
    await h.scanEvening(d2);
    h.story(SKT, early);
    await h.scanEvening(d3);
    const original = `${SKT}-${d2}-limit_exh_rt_cross_up`;
    expect(alertIds(await h.received())).toEqual([original]);

    h.story(SKT, rows);
    const corrected = await h.scanEvening(d3);

    expect(payloads(await h.received())).toMatchObject([
      { rule: 'correction', corrects_alert_id: original, value: 49.05, corrected_value: 48.7 },
      { dt: d3, previous_dt: d2, rule: 'limit_exh_rt_cross_up', previous_value: 48.7, value: 49.3, revision: true },
    ]);
    expect([corrected.revisions, corrected.alerts_withdrawn]).toEqual([1, 1]);
    expect(await h.scanEvening(d3)).toMatchObject({ alerts_published: 0 });
    expect(await h.received()).toEqual([]);
  });
});

describe('a crossing a correction reveals', () => {
  it('alerts on D3 once D2, first 49.05, is corrected to 48.70 and re-arms 49% (0.2pp hysteresis)', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49, hysteresis_pp: 0.2 });
    // d1 48.90, d2 49.10 alerts, d3 first 49.05 (really 48.70), d4 49.30 stored before the correction, d5 49.35.
    const rows = rateStory('20250303', [4870, 4890, 4910, 4870, 4930, 4935]);
    const [, d1, d2, d3, d4, d5] = daysOf(rows) as [string, string, string, string, string, string];
    await evenings(h, rows, servedAs(rows, d3, 4905), [d1, d2, d3, d4], d5);
    expect(payloads(await h.received()).map((p) => p.dt)).toEqual([d2]);

    h.story(SKT, rows);
    const corrected = await h.scanEvening(d5);
    const received = await h.received();

    expect(payloads(received)).toMatchObject([
      { dt: d4, previous_dt: d3, rule: 'limit_exh_rt_cross_up', previous_value: 48.7, value: 49.3, revision: true },
    ]);
    expect(received[0]?.subject).toContain('[정정]');
    expect(corrected.alerts_published).toBe(1);
  });

  it('announces the further threshold the ledger key would hide: D alerted at 99%, corrected to 99.60 with 99 and 99.5', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: [99, 99.5] });
    const rows = rateStory('20250303', [9880, 9890, 9960, 9962]);
    const [, d1, d2, d3] = daysOf(rows) as [string, string, string, string];
    await evenings(h, rows, servedAs(rows, d2, 9910), [d1, d2], d3);
    const first = payloads(await h.received());

    h.story(SKT, rows);
    await h.scanEvening(d3);
    await h.scanEvening(d3, { timeKst: '19:00' });
    const received = await h.received();

    expect(first).toMatchObject([{ dt: d2, threshold: 99, thresholds_crossed: [99] }]);
    expect(payloads(received)).toMatchObject([
      { alert_id: `${SKT}-${d2}-limit_exh_rt_cross_up-r1`, dt: d2, rule: 'limit_exh_rt_cross_up', threshold: 99.5, thresholds_crossed: [99.5], revision: true },
    ]);
    expect(received[0]?.attributes.alert_id).toBe(`${SKT}-${d2}-limit_exh_rt_cross_up-r1`);
  });
});

describe('an alert the corrected history no longer supports', () => {
  // d1 48.90, d2 first 49.05 (alerts), really 48.95; d3 48.97; d4 48.96.
  async function crossingThatNeverHappened(options: { delivery?: 'each' | 'digest' } = {}) {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, name: 'SK텔레콤', limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4890, 4895, 4897, 4896]);
    const [, d1, d2, d3, d4] = daysOf(rows) as [string, string, string, string, string];
    const early = servedAs(rows, d2, 4905);
    for (const dt of [d1, d2, d3]) {
      h.story(SKT, early);
      await h.scanEvening(dt, { delivery: options.delivery });
    }
    const before = await h.received();
    h.story(SKT, rows);
    const corrected = await h.scanEvening(d4, { delivery: options.delivery });
    const again = await h.scanEvening(d4, { delivery: options.delivery, timeKst: '19:00' });
    return { h, d2, before, corrected, again, after: await h.received() };
  }

  it('gets exactly one correction notice naming the original alert_id, with the attributes of any alert', async () => {
    const { before, after, d2 } = await crossingThatNeverHappened();
    const original = `${SKT}-${d2}-limit_exh_rt_cross_up`;
    expect(alertIds(before)).toEqual([original]);
    expect(after).toHaveLength(1);
    expect(after[0]?.attributes).toEqual({
      stk_cd: SKT,
      rule: 'correction',
      dt: d2,
      direction: 'up',
      severity: 'critical',
      alert_id: `${SKT}-${d2}-correction-limit_exh_rt_cross_up`,
    });
    expect(payloads(after)).toMatchObject([
      { rule: 'correction', corrects_alert_id: original, corrects_rule: 'limit_exh_rt_cross_up', withdrawn: 'all', withdrawn_thresholds: [49], value: 49.05, corrected_value: 48.95 },
    ]);
  });

  it('reads as a correction in the email, the SMS and the subject', async () => {
    const { after } = await crossingThatNeverHappened();
    const [notice] = after;
    expect(notice?.subject).toMatch(/^\[kfa\]\[정정\] SK텔레콤\(017670\) 한도소진률 49% 상향 돌파 알림 취소/);
    expect(notice?.forProtocol('email')).toContain('48.95%');
    expect(notice?.forProtocol('sms').length).toBeLessThanOrEqual(70);
  });

  it('records the withdrawal, counts it, and sends nothing on a re-run', async () => {
    const { h, corrected, again } = await crossingThatNeverHappened();
    expect([corrected.alerts_withdrawn, again.alerts_withdrawn, again.alerts_published]).toEqual([1, 0, 0]);
    const entries = await h.ledgerEntries();
    expect(entries.map((e) => [e.rule, e.status, e.withdrawn ?? false])).toEqual([
      ['correction', 'sent', false],
      ['limit_exh_rt_cross_up', 'sent', true],
    ]);
  });

  it('travels as its own message in digest mode', async () => {
    const { after } = await crossingThatNeverHappened({ delivery: 'digest' });
    expect(after.map((m) => m.attributes.rule)).toEqual(['correction']);
  });
});

describe('an unsent alert the correction contradicts', () => {
  it('is suppressed for good and no notice goes out', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4890, 4895, 4897]);
    const [, d1, d2, d3] = daysOf(rows) as [string, string, string, string];
    h.story(SKT, servedAs(rows, d2, 4905));
    await h.scanEvening(d1);
    await h.scanEvening(d2, { publisher: snsDown });

    h.story(SKT, rows);
    const corrected = await h.scanEvening(d3);
    await h.scanEvening(d3, { timeKst: '19:00' });

    const [entry] = await h.ledgerEntries();
    expect(await h.received()).toEqual([]);
    expect([entry?.status, entry?.withdrawn, entry?.suppressedReason]).toEqual([
      'suppressed',
      true,
      `withdrawn: Kiwoom corrected ${d2} and the corrected history no longer supports it`,
    ]);
    expect(corrected.alerts_withdrawn).toBe(1);
  });
});
