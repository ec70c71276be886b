// The channel item schema and filters.
import { describe, expect, it } from 'vitest';
import { noticeFor, parseChannel, toChannelItem, type Channel } from '../../functions/deliver/channel.ts';
import { ChannelConfigError } from '../../functions/deliver/errors.ts';
import { parseNotice } from '../../functions/deliver/notice.ts';
import { alertMessage, alertNotice, correctionNotice, digestNotice, HOLDINGS_DOWN, snsEnvelope } from './support.ts';

function problems(raw: Record<string, unknown>): string[] {
  try {
    parseChannel(raw);
  } catch (error) {
    if (error instanceof ChannelConfigError) return error.problems;
    throw error;
  }
  return [];
}

const telegram = (extra: Record<string, unknown> = {}): Channel =>
  parseChannel({ name: 'tg', type: 'telegram', chat_id: '-1001234567890', secret: 'kfa/channels/tg', ...extra });

describe('channel items', () => {
  it('round-trips a telegram channel with a filter', () => {
    const channel = telegram({ severities: 'critical,warning', codes: ['017670'] });
    expect(channel).toEqual({
      name: 'tg',
      type: 'telegram',
      chatId: '-1001234567890',
      secret: { kind: 'aws', id: 'kfa/channels/tg' },
      filter: { severities: ['critical', 'warning'], codes: ['017670'] },
      enabled: true,
    });
    expect(parseChannel(toChannelItem(channel))).toEqual(channel);
  });

  it('names every problem at once', () => {
    expect(problems({ name: 'x', type: 'telegram', chat_id: 'abc', secret: 'kfa/channels/x', severities: 'urgent' })).toEqual([
      'severities: "urgent" is not a severity (one of critical, warning, info)',
    ]);
    expect(problems({ name: 'x', type: 'telegram', chat_id: 'abc', secret: 'prod/kiwoom' })).toEqual([
      'secret: "prod/kiwoom" is outside kfa/channels/; the deliver function may read only secrets whose name starts with kfa/channels/',
      'chat_id: "abc" is not a Telegram chat id (a number such as -1001234567890, or @channelname)',
    ]);
  });

  it('keeps Slack and Discord URLs out of the item (they embed a key)', () => {
    expect(problems({ name: 's', type: 'slack', url: 'https://hooks.slack.com/services/T/B/K', secret: 'kfa/channels/s' })).toEqual([
      'url: a slack webhook URL embeds its key; put it in the secret, not in the item',
    ]);
  });

  it('accepts a secret ARN under the prefix and refuses one outside it', () => {
    const arn = 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:kfa/channels/tg-AbCdEf';
    expect(telegram({ secret: arn }).secret).toEqual({ kind: 'aws', id: arn });
    expect(problems({ name: 'x', type: 'telegram', chat_id: '1', secret: arn.replace('kfa/channels/tg', 'kiwoom/app') })[0]).toMatch(/outside kfa\/channels\//);
  });

  it('allows only KFA_CHANNEL_* variables as local secrets', () => {
    expect(telegram({ secret: undefined, secret_env: 'KFA_CHANNEL_TG' }).secret).toEqual({ kind: 'env', variable: 'KFA_CHANNEL_TG' });
    expect(problems({ name: 'x', type: 'telegram', chat_id: '1', secret_env: 'AWS_SECRET_ACCESS_KEY' })[0]).toMatch(/KFA_CHANNEL_/);
  });

  it('refuses a webhook URL that is not http(s) or carries credentials', () => {
    expect(problems({ name: 'w', type: 'webhook', url: 'file:///etc/passwd', secret: 'kfa/channels/w' })).toEqual(['url: must be https, got file']);
    expect(problems({ name: 'w', type: 'webhook', url: 'https://a:b@x.com/', secret: 'kfa/channels/w' })).toEqual(['url: must not carry a user name or password']);
  });
});

describe('filters (the SNS filter policy meaning)', () => {
  it('passes an alert whose severity, code and rule are all allowed', () => {
    expect(noticeFor(telegram({ severities: ['critical'], codes: ['017670'], rules: ['limit_exh_rt_cross_up'] }), alertNotice())).not.toBeNull();
    expect(noticeFor(telegram({ severities: ['warning'] }), alertNotice())).toBeNull();
    expect(noticeFor(telegram({ codes: ['005930'] }), alertNotice())).toBeNull();
    expect(noticeFor(telegram({ rules: ['chg_qty_abs'] }), alertNotice())).toBeNull();
  });

  it('sends a correction notice wherever the alert it withdraws went, a rules filter included', () => {
    expect(noticeFor(telegram({ severities: ['critical'], codes: ['017670'], rules: ['limit_exh_rt_cross_up'] }), correctionNotice())).not.toBeNull();
    expect(noticeFor(telegram({ rules: ['chg_qty_abs'] }), correctionNotice())).toBeNull();
  });

  it('sends nothing to a disabled channel', () => {
    expect(noticeFor(telegram({ enabled: false }), alertNotice())).toBeNull();
  });

  it('narrows a digest to the alerts that pass, and signs the narrowed body', () => {
    const digest = digestNotice(6, 3);
    const narrowed = noticeFor(telegram({ rules: ['chg_qty_abs'] }), digest);
    expect(narrowed?.kind).toBe('digest');
    if (narrowed?.kind !== 'digest') return;
    expect(narrowed.digest.alerts.every((a) => a.rule === 'chg_qty_abs')).toBe(true);
    expect(narrowed.digest.alert_count).toBe(3);
    expect(narrowed.digest.severity).toBe('warning');
    expect(JSON.parse(narrowed.body)).toMatchObject({ alert_count: 3 });
    expect(narrowed.deliveryKey).toBe(digest.deliveryKey);
  });
});

describe('notices', () => {
  it('keys an alert by its alert_id, and an on-purpose resend by its SNS message', () => {
    expect(alertNotice().deliveryKey).toBe('017670-20261106-limit_exh_rt_cross_up');
    const resend = alertMessage({ resend: true });
    expect(parseNotice(snsEnvelope(resend.payload, resend.attributes, 'm-1')).deliveryKey).toBe('017670-20261106-limit_exh_rt_cross_up#resend#m-1');
  });

  it('keys a digest by its run and the alerts inside, whatever the SNS message id', () => {
    expect(digestNotice(4).deliveryKey).toBe(digestNotice(4).deliveryKey);
    expect(digestNotice(4).deliveryKey).not.toBe(digestNotice(5).deliveryKey);
    expect(digestNotice(4).deliveryKey).toMatch(/^digest#run-1#[0-9a-f]{16}$/);
  });

  it('refuses a raw-delivered body (no envelope) and a payload without an alert', () => {
    const { payload } = alertMessage({ finding: HOLDINGS_DOWN });
    expect(() => parseNotice(JSON.stringify(payload))).toThrow(/not an SNS notification envelope/);
    expect(() => parseNotice(snsEnvelope({ hello: 1 }, {}))).toThrow(/alert payload/);
  });
});
