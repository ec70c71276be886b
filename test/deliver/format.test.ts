// What each chat API receives for one alert and for a digest: the pure
// formatters, from the scan's own payloads.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { discordPayload } from '../../functions/deliver/format/discord.ts';
import { slackPayload } from '../../functions/deliver/format/slack.ts';
import { escapeHtml, splitTelegramHtml, telegramMessages, TELEGRAM_MAX_CHARS } from '../../functions/deliver/format/telegram.ts';
import { signature, verifySignature, webhookRequest } from '../../functions/deliver/format/webhook.ts';
import { CORRECTION_COLOUR, SEVERITY_COLOUR } from '../../functions/deliver/format/wording.ts';
import { alertNotice, correctionMessage, correctionNotice, digestNotice, HOLDINGS_DOWN } from './support.ts';

/** Opening and closing tags pair up, in order. */
function balanced(html: string): boolean {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z]+)[^>]*>/g)) {
    if (m[1] === '') stack.push(m[2] as string);
    else if (stack.pop() !== m[2]) return false;
  }
  return stack.length === 0;
}

const stripTags = (html: string) => html.replace(/<[^>]*>/g, '');
const hasLoneSurrogate = (s: string) => /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

describe('Telegram (sendMessage, parse_mode HTML)', () => {
  it('escapes <, & and > in every dynamic value and keeps Korean text as it is', () => {
    const [text] = telegramMessages(alertNotice({ name: 'A&B <우선주>' }));
    expect(text).toContain('A&amp;B &lt;우선주&gt; (017670)');
    expect(text).not.toContain('<우선주>');
    expect(text).toContain('<b>한도소진률 49% 상향 돌파</b> · 2026-11-06');
    expect(text).toContain('한도소진률 (이전 → 현재): 48.80% → 49.05% (2026-11-05 → 2026-11-06)');
    expect(text).toContain('<code>017670-20261106-limit_exh_rt_cross_up</code>');
    expect(balanced(text as string)).toBe(true);
  });

  it('words chg_qty as the day\'s change in foreign holdings, not net buying', () => {
    const [text] = telegramMessages(alertNotice({ finding: HOLDINGS_DOWN }));
    expect(text).toContain('외국인 보유 5,000,000주 감소');
    expect(text).toContain('일간 보유 변동 (전일 → 당일): +120,000주 → -5,000,000주');
    expect(text).not.toMatch(/순매수|순매도/);
  });

  it('sends a short alert as one message', () => {
    expect(telegramMessages(alertNotice())).toHaveLength(1);
  });

  it('splits a digest over 4,096 characters at line breaks into parts that each parse', () => {
    const parts = telegramMessages(digestNotice(100, 20));
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
      expect(balanced(part)).toBe(true);
      expect(part).not.toMatch(/&[a-z#0-9]*$/);
    }
    // Nothing lost: every alert line is in exactly one part.
    const lines = parts.join('\n').split('\n').filter((l) => l.includes('상향 돌파') || l.includes('보유'));
    expect(lines.filter((l) => /^(🔴|🟠) \d\d-\d\d /.test(l))).toHaveLength(100);
  });

  it('never cuts inside a tag, an entity or a surrogate pair, and closes and reopens open tags', () => {
    const token = fc.constantFrom('가', '한', 'a', ' ', '\n', '&amp;', '&lt;', '😀', '<b>굵게</b>', '<i>기울임 &gt;</i>', '<code>x&amp;y</code>');
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 300 }), fc.integer({ min: 30, max: 120 }), (tokens, limit) => {
        const html = `<b>${tokens.join('')}</b>`;
        const parts = splitTelegramHtml(html, limit);
        for (const part of parts) {
          expect(part.length).toBeLessThanOrEqual(limit);
          expect(balanced(part)).toBe(true);
          expect(hasLoneSurrogate(part)).toBe(false);
          expect(part).not.toMatch(/&[a-z]*$|<[^>]*$/);
        }
        expect(stripTags(parts.join('')).replace(/\s/g, '')).toBe(stripTags(html).replace(/\s/g, ''));
      }),
      { numRuns: 200 },
    );
  });

  it('escapes the characters HTML parse mode requires', () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;');
  });

  it('marks a test message clearly', () => {
    expect(telegramMessages(alertNotice(), { test: true })[0]).toMatch(/^🧪 <b>\[테스트\]/);
  });
});

