// Turns an Alert into what one SNS publish carries: a machine payload
// (`default`), a Korean-first email body, a one-line SMS and a subject.
import type { Alert, Snapshot } from '../types.ts';
import { buildEmail, SPARKLINE_DAYS } from './email.ts';
import { buildPayload, type AlertPayload } from './payload.ts';
import { buildSms } from './sms.ts';
import { buildSubject, fillSubjectTemplate } from './subject.ts';

export interface AlertMessage {
  subject: string;
  payload: AlertPayload;
  email: string;
  sms: string;
  /** SNS message attributes (all of DataType String) for filter policies. */
  attributes: Record<string, string>;
}

export interface AlertMessageContext {
  /** The alert day's snapshot. */
  current: Snapshot;
  /** Recent snapshots, oldest first, ending with the alert's day. */
  recent: readonly Snapshot[];
  /** True when the ledger found this alert unsent and it is published again (or `kfa alerts resend`). */
  resend?: boolean;
  /** The code's `subject_template` ({stk_cd} {name} {rule} {value} {dt}); absent/null = the built-in subject. */
  subjectTemplate?: string | null;
}

/** The snapshot handed in is not the alert's code and day: a caller bug. */
export class AlertContextMismatchError extends Error {
  override readonly name = 'AlertContextMismatchError';
  constructor(
    readonly alertId: string,
    readonly snapshotKey: string,
  ) {
    super(`alert ${alertId} was given the snapshot of ${snapshotKey}`);
  }
}

export function buildAlertMessage(alert: Alert, context: AlertMessageContext): AlertMessage {
  const { current } = context;
  if (current.stkCd !== alert.stkCd || current.dt !== alert.dt) {
    throw new AlertContextMismatchError(alert.alertId, `${current.stkCd}/${current.dt}`);
  }
  const resend = context.resend === true;
  const recent = (context.recent.length > 0 ? context.recent : [current]).slice(-SPARKLINE_DAYS);
  return {
    subject:
      context.subjectTemplate != null && context.subjectTemplate.trim() !== ''
        ? fillSubjectTemplate(context.subjectTemplate, alert, resend)
        : buildSubject(alert, resend),
    payload: buildPayload(alert, current, resend),
    email: buildEmail(alert, current, recent, resend),
    sms: buildSms(alert, resend),
    attributes: {
      stk_cd: alert.stkCd,
      rule: alert.rule,
      dt: alert.dt,
      direction: alert.direction,
      severity: alert.severity,
      alert_id: alert.alertId,
      ...(resend ? { resend: 'true' } : {}),
    },
  };
}

/** The Message for SNS Publish with `MessageStructure: 'json'` (an alert or a digest). */
export function snsMessageJson(message: Pick<AlertMessage, 'email' | 'sms'> & { payload: object }): string {
  return JSON.stringify({
    default: JSON.stringify(message.payload),
    email: message.email,
    sms: message.sms,
  });
}
