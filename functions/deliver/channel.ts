// A chat channel as people configure it (`kfa channels add`, or an item typed
// in the console): one item per channel in the History table, validated by
// one schema here. Secrets are never in the item: it names a Secrets Manager
// secret under CHANNEL_SECRET_PREFIX (or, on the local stack only, a
// KFA_CHANNEL_* variable).
import { z } from 'zod';
import { LOCAL_CHANNEL_SECRET_PREFIX } from '../config.ts';
import { RULE_IDS } from '../domain/types.ts';
import { ChannelConfigError } from './errors.ts';
import { correctionOf, type AlertNotice, type Notice } from './notice.ts';

export const CHANNEL_TYPES = ['telegram', 'slack', 'discord', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;

/**
 * The deliver function may read only secrets whose name starts with this
 * (its IAM policy is scoped to it), so a channel item cannot make it read the
 * Kiwoom credentials or anything else in the account.
 */
export const CHANNEL_SECRET_PREFIX = 'kfa/channels/';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** A numeric chat id (groups and channels are negative, -100…) or a public @channelusername. */
const CHAT_ID = /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/;
const STOCK_CODE = /^[0-9A-Z]{6}(_NX|_AL)?$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:([A-Za-z0-9/_+=.@-]+)$/;

export type SecretRef = { kind: 'aws'; id: string } | { kind: 'env'; variable: string };

export interface ChannelFilter {
  severities?: string[];
  codes?: string[];
  rules?: string[];
}

export interface Channel {
  name: string;
  type: ChannelType;
  /** Telegram only. */
  chatId?: string;
  /** Webhook only: where to POST. Slack and Discord URLs embed their key, so they live in the secret. */
  url?: string;
  secret: SecretRef;
  filter: ChannelFilter;
  enabled: boolean;
}

/** The History table item's attributes (besides its key). */
export interface ChannelItem {
  name: string;
  type: ChannelType;
  chat_id?: string;
  url?: string;
  secret?: string;
  secret_env?: string;
  severities?: string[];
  codes?: string[];
  rules?: string[];
  enabled: boolean;
}

const list = (values: readonly string[] | null, what: string, check: (v: string) => boolean) =>
  z
    .union([z.array(z.string()), z.string()])
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const items = (Array.isArray(raw) ? raw : raw.split(',')).map((s) => s.trim()).filter((s) => s !== '');
      const bad = items.filter((v) => !check(v));
      if (bad.length > 0) {
        const allowed = values ? ` (one of ${values.join(', ')})` : '';
        ctx.addIssue({ code: 'custom', message: `${bad.map((b) => `"${b}"`).join(', ')} ${bad.length > 1 ? 'are not' : 'is not a'} ${what}${allowed}` });
        return z.NEVER;
      }
      // An empty list would match nothing, silently: treat it as "no filter" only when absent.
      if (items.length === 0) {
        ctx.addIssue({ code: 'custom', message: `an empty list would match nothing; leave it out to match every ${what}` });
        return z.NEVER;
      }
      return [...new Set(items)];
    });

const itemSchema = z.object({
  name: z.string().regex(NAME, 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit'),
  type: z.enum(CHANNEL_TYPES, { message: `must be one of ${CHANNEL_TYPES.join(', ')}` }),
  chat_id: z.union([z.string(), z.number()]).optional().transform((v) => (v === undefined ? undefined : String(v).trim())),
  url: z.string().trim().optional(),
  secret: z.string().trim().optional(),
  secret_env: z.string().trim().optional(),
  severities: list(SEVERITIES, 'severity', (v) => (SEVERITIES as readonly string[]).includes(v)),
  codes: list(null, 'stock code', (v) => STOCK_CODE.test(v)),
  rules: list(RULE_IDS, 'rule id', (v) => (RULE_IDS as readonly string[]).includes(v)),
  enabled: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .optional()
    .transform((v) => v === undefined || v === true || v === 'true'),
});

/** Checks an item as stored (or as `kfa channels add` builds it); every problem is named at once. */
export function parseChannel(raw: Record<string, unknown> | ChannelItem): Channel {
  const label = typeof raw.name === 'string' && raw.name !== '' ? raw.name : '(unnamed)';
  const parsed = itemSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ChannelConfigError(label, parsed.error.issues.map((i) => `${i.path.join('.') || 'item'}: ${i.message}`));
  }
  const item = parsed.data;
  const problems: string[] = [];
  const secret = secretRef(item.secret, item.secret_env, problems);
  if (item.type === 'telegram') {
    if (item.chat_id === undefined || item.chat_id === '') problems.push('chat_id: a telegram channel needs --chat-id');
    else if (!CHAT_ID.test(item.chat_id)) problems.push(`chat_id: "${item.chat_id}" is not a Telegram chat id (a number such as -1001234567890, or @channelname)`);
  } else if (item.chat_id !== undefined) {
    problems.push(`chat_id: only a telegram channel has a chat id, not a ${item.type} channel`);
  }
  if (item.type === 'webhook') {
    if (item.url === undefined || item.url === '') problems.push('url: a webhook channel needs --url');
    else problems.push(...urlSyntaxProblems(item.url));
  } else if (item.url !== undefined) {
    problems.push(
      item.type === 'telegram'
        ? 'url: a telegram channel has no URL (the bot token goes in the secret)'
        : `url: a ${item.type} webhook URL embeds its key; put it in the secret, not in the item`,
    );
  }
  if (problems.length > 0 || secret === undefined) throw new ChannelConfigError(item.name, problems);
  const filter: ChannelFilter = {};
  if (item.severities) filter.severities = item.severities;
  if (item.codes) filter.codes = item.codes;
  if (item.rules) filter.rules = item.rules;
  return {
    name: item.name,
    type: item.type,
    ...(item.chat_id !== undefined ? { chatId: item.chat_id } : {}),
    ...(item.url !== undefined ? { url: item.url } : {}),
    secret,
    filter,
    enabled: item.enabled,
  };
}

