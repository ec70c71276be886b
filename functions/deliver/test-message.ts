// `kfa channels test <name>`: a clearly marked test message through the same
// formats, secrets, SSRF guard and sender as a real delivery, with the API's
// answers returned (masked) for the user to read. No ledger, no filter: a
// test is not an alert.
import type { Channel } from './channel.ts';
import { DeliveryError, RateLimitedError } from './errors.ts';
import type { HttpSender } from './http/sender.ts';
import { parseNotice, type Notice } from './notice.ts';
import type { ChannelSecrets } from './secrets.ts';
import { mask, secretValue, TRANSPORTS } from './transports.ts';

export interface TestDeps {
  sender: HttpSender;
  secrets: ChannelSecrets;
  telegramApiUrl: string;
  now: () => Date;
}

export interface TestAnswer {
  url: string;
  status: number | null;
  /** The API's answer body, masked and shortened. */
  answer: string;
}

export type TestResult = { ok: true; answers: TestAnswer[] } | { ok: false; answers: TestAnswer[]; error: string; retryAfterMs?: number };

/** A made-up alert that looks like a real one, marked as a test in every format. */
export function sampleNotice(now: Date): Notice {
  const day = (at: Date) => at.toISOString().slice(0, 10).replaceAll('-', '');
  const dt = day(now);
  const previousDt = day(new Date(now.getTime() - 86_400_000));
  const payload = {
    schema_version: 1,
    kind: 'test',
    alert_id: `test-${now.getTime()}`,
    stk_cd: '005930',
    name: '삼성전자 (테스트)',
    dt,
    rule: 'limit_exh_rt_cross_up',
    direction: 'up',
    severity: 'info',
    threshold: 49,
    thresholds_crossed: [49],
    value: 49.05,
    previous_value: 48.8,
    previous_dt: previousDt,
    row: {
      dt,
      close_pric: '+53400',
      pred_pre: '+400',
      trde_qty: '12345678',
      chg_qty: '+1500000',
      poss_stkcnt: '2928150000',
      wght: '+49.05',
      gain_pos_stkcnt: '3041850000',
      frgnr_limit: '5970000000',
      frgnr_limit_irds: '0',
      limit_exh_rt: '+49.05',
    },
  };
  return parseNotice(
    JSON.stringify({ Type: 'Notification', MessageId: payload.alert_id, Message: JSON.stringify(payload), MessageAttributes: {} }),
  );
}

export async function sendTestMessage(deps: TestDeps, channel: Channel): Promise<TestResult> {
  const answers: TestAnswer[] = [];
  let secret = '';
  try {
    secret = secretValue(channel, await deps.secrets.resolve(channel));
    const transport = TRANSPORTS[channel.type];
    const now = deps.now();
    for (const request of transport.requests(sampleNotice(now), channel, secret, { telegramApiUrl: deps.telegramApiUrl, now, test: true })) {
      const answer = await deps.sender.post({ url: request.url, body: request.body, headers: request.headers, timeoutMs: 10_000 });
      answers.push({ url: request.shownUrl, status: answer.status, answer: mask(answer.body, secret).slice(0, 1000) });
      transport.interpret(answer, secret);
    }
    return { ok: true, answers };
  } catch (error) {
    const message = mask(error instanceof Error ? error.message : String(error), secret);
    const detail = error instanceof DeliveryError && error.answer && !answers.length ? ` (answer: ${error.answer})` : '';
    return {
      ok: false,
      answers,
      error: `${message}${detail}`,
      ...(error instanceof RateLimitedError ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
}