describe('Slack (incoming webhook, Block Kit)', () => {
  it('has a header with code, name and the rule in Korean, fields, a context line with the alert_id, and the severity colour', () => {
    const payload = slackPayload(alertNotice());
    const [attachment] = payload.attachments;
    expect(attachment?.color).toBe('#d32f2f');
    const blocks = attachment?.blocks ?? [];
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🔴 SK텔레콤 (017670) · 한도소진률 상향 돌파', emoji: true } });
    const fields = (blocks.find((b) => Array.isArray(b.fields))?.fields ?? []) as { text: string }[];
    expect(fields.map((f) => f.text)).toEqual([
      '*한도소진률 (이전 → 현재)*\n48.80% → 49.05% (2026-11-05 → 2026-11-06)',
      '*기준*\n49%',
      '*외국인 보유*\n49,050,000주',
      '*남은 한도*\n50,950,000주',
      '*한도소진률*\n49.05%',
      '*중요도*\n긴급',
    ]);
    expect(blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'alert_id `017670-20261106-limit_exh_rt_cross_up`' }] });
    expect(payload.text).toBe('[긴급] SK텔레콤 (017670) 한도소진률 49% 상향 돌파 2026-11-06');
  });

  it('escapes &, < and > in mrkdwn (a name cannot become a link or a mention)', () => {
    const payload = slackPayload(alertNotice({ name: '<!channel> & Co' }));
    expect(JSON.stringify(payload.attachments[0]?.blocks.filter((b) => b.type !== 'header'))).not.toContain('<!channel>');
    const section = JSON.stringify(slackPayload(digestNotice(2, 1)).attachments[0]?.blocks);
    expect(section).toContain('종목0');
  });

  it('colours a warning amber and delivers a digest as one message within Slack\'s limits', () => {
    expect(slackPayload(alertNotice({ finding: HOLDINGS_DOWN })).attachments[0]?.color).toBe('#f9a825');
    const digest = slackPayload(digestNotice(100, 20));
    const blocks = digest.attachments[0]?.blocks ?? [];
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) expect(JSON.stringify(b).length).toBeLessThan(3200);
    expect(JSON.stringify(blocks).match(/상향 돌파|보유 [\d,]+주/g)?.length).toBeGreaterThanOrEqual(100);
  });
});

describe('Discord (webhook, embed)', () => {
  it('sends one embed coloured by severity with the fields and the alert_id, mentioning no one', () => {
    const payload = discordPayload(alertNotice({ name: '@everyone 주식' }));
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    const [embed] = payload.embeds;
    expect(embed?.color).toBe(0xd32f2f);
    expect(embed?.title).toBe('🔴 @everyone 주식 (017670) · 한도소진률 상향 돌파');
    expect(embed?.fields?.map((f) => f.name)).toEqual(['한도소진률 (이전 → 현재)', '기준', '외국인 보유', '남은 한도', '한도소진률', '중요도']);
    expect(embed?.footer.text).toBe('alert_id 017670-20261106-limit_exh_rt_cross_up');
  });

  it('escapes markdown in names', () => {
    const [embed] = discordPayload(alertNotice({ name: '*굵게*_x_' })).embeds;
    expect(embed?.description).not.toContain('*굵게*');
  });

  it('keeps a digest within one embed\'s limits and counts what did not fit', () => {
    const [embed] = discordPayload(digestNotice(100, 20)).embeds;
    expect((embed?.description.length ?? 0) + (embed?.title.length ?? 0) + (embed?.footer.text.length ?? 0)).toBeLessThanOrEqual(6000);
    expect(embed?.description.length).toBeLessThanOrEqual(4096);
    expect(embed?.description).toMatch(/외 \d+건은 이메일 요약을 확인하세요/);
  });
});

