// Slack incoming-webhook payload in Block Kit: a header (code, name, rule in
// Korean), fields for previous → current, threshold, holdings and remaining
// room, a context line with the alert_id. Block Kit has no colour of its
// own, so the blocks ride in one attachment whose `color` is the severity's.
// mrkdwn values escape &, < and > (Slack's only three); header text is plain.
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
  correctionFallback,
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

/** Slack: header text ≤ 150, section text ≤ 3,000, ≤ 50 blocks per message. */
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const MAX_SECTIONS = 40;

export type SlackBlock = Record<string, unknown>;
export interface SlackPayload {
  text: string;
  attachments: { color: string; blocks: SlackBlock[] }[];
}

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const hex = (n: number): string => `#${n.toString(16).padStart(6, '0')}`;

function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const header = (text: string): SlackBlock => ({ type: 'header', text: { type: 'plain_text', text: clip(text, HEADER_MAX), emoji: true } });
const section = (mrkdwn: string): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } });
const context = (mrkdwn: string): SlackBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn }] });
const field = (label: string, value: string) => ({ type: 'mrkdwn', text: `*${escapeMrkdwn(label)}*\n${escapeMrkdwn(value)}` });

export function slackPayload(notice: Notice, options: FormatOptions = {}): SlackPayload {
  const correction = notice.kind === 'alert' ? correctionOf(notice.alert) : null;
  const built =
    correction !== null ? correctionBlocks(correction) : notice.kind === 'alert' ? alertBlocks(notice.alert) : digestBlocks(notice.digest);
  const severity = notice.kind === 'alert' ? notice.alert.severity : notice.digest.severity;
  const colour = correction !== null ? CORRECTION_COLOUR : SEVERITY_COLOUR[severity];
  const blocks = options.test ? [section(`:test_tube: *${escapeMrkdwn(TEST_BANNER)}*`), ...built.blocks] : built.blocks;
  return {
    // The notification and screen-reader text.
    text: `${options.test ? '[테스트] ' : ''}${built.fallback}`,
    attachments: [{ color: hex(colour), blocks }],
  };
}

function alertBlocks(alert: AlertNotice): { fallback: string; blocks: SlackBlock[] } {
  const h = holdings(alert);
  const threshold = thresholdText(alert);
  const fields = [
    field(changeLabel(alert.rule), changeText(alert)),
    ...(threshold === null ? [] : [field('기준', threshold)]),
    field('외국인 보유', h.held),
    field('남은 한도', h.room),
    field('한도소진률', h.rate),
    field('중요도', SEVERITY_KO[alert.severity]),
  ];
  const notes = remarks(alert);
  const blocks: SlackBlock[] = [
    header(`${SEVERITY_DOT[alert.severity]} ${who(alert)} · ${ruleKo(alert.rule)}`),
    section(`*${escapeMrkdwn(headline(alert))}* · ${escapeMrkdwn(day(alert.dt))}`),
    { type: 'section', fields },
    ...(notes.length > 0 ? [section(notes.map((n) => `_※ ${escapeMrkdwn(n)}_`).join('\n'))] : []),
    context(`alert_id \`${escapeMrkdwn(alert.alert_id)}\``),
  ];
  return { fallback: `[${SEVERITY_KO[alert.severity]}] ${who(alert)} ${headline(alert)} ${day(alert.dt)}`, blocks };
}

/** Which alert is withdrawn and why, in the email's words, in the correction colour. */
function correctionBlocks(notice: CorrectionNotice): { fallback: string; blocks: SlackBlock[] } {
  const fields = correctionFields(notice).map((f) => ({
    type: 'mrkdwn',
    text: `*${escapeMrkdwn(f.label)}*\n${f.code ? `\`${escapeMrkdwn(f.value)}\`` : escapeMrkdwn(f.value)}`,
  }));
  const blocks: SlackBlock[] = [
    header(`${CORRECTION_MARK} ${correctionTitle(notice)} · ${notice.withdrawn === 'all' ? '알림 취소' : '일부 취소'}`),
    section(`*${escapeMrkdwn(correctionHeadline(notice))}* · ${escapeMrkdwn(day(notice.dt))}\n${escapeMrkdwn(correctionWhy(notice))}`),
    { type: 'section', fields },
    section(correctionRemarks(notice).map((n) => `_※ ${escapeMrkdwn(n)}_`).join('\n')),
    context(`alert_id \`${escapeMrkdwn(notice.alert_id)}\``),
  ];
  return { fallback: correctionFallback(notice), blocks };
}

/** One message: the alerts packed into sections of at most 3,000 characters; past the block limit, a count of the rest. */
function digestBlocks(digest: DigestNotice): { fallback: string; blocks: SlackBlock[] } {
  const lines: { text: string; alerts: number }[] = [];
  for (const group of digestGroups(digest)) {
    lines.push({ text: `*${escapeMrkdwn(who(group[0] as AlertNotice))}*`, alerts: 0 });
    for (const alert of group) lines.push({ text: clip(`${SEVERITY_DOT[alert.severity]} ${escapeMrkdwn(digestLine(alert))}`, SECTION_MAX), alerts: 1 });
  }
  const sections: string[] = [];
  let current = '';
  let shown = 0;
  for (const line of lines) {
    if (current !== '' && current.length + 1 + line.text.length > SECTION_MAX) {
      sections.push(current);
      current = '';
      if (sections.length === MAX_SECTIONS) break;
    }
    current = current === '' ? line.text : `${current}\n${line.text}`;
    shown += line.alerts;
  }
  // After a break `current` is empty; otherwise it holds the last lines.
  if (current !== '') sections.push(current);
  const rest = digest.alerts.length - shown;
  const blocks: SlackBlock[] = [
    header(`${SEVERITY_DOT[digest.severity]} ${digestTitle(digest)}`),
    section(escapeMrkdwn(digestSummary(digest))),
    ...sections.map(section),
    ...(rest > 0 ? [section(`_외 ${rest}건은 이메일 요약을 확인하세요._`)] : []),
    context(`run_id \`${escapeMrkdwn(digest.run_id)}\` · 알림 ${digest.alerts.length}건`),
  ];
  return { fallback: `${digestTitle(digest)}: ${digestSummary(digest)}`, blocks };
}
