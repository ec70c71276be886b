import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AlertContextMismatchError,
  SMS_MAX_CHARS,
  SUBJECT_MAX_CHARS,
  buildAlertMessage,
  formatPercentBp,
  formatShares,
  snsMessageJson,
} from '../../functions/domain/messages.ts';
import type { AlertMessageContext } from '../../functions/domain/messages.ts';
import { sparkline } from '../../functions/domain/sparkline.ts';
import { RULE_IDS, alertIdOf } from '../../functions/domain/types.ts';
import type { Alert, Finding, RawRow, RuleId, Snapshot } from '../../functions/domain/types.ts';
import { kiwoomRow, snapshot as fixtureSnapshot } from '../support/domain-fixtures.ts';

/** A day at 49.12%, just past the 49% threshold. */
function row(overrides: Partial<RawRow> = {}): RawRow {
  return kiwoomRow({
    close_pric: '+135300',
    pred_pre: '+100',
    trde_qty: '1',
    chg_qty: '1234567',
    poss_stkcnt: '12538874',
    wght: '+49.12',
    gain_pos_stkcnt: '12987832',
    limit_exh_rt: '+49.12',
    ...overrides,
  });
}

function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return fixtureSnapshot({
    closeDirection: 'up',
    predPre: 100,
    tradeQty: 1,
    chgQty: 1_234_567,
    possStkcnt: 12_538_874,
    wghtBp: 4912,
    gainPosStkcnt: 12_987_832,
    limitExhRtBp: 4912,
    row: row({ dt: overrides.dt ?? '20241105' }),
    ...overrides,
  });
}

const FINDINGS: Record<RuleId, Finding> = {
  limit_exh_rt_cross_up: {
    rule: 'limit_exh_rt_cross_up',
    direction: 'up',
    severity: 'critical',
    threshold: 4900,
    thresholdsCrossed: [4800, 4900],
    value: 4912,
    previousValue: 4795,
  },
  limit_exh_rt_cross_down: {
    rule: 'limit_exh_rt_cross_down',
    direction: 'down',
    severity: 'critical',
    threshold: 4800,
    thresholdsCrossed: [4900, 4800],
    value: 4795,
    previousValue: 4912,
  },
  limit_exh_rt_move: {
    rule: 'limit_exh_rt_move',
    direction: 'up',
    severity: 'warning',
    threshold: 50,
    value: 4912,
    previousValue: 4850,
  },
  chg_qty_abs: {
    rule: 'chg_qty_abs',
    direction: 'down',
    severity: 'warning',
    threshold: 1_000_000,
    value: -1_234_567,
    previousValue: 4627,
  },
  frgnr_limit_change: {
    rule: 'frgnr_limit_change',
    direction: 'up',
    severity: 'info',
    threshold: null,
    value: 26_000_000,
    previousValue: 25_526_706,
  },
  limit_exh_rt_still_beyond: {
    rule: 'limit_exh_rt_still_beyond',
    direction: 'up',
    severity: 'warning',
    threshold: 4900,
    value: 4912,
    previousValue: 4905,
    since: '20241030',
  },
  limit_exhaustion_forecast: {
    rule: 'limit_exhaustion_forecast',
    direction: 'up',
    severity: 'critical',
    threshold: 20,
    value: 11,
    previousValue: 12,
    forecast: { roomShares: 12_987_832, avgDailyNetBuying: 1_234_567, daysLeft: 11, windowDays: 20 },
  },
};

function alert(rule: RuleId, overrides: Partial<Alert> = {}): Alert {
  return {
    ...FINDINGS[rule],
    alertId: alertIdOf('005930', '20241105', rule),
    stkCd: '005930',
    name: '삼성전자',
    dt: '20241105',
    previousDt: '20241104',
    revision: false,
    ...overrides,
  };
}

/** Trading days ending on 2024-11-05 with the given rates, oldest first. */
function recentDays(rates: (number | null)[]): Snapshot[] {
  const dts = ['20241028', '20241029', '20241030', '20241031', '20241101', '20241104', '20241105'].slice(-rates.length);
  return rates.map((limitExhRtBp, i) => snapshot({ dt: dts[i] as string, limitExhRtBp }));
}

