// Messages for reminders, confirmed crossings and the exhaustion forecast;
// subject templates; the digest; payloads read back for a resend.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alertFromPayload,
  buildAlertMessage,
  buildDigestMessage,
  digestBatches,
  EmptyDigestError,
  parseAlertPayload,
  SMS_MAX_CHARS,
  snsMessageJson,
  SUBJECT_MAX_CHARS,
  type AlertMessageContext,
  type AlertPayload,
} from '../../functions/domain/messages.ts';
import { alertIdOf } from '../../functions/domain/types.ts';
import type { Alert, Finding, RawRow, Snapshot } from '../../functions/domain/types.ts';
import { kiwoomRow, snapshot as fixtureSnapshot } from '../support/domain-fixtures.ts';

/** 017670 on 20250304 at 49.50%. */
function row(overrides: Partial<RawRow> = {}): RawRow {
  return kiwoomRow({
    dt: '20250304',
    close_pric: '+51000',
    pred_pre: '+100',
    trde_qty: '1000',
    chg_qty: '+50000',
    poss_stkcnt: '49500000',
    wght: '+49.50',
    gain_pos_stkcnt: '1000000',
    frgnr_limit: '50500000',
    limit_exh_rt: '+49.50',
    ...overrides,
  });
}

function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  const dt = overrides.dt ?? '20250304';
  return fixtureSnapshot({
    stkCd: '017670',
    dt,
    closePrice: 51000,
    closeDirection: 'up',
    predPre: 100,
    tradeQty: 1000,
    chgQty: 50_000,
    possStkcnt: 49_500_000,
    wghtBp: 4950,
    gainPosStkcnt: 1_000_000,
    frgnrLimit: 50_500_000,
    limitExhRtBp: 4950,
    row: row({ dt }),
    ...overrides,
  });
}

const REMINDER: Finding = {
  rule: 'limit_exh_rt_still_beyond',
  direction: 'up',
  severity: 'warning',
  threshold: 4900,
  value: 4950,
  previousValue: 4940,
  since: '20250225',
};

const FORECAST: Finding = {
  rule: 'limit_exhaustion_forecast',
  direction: 'up',
  severity: 'critical',
  threshold: 20,
  value: 20,
  previousValue: 23,
  forecast: { roomShares: 1_000_000, avgDailyNetBuying: 50_000, daysLeft: 20, windowDays: 20 },
};

const CONFIRMED: Finding = {
  rule: 'limit_exh_rt_cross_up',
  direction: 'up',
  severity: 'critical',
  threshold: 4900,
  thresholdsCrossed: [4900],
  value: 4950,
  previousValue: 4940,
  since: '20250228',
};

function alert(finding: Finding, overrides: Partial<Alert> = {}): Alert {
  const stkCd = overrides.stkCd ?? '017670';
  const dt = overrides.dt ?? '20250304';
  return {
    ...finding,
    alertId: alertIdOf(stkCd, dt, finding.rule),
    stkCd,
    name: 'SK텔레콤',
    dt,
    previousDt: '20250303',
    revision: false,
    ...overrides,
  };
}

function context(overrides: Partial<AlertMessageContext> = {}): AlertMessageContext {
  const current = snapshot();
  return { current, recent: [snapshot({ dt: '20250303', limitExhRtBp: 4940 }), current], ...overrides };
}

const LONG_NAME = '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호'.slice(0, 40);

