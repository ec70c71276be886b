// Notices exactly as the deliver function receives them: the scan's own
// message builders (buildAlertMessage / buildDigestMessage), published as SNS
// would wrap them for an SQS subscriber with raw delivery off.
import { randomUUID } from 'node:crypto';
import { buildCorrectionMessage, type CorrectionMessage } from '../../functions/domain/correction-message.ts';
import { alertFromPayload, buildAlertMessage, buildDigestMessage, type AlertPayload } from '../../functions/domain/messages.ts';
import { alertIdOf, CORRECTION_RULE, type Alert, type Finding } from '../../functions/domain/types.ts';
import { parseNotice, type Notice } from '../../functions/deliver/notice.ts';
import { correctedSnapshot, CROSS_UP, crossingSnapshot } from '../support/ledger-fixtures.ts';

export { CROSS_UP };

export const HOLDINGS_DOWN: Finding = {
  rule: 'chg_qty_abs',
  direction: 'down',
  severity: 'warning',
  threshold: 10_000,
  value: -5_000_000,
  previousValue: 120_000,
};

export interface AlertFixture {
  stkCd?: string;
  dt?: string;
  name?: string;
  finding?: Finding;
  resend?: boolean;
}

/** The `default` payload, attributes and SNS envelope of one alert. */
export function alertMessage(options: AlertFixture = {}): { payload: AlertPayload; attributes: Record<string, string> } {
  const stkCd = options.stkCd ?? '017670';
  const dt = options.dt ?? '20261106';
  const finding = options.finding ?? CROSS_UP;
  const alert: Alert = {
    ...finding,
    alertId: alertIdOf(stkCd, dt, finding.rule),
    stkCd,
    name: options.name ?? 'SK텔레콤',
    dt,
    previousDt: '20261105',
    revision: false,
  };
  const current = crossingSnapshot(stkCd, dt);
  const message = buildAlertMessage(alert, { current, recent: [current], ...(options.resend ? { resend: true } : {}) });
  return { payload: message.payload, attributes: message.attributes };
}

/** The SQS body SNS writes with raw message delivery off: the envelope with the `default` message and the attributes. */
export function snsEnvelope(payload: object, attributes: Record<string, string>, messageId: string = randomUUID()): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: 'arn:aws:sns:ap-northeast-2:000000000000:kfa-alerts',
    Message: JSON.stringify(payload),
    Timestamp: '2026-11-06T09:35:00.000Z',
    SignatureVersion: '1',
    MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { Type: 'String', Value: v }])),
  });
}

export function alertNotice(options: AlertFixture = {}, messageId?: string): Notice {
  const { payload, attributes } = alertMessage(options);
  return parseNotice(snsEnvelope(payload, attributes, messageId));
}

/** A digest of `count` alerts over `codes` codes, as ALERT_DELIVERY=digest publishes it. */
export function digestMessage(count: number, codes = 3, runId = 'run-1'): { payload: object; attributes: Record<string, string> } {
  const entries = Array.from({ length: count }, (_, i) => {
    const stkCd = String(100000 + (i % codes) * 10).padStart(6, '0');
    const dt = `202611${String(1 + Math.floor(i / codes)).padStart(2, '0')}`;
    return { payload: alertMessage({ stkCd, dt, name: `종목${i % codes}`, finding: i % 2 === 0 ? CROSS_UP : HOLDINGS_DOWN }).payload };
  });
  const digest = buildDigestMessage(entries, { runId });
  return { payload: digest.payload, attributes: digest.attributes };
}

export function digestNotice(count: number, codes = 3, runId = 'run-1'): Notice {
  const { payload, attributes } = digestMessage(count, codes, runId);
  return parseNotice(snsEnvelope(payload, attributes));
}

export interface CorrectionFixture {
  name?: string;
  /** 49% and 49.5% crossed at 49.60%, corrected to 49.20%: only 49.5% is withdrawn. */
  partial?: boolean;
  /** false: the day before is not stored (previous_dt null). */
  previousStored?: boolean;
  resend?: boolean;
}

/**
 * The scan's correction notice for the fixture's alert (017670 on 20261106):
 * 49% crossed at 49.05% from 48.80%, and Kiwoom corrected the day to 48.90%,
 * so the alert is withdrawn whole; or, `partial`, part of it.
 */
export function correctionMessage(options: CorrectionFixture = {}): CorrectionMessage {
  const stkCd = '017670';
  const dt = '20261106';
  const finding: Finding = options.partial ? { ...CROSS_UP, threshold: 4950, thresholdsCrossed: [4900, 4950], value: 4960 } : CROSS_UP;
  const original = alertFromPayload(alertMessage({ stkCd, dt, finding, ...(options.name === undefined ? {} : { name: options.name }) }).payload);
  const previous = options.previousStored === false ? null : { ...crossingSnapshot(stkCd, '20261105'), limitExhRtBp: 4880 };
  return buildCorrectionMessage(
    {
      alertId: alertIdOf(stkCd, dt, CORRECTION_RULE, finding.rule),
      original,
      withdrawnBp: options.partial ? [4950] : [4900],
      all: !options.partial,
      current: correctedSnapshot(stkCd, dt, options.partial ? 4920 : 4890),
      previous,
    },
    { resend: options.resend === true },
  );
}

export function correctionNotice(options: CorrectionFixture = {}, messageId?: string): Notice {
  const { payload, attributes } = correctionMessage(options);
  return parseNotice(snsEnvelope(payload, attributes, messageId));
}
