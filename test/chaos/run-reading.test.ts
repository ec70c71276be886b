// How the harness reads what a run and a subscriber tell it: the scan's
// summary in each shape it comes in, and correction notices whatever the
// field that names the alert they retract.
import { describe, expect, it } from 'vitest';
import { correctedAlertId, toDelivery } from '../../chaos/measure.ts';
import { readReport } from '../../chaos/scan-process.ts';
import type { ReceivedAlert } from '../../local/local-aws.ts';

describe('a run summary', () => {
  it('reads the CLI’s --json summary, lists and all', () => {
    const report = readReport({
      done: false,
      stopped: { reason: 'lease lost', error: 'LeaseLost' },
      lease_held: null,
      codes_failed: [{ stk_cd: '005930' }],
      codes_not_reached: ['000660', '017670'],
      days_deferred: [],
      alerts_published: 3,
    });
    expect(report).toEqual({ done: false, stopped: 'lease lost', leaseHeld: false, codesFailed: 1, codesNotReached: 2, daysDeferred: 0, alertsPublished: 3 });
  });

  it('reads a handler answer with lists as counts and an outcome instead of the details', () => {
    expect(readReport({ done: true, outcome: 'lease_held', codes_failed: 0, codes_not_reached: 4 })).toMatchObject({ leaseHeld: true, codesNotReached: 4 });
    expect(readReport({ done: true, outcome: 'stopped' })?.stopped).toBe('stopped');
  });

  it('reads nothing from something that is not a summary', () => {
    expect([readReport(null), readReport('oops')]).toEqual([null, null]);
  });
});

describe('a correction notice', () => {
  const own = '017670-20250306-correction';

  it('names the alert it retracts in a well-known field', () => {
    expect(correctedAlertId({ original_alert_id: '017670-20250305-limit_exh_rt_cross_up' }, own)).toBe('017670-20250305-limit_exh_rt_cross_up');
    expect(correctedAlertId({ original: { alert_id: '017670-20250305-limit_exh_rt_move' } }, own)).toBe('017670-20250305-limit_exh_rt_move');
  });

  it('is understood whatever the field is called, as long as it holds another alert’s id', () => {
    expect(correctedAlertId({ alert_id: own, withdraws: '017670-20250305-chg_qty_abs' }, own)).toBe('017670-20250305-chg_qty_abs');
    expect(correctedAlertId({ alert_id: own, note: 'no id here' }, own)).toBeNull();
  });

  it('retracts the alert whose alert_id it was sent under, when it names no other', () => {
    const original = '017670-20250305-limit_exh_rt_cross_up';
    expect(correctedAlertId({ alert_id: original, rule: 'correction' }, original)).toBe(original);
  });

  it('is delivered as a correction, apart from alerts, with the thresholds of crossings in basis points', () => {
    const received = (payload: Record<string, unknown>): ReceivedAlert => ({
      messageId: 'm',
      attributes: { alert_id: String(payload.alert_id), rule: String(payload.rule) },
      structured: null,
      forProtocol: () => '',
      default: payload,
      raw: JSON.stringify(payload),
    });
    const notice = toDelivery(received({ alert_id: own, rule: 'correction', stk_cd: '017670', dt: '20250306', corrects: '017670-20250305-limit_exh_rt_cross_up' }), 4);
    const crossing = toDelivery(received({ alert_id: '017670-20250305-limit_exh_rt_cross_up', rule: 'limit_exh_rt_cross_up', stk_cd: '017670', dt: '20250305', direction: 'up', thresholds_crossed: [99, 99.5] }), 3);
    expect([notice.rule, notice.corrects]).toEqual(['correction', '017670-20250305-limit_exh_rt_cross_up']);
    expect([crossing.corrects, crossing.thresholdsBp, crossing.order]).toEqual([null, [9900, 9950], 3]);
  });
});