function context(overrides: Partial<AlertMessageContext> = {}): AlertMessageContext {
  const recent = recentDays([4810, 4830, 4870, 4795, 4912]);
  return { current: recent.at(-1) as Snapshot, recent, ...overrides };
}

const LONG_NAME = '가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호'.slice(0, 40);

describe('payload', () => {
  const common = {
    schema_version: 1,
    stk_cd: '005930',
    name: '삼성전자',
    dt: '20241105',
    previous_dt: '20241104',
    row: row(),
  };

  it('gives a crossing up in percent with the furthest threshold and every threshold crossed', () => {
    expect(buildAlertMessage(alert('limit_exh_rt_cross_up'), context()).payload).toEqual({
      ...common,
      alert_id: '005930-20241105-limit_exh_rt_cross_up',
      rule: 'limit_exh_rt_cross_up',
      direction: 'up',
      severity: 'critical',
      threshold: 49,
      thresholds_crossed: [48, 49],
      value: 49.12,
      previous_value: 47.95,
    });
  });

  it('gives a crossing down in percent with thresholds in crossing order', () => {
    expect(buildAlertMessage(alert('limit_exh_rt_cross_down'), context()).payload).toEqual({
      ...common,
      alert_id: '005930-20241105-limit_exh_rt_cross_down',
      rule: 'limit_exh_rt_cross_down',
      direction: 'down',
      severity: 'critical',
      threshold: 48,
      thresholds_crossed: [49, 48],
      value: 47.95,
      previous_value: 49.12,
    });
  });

  it('gives a move with the setting in percentage points and rates in percent', () => {
    expect(buildAlertMessage(alert('limit_exh_rt_move'), context()).payload).toEqual({
      ...common,
      alert_id: '005930-20241105-limit_exh_rt_move',
      rule: 'limit_exh_rt_move',
      direction: 'up',
      severity: 'warning',
      threshold: 0.5,
      value: 49.12,
      previous_value: 48.5,
    });
  });

  it('gives chg_qty_abs in whole shares with the signed chg_qty as value', () => {
    expect(buildAlertMessage(alert('chg_qty_abs'), context()).payload).toEqual({
      ...common,
      alert_id: '005930-20241105-chg_qty_abs',
      rule: 'chg_qty_abs',
      direction: 'down',
      severity: 'warning',
      threshold: 1_000_000,
      value: -1_234_567,
      previous_value: 4627,
    });
  });

  it('gives a foreign limit change as old and new limits in shares with no threshold', () => {
    expect(buildAlertMessage(alert('frgnr_limit_change'), context()).payload).toEqual({
      ...common,
      alert_id: '005930-20241105-frgnr_limit_change',
      rule: 'frgnr_limit_change',
      direction: 'up',
      severity: 'info',
      threshold: null,
      value: 26_000_000,
      previous_value: 25_526_706,
    });
  });

  it('writes basis points as exact two-decimal JSON numbers', () => {
    const payload = buildAlertMessage(alert('limit_exh_rt_cross_up', { value: 2610, previousValue: 2607 }), context()).payload;
    expect(JSON.stringify(payload)).toContain('"value":26.1,"previous_value":26.07,');
  });

  it('marks a revision', () => {
    expect(buildAlertMessage(alert('chg_qty_abs', { revision: true }), context()).payload.revision).toBe(true);
  });

  it('leaves revision and resend out of a first, unrevised alert', () => {
    const payload = buildAlertMessage(alert('chg_qty_abs'), context()).payload;
    expect(['revision' in payload, 'resend' in payload]).toEqual([false, false]);
  });

  it('marks a resend', () => {
    expect(buildAlertMessage(alert('chg_qty_abs'), context({ resend: true })).payload.resend).toBe(true);
  });

  it('gives name null when the code has no name', () => {
    expect(buildAlertMessage(alert('chg_qty_abs', { name: undefined }), context()).payload.name).toBeNull();
  });

  it('refuses a snapshot of another day', () => {
    expect(() => buildAlertMessage(alert('chg_qty_abs'), context({ current: snapshot({ dt: '20241104' }) }))).toThrow(
      AlertContextMismatchError,
    );
  });
});

