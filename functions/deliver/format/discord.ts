// Discord webhook payload: one embed, coloured by severity, with the same
// fields as Slack. Dynamic values escape Discord's markdown, and
// allowed_mentions is empty so a stock name such as "@everyone" pings no one.
import { correctionOf, type AlertNotice, type CorrectionNotice, type DigestNotice, type Notice } from '../notice.ts';
import type { FormatOptions } from './telegram.ts';
import {
  CORRECTION_COLOUR,
  CORRECTION_MARK,
  SEVERITY_COLOUR,
  SEVERITY_DOT,
  SEVERITY_KO,
  TEST_BANNER,
  changeLabel,
  changeText,
  correctionFields,
  correctionHeadline,
  correctionRemarks,
  correctionTitle,
  correctionWhy,
  day,
  digestGroups,
  digestLine,
  digestSummary,
  digestTitle,
  headline,
  holdings,
  remarks,
  ruleKo,
  thresholdText,
  who,
} from './wording.ts';

/** Discord: title ≤ 256, description ≤ 4,096, field value ≤ 1,024, all text in embeds ≤ 6,000. */
const TITLE_MAX = 256;
const DESCRIPTION_MAX = 4096;
const FIELD_MAX = 1024;
const EMBED_TOTAL_MAX = 6000;

export interface DiscordEmbed {
  title: string;
  description: string;
  color: number;
  fields?: { name: string; value: string; inline: boolean }[];
  footer: { text: string };
}

export interface DiscordPayload {
  content?: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: never[] };
}

/** Emphasis, code, spoilers and masked links anywhere; headings, quotes and lists only start a line. */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/[\\*_~`|[\]]/g, '\\$&').replace(/^([#>-])/gm, '\\$1');
}

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export function discordPayload(notice: Notice, options: FormatOptions = {}): DiscordPayload {
  const embed = notice.kind === 'alert' ? alertEmbed(notice.alert) : digestEmbed(notice.digest);
  return {
    ...(options.test ? { content: `🧪 **${escapeDiscordMarkdown(TEST_BANNER)}**` } : {}),
    embeds: [embed],
    allowed_mentions: { parse: [] },
  };
}

function alertEmbed(alert: AlertNotice): DiscordEmbed {
  const correction = correctionOf(alert);
  if (correction !== null) return correctionEmbed(correction);
  const e = escapeDiscordMarkdown;
  const h = holdings(alert);
  const threshold = thresholdText(alert);
  const field = (name: string, value: string) => ({ name, value: clip(e(value), FIELD_MAX), inline: true });
  const notes = remarks(alert).map((n) => `*※ ${e(n)}*`);
  return {
    title: clip(`${SEVERITY_DOT[alert.severity]} ${who(alert)} · ${ruleKo(alert.rule)}`, TITLE_MAX),
    description: clip([`**${e(headline(alert))}** · ${e(day(alert.dt))}`, ...notes].join('\n'), DESCRIPTION_MAX),
    color: SEVERITY_COLOUR[alert.severity],
    fields: [
      field(changeLabel(alert.rule), changeText(alert)),
      ...(threshold === null ? [] : [field('기준', threshold)]),
      field('외국인 보유', h.held),
      field('남은 한도', h.room),
      field('한도소진률', h.rate),
      field('중요도', SEVERITY_KO[alert.severity]),
    ],
    footer: { text: `alert_id ${alert.alert_id}` },
  };
}

/** Which alert is withdrawn and why, in the email's words, in the correction colour. */
function correctionEmbed(notice: CorrectionNotice): DiscordEmbed {
  const e = escapeDiscordMarkdown;
  const notes = correctionRemarks(notice).map((n) => `*※ ${e(n)}*`);
  return {
    title: clip(`${CORRECTION_MARK} ${correctionTitle(notice)} · ${notice.withdrawn === 'all' ? '알림 취소' : '일부 취소'}`, TITLE_MAX),
    description: clip([`**${e(correctionHeadline(notice))}** · ${e(day(notice.dt))}`, e(correctionWhy(notice)), ...notes].join('\n'), DESCRIPTION_MAX),
    color: CORRECTION_COLOUR,
    // The alert id as inline code, which escaping must not touch; ids hold no backtick.
    fields: correctionFields(notice).map((f) => ({
      name: f.label,
      value: clip(f.code ? `\`${f.value.replaceAll('`', '')}\`` : e(f.value), FIELD_MAX),
      inline: !f.code,
    })),
    footer: { text: `alert_id ${notice.alert_id}` },
  };
}

/** One embed: lines grouped by code, cut at a whole line where Discord's limits end, with a count of the rest. */
function digestEmbed(digest: DigestNotice): DiscordEmbed {
  const title = `${SEVERITY_DOT[digest.severity]} ${digestTitle(digest)}`;
  const footer = `run_id ${digest.run_id} · 알림 ${digest.alerts.length}건`;
  const budget = Math.min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - title.length - footer.length) - 40;
  let description = escapeDiscordMarkdown(digestSummary(digest));
  let shown = 0;
  outer: for (const group of digestGroups(digest)) {
    const lines = [`\n\n**${escapeDiscordMarkdown(who(group[0] as AlertNotice))}**`];
    for (const alert of group) lines.push(`\n${SEVERITY_DOT[alert.severity]} ${escapeDiscordMarkdown(digestLine(alert))}`);
    for (const [i, line] of lines.entries()) {
      if (description.length + line.length > budget) break outer;
      description += line;
      if (i > 0) shown++;
    }
  }
  const rest = digest.alerts.length - shown;
  if (rest > 0) description += `\n\n*외 ${rest}건은 이메일 요약을 확인하세요.*`;
  return { title: clip(title, TITLE_MAX), description, color: SEVERITY_COLOUR[digest.severity], footer: { text: footer } };
}
