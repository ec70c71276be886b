// The correction notice's message: a payload that names the alert it
// corrects, and texts that fit their channels.
import { describe, expect, it } from 'vitest';
import {
  buildCorrectionMessage,
  correctionNoticeOf,
  parseCorrectionPayload,
  type CorrectionNotice,
} from '../../functions/domain/correction-message.ts';
import { AlertPayloadError, snsMessageJson } from '../../functions/domain/messages.ts';
import { parseNotice } from '../../functions/deliver/notice.ts';
import { toAlert } from '../../functions/domain/rules.ts';
import { kiwoomRow, snapshot } from '../support/domain-fixtures.ts';

const STK = '017670';
const original = toAlert(
  {
    rule: 'limit_exh_rt_cross_up',
    direction: 'up',
    severity: 'critical',
    threshold: 9950,
    thresholdsCrossed: [9900, 9950],
    value: 9960,
    previousValue: 9890,
  },
  { stkCd: STK, name: 'SK텔레콤', dt: '20250305', previousDt: '20250304', revision: false },
);

function notice(overrides: Partial<CorrectionNotice> = {}): CorrectionNotice {
  return {
    alertId: `${STK}-20250305-correction-limit_exh_rt_cross_up`,
    original,
    withdrawnBp: [9950],
    all: false,
    current: snapshot({ stkCd: STK, dt: '20250305', limitExhRtBp: 9920 }),
    previous: snapshot({ stkCd: STK, dt: '20250304', limitExhRtBp: 9890 }),
    ...overrides,
  };
}

describe('buildCorrectionMessage', () => {
  it('names the corrected alert and what of it stands, in the payload units of any alert', () => {
    expect(buildCorrectionMessage(notice()).payload).toMatchObject({
      alert_id: `${STK}-20250305-correction-limit_exh_rt_cross_up`,
      rule: 'correction',
      corrects_alert_id: `${STK}-20250305-limit_exh_rt_cross_up`,
      corrects_rule: 'limit_exh_rt_cross_up',
      withdrawn: 'partial',
      withdrawn_thresholds: [99.5],
      standing_thresholds: [99],
      value: 99.6,
      previous_value: 98.9,
      corrected_value: 99.2,
      corrected_previous_value: 98.9,
      previous_dt: '20250304',
      revision: true,
    });
  });

  it('carries the attributes of any alert, with rule "correction"', () => {
    expect(buildCorrectionMessage(notice()).attributes).toEqual({
      stk_cd: STK,
      rule: 'correction',
      dt: '20250305',
      direction: 'up',
      severity: 'critical',
      alert_id: `${STK}-20250305-correction-limit_exh_rt_cross_up`,
    });
  });

  it('fits one SMS and one subject line even with a long name', () => {
    const long = { ...original, name: '아주아주아주아주아주아주아주아주아주아주 긴 이름의 종목 주식회사 우선주' };
    const message = buildCorrectionMessage(notice({ original: long }));
    expect(message.sms.length).toBeLessThanOrEqual(70);
    expect(message.subject.length).toBeLessThanOrEqual(99);
    expect(message.sms).toContain('99.5%↑');
  });

  it('says in the email what was sent, what the corrected day says, and what still stands', () => {
    const email = buildCorrectionMessage(notice()).email;
    expect(email).toContain('98.90% → 99.60%');
    expect(email).toContain('98.90% → 99.20%');
    expect(email).toContain('그대로 유효한 기준: 99%');
  });
});

describe('a correction notice on its way to chat channels', () => {
  it('reads as a notice of its own kind, never as the alert it corrects', () => {
    const message = buildCorrectionMessage(notice({ all: true, withdrawnBp: [9900, 9950] }));
    const envelope = {
      Type: 'Notification',
      MessageId: 'sns-1',
      Message: JSON.stringify(message.payload),
      MessageAttributes: Object.fromEntries(Object.entries(message.attributes).map(([k, v]) => [k, { Type: 'String', Value: v }])),
    };
    const read = parseNotice(JSON.stringify(envelope));
    expect([read.kind, read.deliveryKey, read.attributes.rule]).toEqual([
      'alert',
      `correction#${STK}-20250305-correction-limit_exh_rt_cross_up`,
      'correction',
    ]);
  });
});

describe('a correction notice read back and sent again', () => {
  it('reads its payload back from the stored SNS message, and refuses an alert payload', () => {
    const message = buildCorrectionMessage(notice());
    expect(parseCorrectionPayload(snsMessageJson(message))).toEqual(message.payload);
    expect(() => parseCorrectionPayload(JSON.stringify({ default: JSON.stringify({ ...message.payload, kind: undefined }) }))).toThrow(AlertPayloadError);
  });

  it('builds the same notice again from its payload, the corrected alert and the day before', () => {
    // The day as the scan has it: parsed from the row the payload carries.
    const current = snapshot({ stkCd: STK, dt: '20250305', limitExhRtBp: 9920, row: kiwoomRow({ dt: '20250305', limit_exh_rt: '+99.20' }) });
    const first = buildCorrectionMessage(notice({ current }));
    const again = correctionNoticeOf(first.payload, original, notice().previous);
    expect(buildCorrectionMessage(again)).toEqual(first);
  });

  it('marks a resend in the payload, the attributes, the subject, the SMS and the email', () => {
    const long = { ...original, name: '아주아주아주아주아주아주아주아주아주아주 긴 이름의 종목 주식회사 우선주' };
    const message = buildCorrectionMessage(notice({ original: long }), { resend: true });
    expect([message.payload.resend, message.attributes.resend]).toEqual([true, 'true']);
    expect(message.subject).toMatch(/^\[kfa\]\[정정\]\[재발송\] /);
    expect(message.sms).toMatch(/^\[외인·정정·재\] /);
    expect(message.sms.length).toBeLessThanOrEqual(70);
    expect(message.email).toContain('앞서 보낸 정정 알림을 다시 보냅니다');
  });
});