describe('snsMessageJson', () => {
  it('carries the payload as a JSON string under default and the texts under email and sms', () => {
    const message = buildAlertMessage(alert('limit_exh_rt_cross_up'), context());
    const parsed = JSON.parse(snsMessageJson(message)) as Record<string, string>;
    expect({ ...parsed, default: JSON.parse(parsed.default as string) }).toEqual({
      default: message.payload,
      email: message.email,
      sms: message.sms,
    });
  });
});

describe('email', () => {
  const email = (a: Alert, c: AlertMessageContext = context()) => buildAlertMessage(a, c).email;

  it('names the stock and code and the trading day', () => {
    const text = email(alert('limit_exh_rt_cross_up'));
    expect([text.includes('삼성전자 (005930)'), text.includes('2024-11-05')]).toEqual([true, true]);
  });

  it('says in Korean which threshold was crossed upward', () => {
    expect(email(alert('limit_exh_rt_cross_up'))).toContain('외국인 한도소진률이 49.00%를 상향 돌파했습니다');
  });

  it('says in Korean which threshold was crossed downward', () => {
    expect(email(alert('limit_exh_rt_cross_down'))).toContain('외국인 한도소진률이 48.00%를 하향 이탈했습니다');
  });

  it('lists every threshold crossed on the day', () => {
    expect(email(alert('limit_exh_rt_cross_up'))).toContain('48.00%, 49.00%');
  });

  it('shows the rate from the previous day to this one', () => {
    expect(email(alert('limit_exh_rt_cross_up'))).toContain('47.95% → 49.12% (+1.17%p)');
  });

  it('describes a move in percentage points', () => {
    expect(email(alert('limit_exh_rt_move'))).toContain('하루 만에 0.62%p 상승했습니다 (기준 0.50%p 이상)');
  });

  it('describes a fall in foreign holdings with thousands separators', () => {
    const text = email(alert('chg_qty_abs'));
    expect([text.includes('외국인 보유 1,234,567주 감소'), text.includes('+4,627주 → -1,234,567주')]).toEqual([true, true]);
  });

  it('shows the close and its change against the previous close, the sign giving the direction', () => {
    expect(email(alert('limit_exh_rt_cross_up'))).toContain('종가: 135,300원 (전일 대비 ▲100원, +0.07%)');
  });

  it('shows a falling close with a down arrow and a negative rate', () => {
    const current = snapshot({ closeDirection: 'down', predPre: -2700, row: row({ close_pric: '-135300', pred_pre: '-2700' }) });
    expect(email(alert('limit_exh_rt_cross_up'), context({ current, recent: [current] }))).toContain(
      '종가: 135,300원 (전일 대비 ▼2,700원, -1.96%)',
    );
  });

  it('says an unchanged close is unchanged', () => {
    const current = snapshot({ closeDirection: 'unchanged', predPre: 0 });
    expect(email(alert('limit_exh_rt_cross_up'), context({ current, recent: [current] }))).toContain('종가: 135,300원 (전일 대비 보합)');
  });

  it('shows the foreign share of listed shares (wght)', () => {
    const current = snapshot({ wghtBp: 2610 });
    expect(email(alert('limit_exh_rt_cross_up'), context({ current, recent: [current] }))).toContain('외국인 지분율(상장주식 대비): 26.10%');
  });

  it("links the code's foreign-ownership page on Naver Finance", () => {
    expect(email(alert('limit_exh_rt_cross_up'))).toContain('https://finance.naver.com/item/frgn.naver?code=005930');
  });

  it('links the base code for an NXT or SOR code', () => {
    const current = snapshot({ stkCd: '005930_NX' });
    const text = email(alert('limit_exh_rt_cross_up', { stkCd: '005930_NX' }), context({ current, recent: [current] }));
    expect(text).toContain('https://finance.naver.com/item/frgn.naver?code=005930\n');
  });

  it('describes a raised foreign limit', () => {
    expect(email(alert('frgnr_limit_change'))).toContain('외국인 한도가 25,526,706주에서 26,000,000주로 늘었습니다');
  });

  it('shows holdings, remaining room and the foreign limit', () => {
    const text = email(alert('limit_exh_rt_cross_up'));
    expect(['12,538,874주', '12,987,832주', '25,526,706주'].map((n) => text.includes(n))).toEqual([true, true, true]);
  });

  it('leaves the sparkline out when only the alert day is known', () => {
    const current = snapshot();
    const text = email(alert('limit_exh_rt_cross_up'), context({ current, recent: [current] }));
    expect([text.includes('추이'), text.includes('2024-11-05 49.12% → 2024-11-05')]).toEqual([false, false]);
  });

  it('draws the recent rates as a sparkline with first and last day, min and max', () => {
    const text = email(alert('limit_exh_rt_cross_up'));
    expect([
      text.includes('▂▃▅▁█'),
      text.includes('2024-10-30 48.10% → 2024-11-05 49.12%'),
      text.includes('최저 47.95% · 최고 49.12%'),
    ]).toEqual([true, true, true]);
  });

  it('says when Kiwoom corrected the day after first publishing it', () => {
    expect(email(alert('limit_exh_rt_cross_up', { revision: true }))).toContain('최초 게시 후 키움증권이 정정했습니다');
  });

  it('says nothing about a correction for an unrevised day', () => {
    expect(email(alert('limit_exh_rt_cross_up'))).not.toContain('정정');
  });

  it('ends with a short English line', () => {
    expect(email(alert('limit_exh_rt_cross_up'))).toContain('foreign limit exhaustion rose through 49.00% on 2024-11-05');
  });

  it('contains no raw JSON', () => {
    expect(email(alert('limit_exh_rt_cross_up'))).not.toMatch(/[{}"]/);
  });

  it('says unknown holdings are unknown instead of zero', () => {
    const current = snapshot({ possStkcnt: null });
    expect(email(alert('limit_exh_rt_cross_up'), context({ current, recent: [current] }))).toContain('외국인 보유주식수: 알 수 없음');
  });
});

describe('sms', () => {
  it('says which threshold was crossed upward, then the rate reached', () => {
    expect(buildAlertMessage(alert('limit_exh_rt_cross_up'), context()).sms).toBe('[외인] 삼성전자 49% 상향돌파(49.12%) 11/05');
  });

  it('says which threshold was crossed downward, then the rate reached', () => {
    expect(buildAlertMessage(alert('limit_exh_rt_cross_down'), context()).sms).toBe('[외인] 삼성전자 48% 하향이탈(47.95%) 11/05');
  });

  it.each(RULE_IDS)('stays within 70 characters for %s with a 40-character name', (rule) => {
    const { sms } = buildAlertMessage(alert(rule, { name: LONG_NAME }), context({ resend: true }));
    expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
  });

  it('shortens a long name with an ellipsis and keeps the values', () => {
    const values = { value: 123_456_789_012, previousValue: 123_456_789_000 };
    const { sms } = buildAlertMessage(alert('frgnr_limit_change', { name: LONG_NAME, ...values }), context());
    expect(sms).toMatch(/^\[외인\] 가.*… 한도 123,456,789,000→123,456,789,012주 11\/05$/);
  });

  it('stays one line within 70 characters for any name and rule', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RULE_IDS), fc.string({ unit: 'binary', maxLength: 200 }), fc.boolean(), (rule, name, revision) => {
        const { sms } = buildAlertMessage(alert(rule, { name, revision }), context({ resend: revision }));
        expect(sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
        expect(sms).not.toMatch(/[\r\n]/);
      }),
    );
  });
});