describe('exhaustion forecast message', () => {
  it('shows the arithmetic in the email', () => {
    expect(buildAlertMessage(alert(FORECAST), context()).email).toContain(
      '남은 한도 1,000,000주 ÷ 최근 20거래일 평균 보유 증가 50,000주 = 20거래일',
    );
  });

  it('says the days left were rounded up when the division is not exact', () => {
    const f: Finding = { ...FORECAST, value: 34, forecast: { roomShares: 1_000_000, avgDailyNetBuying: 30_000, daysLeft: 34, windowDays: 20 } };
    expect(buildAlertMessage(alert(f), context()).email).toContain('÷ 최근 20거래일 평균 보유 증가 30,000주 = 34거래일 (올림)');
  });

  it('carries N as threshold, the days left as value and the arithmetic in the payload', () => {
    expect(buildAlertMessage(alert(FORECAST), context()).payload).toMatchObject({
      rule: 'limit_exhaustion_forecast',
      severity: 'critical',
      threshold: 20,
      value: 20,
      previous_value: 23,
      forecast: { room_shares: 1_000_000, avg_daily_net_buying: 50_000, days_left: 20, window_days: 20 },
    });
  });

  it('says how many trading days are left, as an estimate, in the subject and the SMS', () => {
    const message = buildAlertMessage(alert(FORECAST), context());
    expect([message.subject, message.sms]).toEqual([
      '[kfa] SK텔레콤(017670) 외국인 한도 소진 약 20거래일 추정 2025-03-04',
      '[외인] SK텔레콤 한도소진 약 20거래일 추정 03/04',
    ]);
  });

  it('calls the forecast an estimate in the email, never a certainty', () => {
    const email = buildAlertMessage(alert(FORECAST), context()).email;
    expect([email.includes('소진될 것으로 추정됩니다'), email.includes('소진됩니다')]).toEqual([true, false]);
  });
});

describe('reminder message', () => {
  it('carries since and the threshold in percent', () => {
    expect(buildAlertMessage(alert(REMINDER), context()).payload).toMatchObject({
      rule: 'limit_exh_rt_still_beyond',
      severity: 'warning',
      threshold: 49,
      value: 49.5,
      previous_value: 49.4,
      since: '20250225',
    });
  });

  it('says in the email since when the rate has stayed past the threshold', () => {
    expect(buildAlertMessage(alert(REMINDER), context()).email).toContain(
      '외국인 한도소진률이 2025-02-25부터 49.00% 이상인 상태가 이어지고 있습니다 (현재 49.50%).',
    );
  });

  it('fits the SMS in one message with a 40-character name', () => {
    expect(buildAlertMessage(alert(REMINDER, { name: LONG_NAME }), context()).sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
  });
});

describe('confirmed crossing message', () => {
  it('carries since in the payload', () => {
    expect(buildAlertMessage(alert(CONFIRMED), context()).payload.since).toBe('20250228');
  });

  it('says in the email since when the crossing held', () => {
    expect(buildAlertMessage(alert(CONFIRMED), context()).email).toContain(
      '2025-02-28부터 기준을 넘은 상태가 이어져 2025-03-04에 확정되었습니다.',
    );
  });

  it('marks the subject as confirmed', () => {
    expect(buildAlertMessage(alert(CONFIRMED), context()).subject).toBe(
      '[kfa] SK텔레콤(017670) 한도소진률 49% 상향 돌파 확정 2025-03-04',
    );
  });
});

describe('subject_template', () => {
  it('fills code, name, rule, value and day', () => {
    const message = buildAlertMessage(alert(CONFIRMED), context({ subjectTemplate: '{name}({stk_cd}) {rule} {value} @ {dt}' }));
    expect(message.subject).toBe('[kfa] SK텔레콤(017670) 한도소진률 상향 돌파 49.50% @ 2025-03-04');
  });

  it('keeps the [kfa] tag and the resend tag in front of a template', () => {
    const message = buildAlertMessage(alert(FORECAST), context({ subjectTemplate: '{stk_cd} {value}', resend: true }));
    expect(message.subject).toBe('[kfa][재발송] 017670 20거래일');
  });

  it('does not repeat [kfa] when the template starts with it', () => {
    const message = buildAlertMessage(alert(FORECAST), context({ subjectTemplate: '[kfa] {stk_cd} {value}' }));
    expect(message.subject).toBe('[kfa] 017670 20거래일');
  });

  it('stays one line under 100 characters for any name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (name) => {
        const subject = buildAlertMessage(
          alert(REMINDER, { name }),
          context({ subjectTemplate: '{name} {name} {rule} {value} {dt} {stk_cd}' }),
        ).subject;
        return subject.length <= SUBJECT_MAX_CHARS && !/[\r\n]/.test(subject) && subject.startsWith('[kfa]');
      }),
    );
  });

  it('uses the built-in subject when the template is null', () => {
    expect(buildAlertMessage(alert(FORECAST), context({ subjectTemplate: null })).subject).toMatch(/^\[kfa\] SK텔레콤/);
  });
});

