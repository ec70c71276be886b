// Telegram sendMessage text with parse_mode HTML. Every dynamic value goes
// through escapeHtml; the markup is ours. A message longer than Telegram's
// 4,096 characters is split, preferably at a line break, never inside a tag,
// an entity or a surrogate pair, and each part closes the tags it opened and
// reopens them in the next part, so every part parses on its own.
import { correctionOf, type AlertNotice, type CorrectionNotice, type DigestNotice, type Notice } from '../notice.ts';
import {
  CORRECTION_MARK,
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

export const TELEGRAM_MAX_CHARS = 4096;

/** The characters Telegram's HTML parse mode requires escaped (and `"` for attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface FormatOptions {
  /** `kfa channels test`: a clearly marked test message. */
  test?: boolean;
}

/** The message, already split into parts of at most TELEGRAM_MAX_CHARS. */
export function telegramMessages(notice: Notice, options: FormatOptions = {}): string[] {
  const html = notice.kind === 'alert' ? alertHtml(notice.alert) : digestHtml(notice.digest);
  return splitTelegramHtml(options.test ? `🧪 <b>${escapeHtml(TEST_BANNER)}</b>\n\n${html}` : html);
}

function alertHtml(alert: AlertNotice): string {
  const correction = correctionOf(alert);
  if (correction !== null) return correctionHtml(correction);
  const e = escapeHtml;
  const h = holdings(alert);
  const threshold = thresholdText(alert);
  const lines = [
    `${SEVERITY_DOT[alert.severity]} <b>[${e(SEVERITY_KO[alert.severity])}] ${e(who(alert))}</b>`,
    `<b>${e(headline(alert))}</b> · ${e(day(alert.dt))}`,
    '',
    `${e(changeLabel(alert.rule))}: ${e(changeText(alert))}`,
    ...(threshold === null ? [] : [`기준: ${e(threshold)}`]),
    `외국인 보유: ${e(h.held)}`,
    `남은 한도: ${e(h.room)}`,
    `한도소진률: ${e(h.rate)}`,
    ...remarks(alert).map((r) => `<i>※ ${e(r)}</i>`),
    '',
    `${e(ruleKo(alert.rule))} · <code>${e(alert.alert_id)}</code>`,
  ];
  return lines.join('\n');
}

/** Which alert is withdrawn and why, in the email's words; the ids as code. */
function correctionHtml(notice: CorrectionNotice): string {
  const e = escapeHtml;
  const lines = [
    `${CORRECTION_MARK} <b>${e(correctionTitle(notice))}</b>`,
    `<b>${e(correctionHeadline(notice))}</b> · ${e(day(notice.dt))}`,
    '',
    e(correctionWhy(notice)),
    ...correctionFields(notice).map((f) => `${e(f.label)}: ${f.code ? `<code>${e(f.value)}</code>` : e(f.value)}`),
    ...correctionRemarks(notice).map((r) => `<i>※ ${e(r)}</i>`),
    '',
    `정정 알림 · <code>${e(notice.alert_id)}</code>`,
  ];
  return lines.join('\n');
}

function digestHtml(digest: DigestNotice): string {
  const e = escapeHtml;
  const lines = [`${SEVERITY_DOT[digest.severity]} <b>${e(digestTitle(digest))}</b>`, e(digestSummary(digest))];
  for (const group of digestGroups(digest)) {
    const first = group[0] as AlertNotice;
    lines.push('', `<b>${e(who(first))}</b>`);
    for (const alert of group) lines.push(`${SEVERITY_DOT[alert.severity]} ${e(digestLine(alert))}`);
  }
  lines.push('', `실행 ID <code>${e(digest.run_id)}</code>`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- splitting

interface Token {
  text: string;
  /** Tag name for an opening or closing tag. */
  open?: string;
  close?: string;
}

/** Tags, entities and single code points (a surrogate pair is one token). */
function tokenize(html: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /<\/?([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^>]*)?>|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|[\s\S]/gu;
  for (const m of html.matchAll(pattern)) {
    const text = m[0];
    if (m[1] !== undefined) tokens.push(text.startsWith('</') ? { text, close: m[1] } : { text, open: m[1] });
    else tokens.push({ text });
  }
  return tokens;
}

const closing = (stack: readonly Token[]): string =>
  [...stack]
    .reverse()
    .map((t) => `</${t.open}>`)
    .join('');
const reopening = (stack: readonly Token[]): string => stack.map((t) => t.text).join('');

/**
 * Splits at the last line break that fits, else the last space, else any
 * token boundary. A part never ends inside a tag, an entity or a surrogate
 * pair, and carries its own closing and reopening tags.
 */
export function splitTelegramHtml(html: string, limit = TELEGRAM_MAX_CHARS): string[] {
  if (html.length <= limit) return [html];
  const tokens = tokenize(html);
  const parts: string[] = [];
  let start = 0;
  let stackAtStart: Token[] = [];
  while (start < tokens.length) {
    let length = reopening(stackAtStart).length;
    const stack = [...stackAtStart];
    let end = start;
    let lineBreak = -1;
    let space = -1;
    const stacks: Token[][] = [];
    while (end < tokens.length) {
      const token = tokens[end] as Token;
      const next = [...stack];
      if (token.open) next.push(token);
      if (token.close && next.at(-1)?.open === token.close) next.pop();
      if (length + token.text.length + closing(next).length > limit) break;
      length += token.text.length;
      stack.splice(0, stack.length, ...next);
      stacks[end - start] = [...stack];
      end++;
      if (token.text === '\n') lineBreak = end;
      else if (token.text === ' ') space = end;
    }
    if (end === start) throw new RangeError(`a single token longer than ${limit} characters cannot be split`);
    const cut = end === tokens.length ? end : lineBreak > start ? lineBreak : space > start ? space : end;
    const stackAtCut = stacks[cut - 1 - start] ?? stackAtStart;
    const body = tokens
      .slice(start, cut)
      .map((t) => t.text)
      .join('');
    const part = `${reopening(stackAtStart)}${body}${closing(stackAtCut)}`;
    // A part of nothing but whitespace and tags would be refused ("message text is empty").
    if (body.replace(/<[^>]*>/g, '').trim() !== '') parts.push(part);
    start = cut;
    stackAtStart = stackAtCut;
  }
  return parts;
}