describe('subject', () => {
  it('names the code, the name, the rule and the day', () => {
    expect(buildAlertMessage(alert('limit_exh_rt_cross_up'), context()).subject).toBe(
      '[kfa] 삼성전자(005930) 한도소진률 49% 상향 돌파 2024-11-05',
    );
  });

  it('drops a right-to-left override from a name read back from the ledger', () => {
    const { subject, sms } = buildAlertMessage(alert('limit_exh_rt_cross_up', { name: '삼성\u202E전자\u001b[2J' }), context());
    expect([subject, sms]).toEqual(['[kfa] 삼성전자 [2J(005930) 한도소진률 49% 상향 돌파 2024-11-05', '[외인] 삼성전자 [2J 49% 상향돌파(49.12%) 11/05']);
  });

  it('strips line breaks from the name', () => {
    const { subject } = buildAlertMessage(alert('limit_exh_rt_cross_up', { name: '삼성\r\n전자' }), context());
    expect(subject).toBe('[kfa] 삼성 전자(005930) 한도소진률 49% 상향 돌파 2024-11-05');
  });

  it('stays under 100 characters on one line for any name and rule', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RULE_IDS), fc.string({ unit: 'binary', maxLength: 300 }), (rule, name) => {
        const { subject } = buildAlertMessage(alert(rule, { name, revision: true }), context({ resend: true }));
        expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_CHARS);
        expect(subject).not.toMatch(/[\r\n\u2028\u2029]/);
        expect(subject).toContain('(005930)');
      }),
    );
  });
});