/** The item to store for a checked channel. */
export function toChannelItem(channel: Channel): ChannelItem {
  return {
    name: channel.name,
    type: channel.type,
    ...(channel.chatId !== undefined ? { chat_id: channel.chatId } : {}),
    ...(channel.url !== undefined ? { url: channel.url } : {}),
    ...(channel.secret.kind === 'aws' ? { secret: channel.secret.id } : { secret_env: channel.secret.variable }),
    ...channel.filter,
    enabled: channel.enabled,
  };
}

function secretRef(secret: string | undefined, secretEnv: string | undefined, problems: string[]): SecretRef | undefined {
  if (secret !== undefined && secretEnv !== undefined) {
    problems.push('secret and secret_env: give one of them, not both');
    return undefined;
  }
  if (secretEnv !== undefined) {
    if (!secretEnv.startsWith(LOCAL_CHANNEL_SECRET_PREFIX) || !/^[A-Z0-9_]+$/.test(secretEnv)) {
      problems.push(`secret_env: "${secretEnv}" must be an upper-case variable name starting with ${LOCAL_CHANNEL_SECRET_PREFIX}`);
      return undefined;
    }
    return { kind: 'env', variable: secretEnv };
  }
  if (secret === undefined || secret === '') {
    problems.push(`secret: name the Secrets Manager secret (under ${CHANNEL_SECRET_PREFIX}) that holds the token, URL or signing secret`);
    return undefined;
  }
  const arn = SECRET_ARN.exec(secret);
  const name = arn ? (arn[1] as string) : secret;
  if (!arn && (secret.startsWith('arn:') || !SECRET_NAME.test(secret))) {
    problems.push(`secret: "${secret}" is neither a secret name nor a Secrets Manager secret ARN`);
    return undefined;
  }
  if (!name.startsWith(CHANNEL_SECRET_PREFIX)) {
    problems.push(
      `secret: "${secret}" is outside ${CHANNEL_SECRET_PREFIX}; the deliver function may read only secrets whose name starts with ${CHANNEL_SECRET_PREFIX}`,
    );
    return undefined;
  }
  return { kind: 'aws', id: secret };
}

/** Syntax only; where the host resolves to is checked when saving and again when sending. */
export function urlSyntaxProblems(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [`url: "${raw}" is not a URL`];
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push(`url: must be https, got ${url.protocol.replace(/:$/, '')}`);
  if (url.username !== '' || url.password !== '') problems.push('url: must not carry a user name or password');
  return problems;
}

// ---------------------------------------------------------------- filters

function passes(filter: ChannelFilter, alert: AlertNotice): boolean {
  return (
    (filter.severities === undefined || filter.severities.includes(alert.severity)) &&
    (filter.codes === undefined || filter.codes.includes(alert.stk_cd)) &&
    (filter.rules === undefined || filter.rules.includes(ruleFiltered(alert)))
  );
}

/**
 * A correction notice goes wherever the alert it withdraws went: a `rules`
 * filter (rule ids only) judges it by that alert's rule, so a channel that
 * got the alert also gets its retraction. Its severity and code are the
 * alert's already.
 */
function ruleFiltered(alert: AlertNotice): string {
  return correctionOf(alert)?.corrects_rule ?? alert.rule;
}

/**
 * What this channel receives of a notice, or null for nothing. An alert
 * passes as an SNS filter policy would judge its attributes (severity,
 * stk_cd, rule; a filter left out matches all). A digest carries the alerts
 * of many codes and rules, so the filter applies to each alert inside and the
 * channel gets one digest of those that pass.
 */
export function noticeFor(channel: Channel, notice: Notice): Notice | null {
  if (!channel.enabled) return null;
  if (notice.kind === 'alert') return passes(channel.filter, notice.alert) ? notice : null;
  const alerts = notice.digest.alerts.filter((a) => passes(channel.filter, a));
  if (alerts.length === 0) return null;
  if (alerts.length === notice.digest.alerts.length) return notice;
  const digest = {
    ...notice.digest,
    alerts,
    alert_count: alerts.length,
    alert_ids: alerts.map((a) => a.alert_id),
    severity: SEVERITIES.find((s) => alerts.some((a) => a.severity === s)) ?? notice.digest.severity,
  };
  // The webhook signs and sends the body: it must be the narrowed digest, not the whole one.
  return { ...notice, digest, body: JSON.stringify(digest) };
}

export function describeFilter(filter: ChannelFilter): string {
  const parts = [
    filter.severities && `severities ${filter.severities.join(',')}`,
    filter.codes && `codes ${filter.codes.join(',')}`,
    filter.rules && `rules ${filter.rules.join(',')}`,
  ].filter((p): p is string => typeof p === 'string');
  return parts.length > 0 ? parts.join('; ') : 'every alert';
}