describe('payloads read back', () => {
  it('rebuilds the same payload from a stored message', () => {
    for (const finding of [REMINDER, FORECAST, CONFIRMED]) {
      const first = buildAlertMessage(alert(finding), context());
      const payload = parseAlertPayload(snsMessageJson(first));
      expect(buildAlertMessage(alertFromPayload(payload), context()).payload).toEqual(first.payload);
    }
  });

  it('marks a rebuilt message as a resend in its payload and attributes', () => {
    const payload = buildAlertMessage(alert(CONFIRMED), context()).payload;
    const again = buildAlertMessage(alertFromPayload(payload), context({ resend: true }));
    expect([again.payload.resend, again.attributes.resend]).toEqual([true, 'true']);
  });

  it('refuses a stored message without an alert payload', () => {
    expect(() => parseAlertPayload(JSON.stringify({ default: '{"kind":"digest"}' }))).toThrow('no alert payload');
  });
});

describe('digest', () => {
  function payload(stkCd: string, name: string, finding: Finding, dt = '20250304'): { payload: AlertPayload } {
    const current = snapshot({ stkCd, dt });
    return { payload: buildAlertMessage(alert(finding, { stkCd, name, dt }), { current, recent: [current] }).payload };
  }

  const CHG: Finding = { rule: 'chg_qty_abs', direction: 'up', severity: 'warning', threshold: 10_000, value: 50_000, previousValue: 0 };
  const LIMIT: Finding = { rule: 'frgnr_limit_change', direction: 'up', severity: 'info', threshold: null, value: 2, previousValue: 1 };
  const entries = [payload('030200', 'KT', CHG), payload('017670', 'SK텔레콤', REMINDER), payload('017670', 'SK텔레콤', CHG)];

  it('lists every alert grouped by code, codes of equal severity in code order', () => {
    expect(buildDigestMessage(entries, { runId: 'run-1' }).payload.alert_ids).toEqual([
      '017670-20250304-chg_qty_abs',
      '017670-20250304-limit_exh_rt_still_beyond',
      '030200-20250304-chg_qty_abs',
    ]);
  });

  describe('with a critical alert on a higher code', () => {
    const mixed = [payload('003490', '대한항공', LIMIT), payload('017670', 'SK텔레콤', CHG), payload('030200', 'KT', CONFIRMED), payload('030200', 'KT', CHG)];
    const digest = buildDigestMessage(mixed, { runId: 'run-1' });

    it('leads the Subject with the most severe alert and counts the critical ones', () => {
      expect(digest.subject).toBe('[kfa] 외국인 보유 알림 4건(긴급 1) · KT 한도소진률 49% 상향 돌파 외 3건 2025-03-04');
    });

    it('leads the SMS with the most severe alert and says how many are critical', () => {
      expect(digest.sms).toBe('[외인] 03/04 알림 4건(긴급 1): KT 49% 상향돌파(49.50%) 등');
    });

    it('orders codes by their most severe alert, then by code', () => {
      expect(digest.email.match(/^■ .*$/gm)).toEqual(['■ KT (030200) — 2건', '■ SK텔레콤 (017670) — 1건', '■ 대한항공 (003490) — 1건']);
      expect(digest.payload.alert_ids).toEqual([
        '030200-20250304-limit_exh_rt_cross_up',
        '030200-20250304-chg_qty_abs',
        '017670-20250304-chg_qty_abs',
        '003490-20250304-frgnr_limit_change',
      ]);
    });
  });

  it('leads with the lowest code when the most severe alerts tie', () => {
    const tied = [payload('030200', 'KT', CONFIRMED), payload('017670', 'SK텔레콤', CONFIRMED)];
    expect(buildDigestMessage(tied, { runId: 'r' }).sms).toBe('[외인] 03/04 알림 2건(긴급 2): SK텔레콤 49% 상향돌파(49.50%) 등');
  });

  it('words chg_qty as a change in holdings in the digest', () => {
    const digest = buildDigestMessage([payload('030200', 'KT', CHG)], { runId: 'r' });
    expect([digest.subject, digest.sms, digest.email.includes('외국인 보유 50,000주 증가')]).toEqual([
      '[kfa] 외국인 보유 알림 1건(긴급 0) · KT 외국인 보유 50,000주 증가 2025-03-04',
      '[외인] 03/04 알림 1건(긴급 0): KT 보유 50,000주 증가',
      true,
    ]);
    expect(`${digest.subject}${digest.sms}${digest.email}`).not.toMatch(/순매수|순매도|순매매/);
  });

  it('carries rule digest, the highest severity inside and the count as attributes', () => {
    const digest = buildDigestMessage([...entries, payload('003490', '대한항공', FORECAST)], { runId: 'run-1' });
    expect(digest.attributes).toMatchObject({ rule: 'digest', severity: 'critical', alert_count: '4' });
  });

  it('takes the highest severity of what is inside, not always critical', () => {
    expect(buildDigestMessage([payload('030200', 'KT', LIMIT)], { runId: 'r' }).attributes.severity).toBe('info');
  });

  it('writes one heading per code and one table row per alert in the email', () => {
    const email = buildDigestMessage(entries, { runId: 'run-1' }).email;
    expect(email.match(/^■ .*$/gm)).toEqual(['■ SK텔레콤 (017670) — 2건', '■ KT (030200) — 1건']);
    expect(email.match(/^ {2}2025-03-04 .*$/gm)).toHaveLength(3);
  });

  it('counts the alerts in the SMS', () => {
    expect(buildDigestMessage(entries, { runId: 'run-1' }).sms).toBe('[외인] 03/04 알림 3건(긴급 0): SK텔레콤 보유 50,000주 증가 등');
  });

  it('keeps the SMS within 70 characters and the Subject within 99 for many codes with long names', () => {
    const many = Array.from({ length: 120 }, (_, i) => payload(String(100000 + i), LONG_NAME, i % 2 ? CHG : CONFIRMED));
    const digest = buildDigestMessage(many, { runId: 'run-1' });
    expect([digest.sms.length <= SMS_MAX_CHARS, digest.subject.length <= SUBJECT_MAX_CHARS]).toEqual([true, true]);
    expect(digest.sms).toMatch(/^\[외인\] 03\/04 알림 120건\(긴급 60\): /);
  });

  it('lists an alert given twice (a retried one merged with the run) once', () => {
    const digest = buildDigestMessage([...entries, entries[0] as { payload: AlertPayload }], { runId: 'run-1' });
    expect(digest.payload.alert_count).toBe(3);
  });

  it('refuses to build a digest of nothing', () => {
    expect(() => buildDigestMessage([], { runId: 'run-1' })).toThrow(EmptyDigestError);
  });

  it('dates the digest by the newest alert day unless the run says otherwise', () => {
    const mixed = [payload('030200', 'KT', CHG, '20250228'), payload('017670', 'SK텔레콤', CHG, '20250304')];
    expect([buildDigestMessage(mixed, { runId: 'r' }).payload.dt, buildDigestMessage(mixed, { runId: 'r', dt: '20250305' }).payload.dt]).toEqual([
      '20250304',
      '20250305',
    ]);
  });

  it('splits a large evening into digests of at most 100 alerts', () => {
    expect(digestBatches(Array.from({ length: 250 }, (_, i) => i)).map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it('goes to SNS as MessageStructure json with the digest payload as default', () => {
    const digest = buildDigestMessage(entries, { runId: 'run-1' });
    const outer = JSON.parse(snsMessageJson(digest)) as { default: string; sms: string };
    expect([JSON.parse(outer.default).kind, outer.sms]).toEqual(['digest', digest.sms]);
  });
});