describe('attributes', () => {
  it('carries the filterable fields as strings', () => {
    expect(buildAlertMessage(alert('chg_qty_abs'), context()).attributes).toEqual({
      stk_cd: '005930',
      rule: 'chg_qty_abs',
      dt: '20241105',
      direction: 'down',
      severity: 'warning',
      alert_id: '005930-20241105-chg_qty_abs',
    });
  });

  it('adds resend "true" for a resend', () => {
    expect(buildAlertMessage(alert('chg_qty_abs'), context({ resend: true })).attributes.resend).toBe('true');
  });
});

describe('number forms', () => {
  it('formats basis points as percent with two decimals', () => {
    expect([formatPercentBp(4912), formatPercentBp(5), formatPercentBp(-90000)]).toEqual(['49.12%', '0.05%', '-900.00%']);
  });

  it('groups shares by thousands', () => {
    expect([formatShares(1_234_567), formatShares(-3441), formatShares(999)]).toEqual(['1,234,567', '-3,441', '999']);
  });
});

describe('sparkline', () => {
  it('scales values between the lowest and the highest bar', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
  });

  it('draws a flat series at the lowest bar', () => {
    expect(sparkline([4900, 4900, 4900])).toBe('▁▁▁');
  });

  it('leaves a gap for an unknown value', () => {
    expect(sparkline([4800, null, 4900])).toBe('▁·█');
  });
});

describe('chg_qty is the change in foreign holdings, not net trading', () => {
  const NET_TRADING = /순매수|순매도|순매매|net (bought|sold|buying|selling)/;
  const buying = alert('chg_qty_abs', { direction: 'up', value: 12_345, previousValue: -500 });
  const selling = alert('chg_qty_abs');

  it('says so in the email', () => {
    const texts = [buying, selling].map((a) => buildAlertMessage(a, context()).email);
    const outsideNote = (t: string) => t.split('\n').filter((line) => !line.startsWith('※')).join('\n');
    expect(texts.map((t) => [t.match(/외국인 보유 [0-9,]+주 (증가|감소)/)?.[0], NET_TRADING.test(outsideNote(t))])).toEqual([
      ['외국인 보유 12,345주 증가', false],
      ['외국인 보유 1,234,567주 감소', false],
    ]);
  });

  it('tells the reader in the email that the figure is not the net trading a trading screen shows', () => {
    expect(buildAlertMessage(selling, context()).email).toContain(
      '※ 변동수량은 외국인 보유주식수의 전일 대비 변화입니다. HTS·포털의 외국인 순매매(매수−매도) 수치와 다를 수 있습니다.',
    );
  });

  it('says so in the SMS', () => {
    expect([buying, selling].map((a) => buildAlertMessage(a, context()).sms)).toEqual([
      '[외인] 삼성전자 보유 12,345주 증가 11/05',
      '[외인] 삼성전자 보유 1,234,567주 감소 11/05',
    ]);
  });

  it('says so in the Subject', () => {
    expect([buying, selling].map((a) => buildAlertMessage(a, context()).subject)).toEqual([
      '[kfa] 삼성전자(005930) 외국인 보유 12,345주 증가 2024-11-05',
      '[kfa] 삼성전자(005930) 외국인 보유 1,234,567주 감소 2024-11-05',
    ]);
  });

  it('keeps the rule id and the signed chg_qty in the payload', () => {
    expect(buildAlertMessage(selling, context()).payload).toMatchObject({ rule: 'chg_qty_abs', value: -1_234_567, threshold: 1_000_000 });
  });
});