describe('webhook (signed POST of the default payload)', () => {
  const now = new Date('2026-11-06T09:35:00Z');

  it('posts the default payload byte for byte with a signature a receiver verifies', () => {
    const notice = alertNotice();
    const request = webhookRequest(notice, 'whsec-test', now);
    expect(request.body).toBe(notice.body);
    expect(request.headers['X-KFA-Timestamp']).toBe('1793957700');
    expect(request.headers['X-KFA-Signature']).toBe(signature('whsec-test', '1793957700', notice.body));
    expect(request.headers['X-KFA-Signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const headers = { timestamp: request.headers['X-KFA-Timestamp'], signature: request.headers['X-KFA-Signature'] };
    expect(verifySignature('whsec-test', headers, request.body, 1793957700 + 60)).toEqual({ ok: true });
  });

  it('is refused by the receiver when the body, the secret or the age is wrong', () => {
    const request = webhookRequest(alertNotice(), 'whsec-test', now);
    const headers = { timestamp: request.headers['X-KFA-Timestamp'], signature: request.headers['X-KFA-Signature'] };
    expect(verifySignature('whsec-test', headers, request.body.replace('49.05', '49.06'), 1793957700)).toMatchObject({ ok: false });
    expect(verifySignature('other', headers, request.body, 1793957700)).toMatchObject({ ok: false });
    expect(verifySignature('whsec-test', headers, request.body, 1793957700 + 301)).toEqual({ ok: false, reason: 'timestamp outside 5 minutes' });
  });
});

describe('a correction notice (rule correction)', () => {
  const WITHDRAWN = '017670-20261106-limit_exh_rt_cross_up';
  const NOTICE = '017670-20261106-correction-limit_exh_rt_cross_up';
  const WHY = '키움증권이 이 거래일의 데이터를 정정했고, 정정된 수치로는 "한도소진률 49% 상향 돌파"이(가) 일어나지 않았습니다.';

  it('Telegram: says which alert is withdrawn and why, the day first served → corrected, every value escaped', () => {
    const [text] = telegramMessages(correctionNotice({ name: 'A&B <우선주>' }));
    expect(text?.split('\n')).toEqual([
      '↩️ <b>[정정] A&amp;B &lt;우선주&gt; (017670)</b>',
      '<b>한도소진률 49% 상향 돌파 알림 취소</b> · 2026-11-06',
      '',
      escapeHtml(WHY),
      `보낸 알림: <code>${WITHDRAWN}</code>`,
      '2026-11-06 한도소진률 (처음 받은 값 → 정정된 값): 49.05% → 48.90%',
      '알림의 값 (이전 → 현재): 48.80% → 49.05%',
      '정정된 값 (이전 → 현재): 48.80% → 48.90% (2026-11-05 → 2026-11-06)',
      '<i>※ 이 알림을 보고 조치하셨다면 정정된 수치로 다시 확인해 주세요.</i>',
      '',
      `정정 알림 · <code>${NOTICE}</code>`,
    ]);
    expect(balanced(text as string)).toBe(true);
  });

  it('reads as the email says it: the same reason, the same values', () => {
    const { email } = correctionMessage();
    const [text] = telegramMessages(correctionNotice());
    expect(email).toContain(WHY);
    expect(email).toContain(`보낸 알림: ${WITHDRAWN}`);
    expect(email).toContain('알림의 값: 48.80% → 49.05%');
    expect(email).toContain('정정된 값: 48.80% → 48.90%');
    expect(text).not.toMatch(/알림 correction/);
  });

  it('Slack: a correction header, the reason, the fields, the notice id, in a colour of its own', () => {
    const payload = slackPayload(correctionNotice());
    const [attachment] = payload.attachments;
    expect(attachment?.color).toBe('#7b1fa2');
    expect(Object.values(SEVERITY_COLOUR)).not.toContain(CORRECTION_COLOUR);
    const blocks = attachment?.blocks ?? [];
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '↩️ [정정] SK텔레콤 (017670) · 알림 취소', emoji: true } });
    expect(blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: `*한도소진률 49% 상향 돌파 알림 취소* · 2026-11-06\n${WHY}` } });
    const fields = (blocks.find((b) => Array.isArray(b.fields))?.fields ?? []) as { text: string }[];
    expect(fields.map((f) => f.text)).toEqual([
      `*보낸 알림*\n\`${WITHDRAWN}\``,
      '*2026-11-06 한도소진률 (처음 받은 값 → 정정된 값)*\n49.05% → 48.90%',
      '*알림의 값 (이전 → 현재)*\n48.80% → 49.05%',
      '*정정된 값 (이전 → 현재)*\n48.80% → 48.90% (2026-11-05 → 2026-11-06)',
    ]);
    expect(blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: `alert_id \`${NOTICE}\`` }] });
    expect(payload.text).toBe('[정정] SK텔레콤 (017670) 한도소진률 49% 상향 돌파 알림 취소 2026-11-06');
  });

  it('Slack: escapes a name in mrkdwn', () => {
    const payload = slackPayload(correctionNotice({ name: '<!channel> & Co' }));
    expect(JSON.stringify(payload.attachments[0]?.blocks.filter((b) => b.type !== 'header'))).not.toContain('<!channel>');
  });

  it('Discord: one embed in the correction colour, the fields, the notice id, mentioning no one', () => {
    const payload = discordPayload(correctionNotice({ name: '@everyone *주식*' }));
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    const [embed] = payload.embeds;
    expect(embed?.color).toBe(CORRECTION_COLOUR);
    expect(embed?.title).toBe('↩️ [정정] @everyone *주식* (017670) · 알림 취소');
    expect(embed?.description).toBe(`**한도소진률 49% 상향 돌파 알림 취소** · 2026-11-06\n${WHY}\n*※ 이 알림을 보고 조치하셨다면 정정된 수치로 다시 확인해 주세요.*`);
    expect(embed?.fields?.map((f) => [f.name, f.value])).toEqual([
      ['보낸 알림', `\`${WITHDRAWN}\``],
      ['2026-11-06 한도소진률 (처음 받은 값 → 정정된 값)', '49.05% → 48.90%'],
      ['알림의 값 (이전 → 현재)', '48.80% → 49.05%'],
      ['정정된 값 (이전 → 현재)', '48.80% → 48.90% (2026-11-05 → 2026-11-06)'],
    ]);
    expect(embed?.footer.text).toBe(`alert_id ${NOTICE}`);
  });

  it('says what of a partly withdrawn alert still stands', () => {
    const [text] = telegramMessages(correctionNotice({ partial: true }));
    expect(text).toContain('<b>한도소진률 49.5% 상향 돌파 일부 취소</b> · 2026-11-06');
    expect(text).toContain('2026-11-06 한도소진률 (처음 받은 값 → 정정된 값): 49.60% → 49.20%');
    expect(text).toContain('그대로 유효한 기준: 49%');
    expect(discordPayload(correctionNotice({ partial: true })).embeds[0]?.title).toMatch(/· 일부 취소$/);
  });

  it('is delivered when the day before is not stored (previous_dt null), without its days', () => {
    const [text] = telegramMessages(correctionNotice({ previousStored: false }));
    expect(text).toContain('정정된 값 (이전 → 현재): 알 수 없음 → 48.90%');
    expect(text).not.toContain('2026-11-05');
  });

  it('marks an on-purpose resend', () => {
    expect(telegramMessages(correctionNotice({ resend: true }))[0]).toContain('<i>※ 앞서 보낸 정정 알림을 다시 보냅니다.</i>');
  });

  it('goes to a webhook as the raw payload, byte for byte', () => {
    const notice = correctionNotice();
    const request = webhookRequest(notice, 'whsec-test', new Date('2026-11-06T09:35:00Z'));
    expect(request.body).toBe(notice.body);
    expect(JSON.parse(request.body)).toMatchObject({ kind: 'correction', rule: 'correction', corrects_alert_id: WITHDRAWN });
  });
});
