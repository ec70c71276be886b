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
    previous_dt: z.string().optional(),
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
