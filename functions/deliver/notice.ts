// One SQS record, read back into what the scan published: the SNS envelope
// (raw message delivery is off, so it keeps the message attributes) around
// the `default` payload, which is a public contract (README "Messages"). The
// payload is checked here rather than trusted: it crossed a queue, and a
// newer scan may add fields (kept) or rules (formatted generically).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NoticeFormatError } from './errors.ts';

const severity = z.enum(['critical', 'warning', 'info']);

const alertSchema = z
  .object({
    kind: z.string().optional(),
    alert_id: z.string().min(1),
    stk_cd: z.string().min(1),
    name: z.string().nullable().optional(),
    dt: z.string().min(1),
    rule: z.string().min(1),
    direction: z.enum(['up', 'down']).optional(),
    severity,
    threshold: z.number().nullable().optional(),
    thresholds_crossed: z.array(z.number()).optional(),
    value: z.number(),
    previous_value: z.number().optional(),
    // A correction notice's is null when the day before its day is not stored.
    previous_dt: z.string().nullable().optional(),
    row: z.record(z.string(), z.string()).optional(),
    revision: z.boolean().optional(),
    resend: z.boolean().optional(),
    since: z.string().optional(),
    forecast: z
      .object({
        room_shares: z.number(),
        avg_daily_net_buying: z.number(),
        days_left: z.number(),
        window_days: z.number(),
      })
      .optional(),
  })
  .passthrough();

/**
 * What a correction notice (`kind: "correction"`, rule `correction`) carries
 * beside an alert's fields: the alert it withdraws, what of it, and the
 * figure that alert read as its day was first served and as corrected
 * (domain/correction-message.ts).
 */
const correctionSchema = z
  .object({
    kind: z.literal('correction'),
    corrects_alert_id: z.string().min(1),
    corrects_rule: z.string().min(1),
    withdrawn: z.enum(['all', 'partial']),
    withdrawn_thresholds: z.array(z.number()).optional(),
    standing_thresholds: z.array(z.number()).optional(),
    previous_value: z.number(),
    corrected_value: z.number().nullable(),
    corrected_previous_value: z.number().nullable(),
  })
  .passthrough();

const digestSchema = z
  .object({
    kind: z.literal('digest'),
    run_id: z.string().min(1),
    dt: z.string().min(1),
    alert_count: z.number().int().nonnegative(),
    severity,
    alert_ids: z.array(z.string()),
    alerts: z.array(alertSchema),
  })
  .passthrough();

export type AlertNotice = z.infer<typeof alertSchema>;
export type CorrectionNotice = AlertNotice & z.infer<typeof correctionSchema>;
export type DigestNotice = z.infer<typeof digestSchema>;
export type Severity = z.infer<typeof severity>;

interface NoticeBase {
  /** What the delivery ledger is keyed by, with the channel name: one delivery per (key, channel). */
  deliveryKey: string;
  /** The SNS message attributes (stk_cd, rule, severity, …), as a filter policy sees them. */
  attributes: Record<string, string>;
  /** The `default` payload exactly as published: the webhook body, signed byte for byte. */
  body: string;
  snsMessageId: string;
}

export type Notice = (NoticeBase & { kind: 'alert'; alert: AlertNotice }) | (NoticeBase & { kind: 'digest'; digest: DigestNotice });

const envelopeSchema = z.object({
  Type: z.string().optional(),
  MessageId: z.string().min(1),
  Message: z.string(),
  MessageAttributes: z.record(z.string(), z.object({ Type: z.string().optional(), Value: z.string() })).optional(),
});

/** The body of one SQS record from the alert topic's delivery queue. */
export function parseNotice(sqsBody: string): Notice {
  const envelope = envelopeSchema.safeParse(parseJson(sqsBody, 'the SQS body'));
  if (!envelope.success) {
    throw new NoticeFormatError(`the SQS body is not an SNS notification envelope (is raw message delivery on?): ${issues(envelope.error)}`);
  }
  const { Message: body, MessageId: snsMessageId } = envelope.data;
  const attributes = Object.fromEntries(Object.entries(envelope.data.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]));
  const payload = parseJson(body, 'the SNS message');
  const base = { attributes, body, snsMessageId };
  if (typeof payload === 'object' && payload !== null && (payload as { kind?: unknown }).kind === 'digest') {
    const digest = digestSchema.safeParse(payload);
    if (!digest.success) throw new NoticeFormatError(`digest payload: ${issues(digest.error)}`);
    return { ...base, kind: 'digest', digest: digest.data, deliveryKey: digestKey(digest.data) };
  }
  const alert = alertSchema.safeParse(payload);
  if (!alert.success) throw new NoticeFormatError(`alert payload: ${issues(alert.error)}`);
  return { ...base, kind: 'alert', alert: alert.data, deliveryKey: alertKey(alert.data, snsMessageId) };
}

/** The alert as a correction notice, or null when it is none (or one this code cannot read: it is shown as an alert). */
export function correctionOf(alert: AlertNotice): CorrectionNotice | null {
  if (alert.kind !== 'correction') return null;
  const read = correctionSchema.safeParse(alert);
  return read.success ? { ...alert, ...read.data } : null;
}

/**
 * An alert is delivered once per alert_id. An on-purpose `kfa alerts resend`
 * (resend: true) is a new delivery, once per SNS message (an SNS duplicate of
 * the resend keeps its MessageId). A message of another kind about the same
 * alert (a correction notice) must not be taken for the alert itself.
 */
function alertKey(alert: AlertNotice, snsMessageId: string): string {
  const kind = alert.kind === undefined || alert.kind === 'alert' ? '' : `${alert.kind}#`;
  return `${kind}${alert.alert_id}${alert.resend ? `#resend#${snsMessageId}` : ''}`;
}

/**
 * A digest has no alert_id: it is the set of alerts it carries for one run.
 * A retried publish or an SNS duplicate carries the same set; the next run's
 * digest, even with alerts left over from this one, is another set.
 */
function digestKey(digest: DigestNotice): string {
  const ids = createHash('sha256').update([...digest.alert_ids].sort().join('\n')).digest('hex').slice(0, 16);
  return `digest#${digest.run_id}#${ids}`;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new NoticeFormatError(`${what} is not JSON`, { cause });
  }
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
