// `npm start`: the embedded run. Starts DynamoDB Local, fauxqs and the Kiwoom
// simulator on loopback, seeds a watchlist, and runs the deployed scan
// handler evening after evening over three weeks of simulated trading (a
// missed evening, a market holiday, a revised day, a token expiring mid-run
// and a rate-limit burst included), printing each alert exactly as an email
// and an SMS subscriber would receive it; then prints `kfa status` and writes
// the `kfa report` page (out/). Stops everything it started.
import './quiet-node20.ts';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { writeReport } from '../cli/commands/report.ts';
import { currentStatus } from '../cli/commands/status.ts';
import { formatDay } from '../functions/domain/calendar.ts';
import { DEFAULTS_KEY, formatWatchProblems, resolveWatchSettings } from '../functions/domain/watchlist.ts';
import { createKiwoomClient } from '../functions/kiwoom/client.ts';
import { LimiterRegistry } from '../functions/kiwoom/limiter.ts';
import { statusText } from '../functions/status/text.ts';
import { runBackfill } from '../functions/replay/replay.ts';
import { ReplayStore } from '../functions/replay/replay-store.ts';
import type { ScanResult } from '../functions/handlers/scan.ts';
import { WatchlistStore } from '../functions/store/watchlist-store.ts';
import {
  DEMO_CODES,
  DEMO_DEFAULTS,
  DEMO_INVALID_ITEM,
  demoCalendar,
  demoRows,
  rowsServedOn,
  type DemoCalendar,
} from './demo/scenario.ts';
import type { ReceivedAlert } from './local-aws.ts';
import { describeReceived, startLocalDelivery, telegramPlainText, type LocalDelivery } from './chat-fakes/demo.ts';
import { LOCAL_APP, withLocalStack, type LocalStack } from './runtime.ts';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const note = (line: string): void => {
  process.stderr.write(`· ${line}\n`);
};

const WEEKDAYS = ['일', '월', '화', '수', '목', '금', '토'];
function weekday(dt: string): string {
  const d = new Date(Date.UTC(Number(dt.slice(0, 4)), Number(dt.slice(4, 6)) - 1, Number(dt.slice(6, 8))));
  return WEEKDAYS[d.getUTCDay()] ?? '';
}

async function main(): Promise<void> {
  const started = Date.now();
  await withLocalStack(async (stack) => {
    note(`local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const calendar = demoCalendar(new Date());
    const allRows = new Map(DEMO_CODES.map((code) => [code.stkCd, demoRows(code, calendar)]));

    const watchlist = new WatchlistStore(stack.clients.doc, stack.env.WATCHLIST_TABLE as string);
    await watchlist.put(DEMO_DEFAULTS);
    for (const code of DEMO_CODES) await watchlist.put(code.item);
    await watchlist.put(DEMO_INVALID_ITEM);
    note(`watchlist seeded: ${DEMO_CODES.map((c) => `${c.stkCd} ${c.name}`).join(', ')}, and ${DEMO_INVALID_ITEM.stk_cd} with a typo`);

    // `kfa backfill` before the first evening: history for sparklines and the
    // 20-day forecast from day one, without alerting on any of it.
    const dayBefore = calendar.tradingDays[0] as string;
    for (const code of DEMO_CODES) {
      stack.simulator.setRows(code.stkCd, (allRows.get(code.stkCd) ?? []).filter((r) => r.dt < dayBefore));
    }
    const backfill = await runBackfill(
      {
        kiwoom: createKiwoomClient({ baseUrl: stack.simulator.url, credentials: { ...LOCAL_APP }, limiters: new LimiterRegistry() }),
        store: new ReplayStore(stack.clients.doc, stack.env.HISTORY_TABLE as string),
        now: () => new Date(),
        dayCutoffKst: '18:00',
      },
      { codes: DEMO_CODES.map((c) => c.stkCd), days: 30 },
    );
    note(`backfilled ${backfill.codes.reduce((n, c) => n + c.daysStored, 0)} trading days of history for ${backfill.codes.length} codes (no alerts)`);

    // The deployed handler, configured through the environment like a Lambda.
    Object.assign(process.env, stack.env, {
      LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'kfa-scan',
    });
    const each = (await import('../functions/handlers/scan.ts')).handler;
    // For the last evenings the team redeploys with ALERT_DELIVERY=digest: a
    // fresh module instance is a fresh Lambda with that configuration.
    process.env.ALERT_DELIVERY = 'digest';
    const freshInstance: string = '../functions/handlers/scan.ts?delivery=digest';
    const digest = ((await import(freshInstance)) as typeof import('../functions/handlers/scan.ts')).handler;
    delivery = await startLocalDelivery(stack, note);

    let total = 0;
    const digestFrom = calendar.evenings.length - DIGEST_EVENINGS;
    for (const [index, evening] of calendar.evenings.entries()) {
      if (index === digestFrom) {
        out();
        out('━━ from tonight the scan runs with ALERT_DELIVERY=digest: one message per evening with every alert');
      }
      total += await runEvening(stack, calendar, allRows, evening, index, index >= digestFrom ? digest : each);
    }
    await showWhereCodesStand(calendar);
    out();
    await delivery.close();
    out(`━━ done: ${total} messages over ${calendar.tradingDays.length} trading days (${((Date.now() - started) / 1000).toFixed(1)} s); every local process stopped.`);
  }, { log: note });
}

const DIGEST_EVENINGS = 2;

/** Telegram, Slack, Discord and the webhook receiver, fed by the deliver handler (local/chat-fakes). */
let delivery: LocalDelivery;

/** Where `npm start` leaves the report (git ignores out/). */
const REPORT_PATH = 'out/kfa-report.html';
const REPORT_IMAGES = 'out/charts';

/**
 * `kfa status` and `kfa report` over what the evenings left in the tables, as
 * of the story's last evening (21:00 KST): on the real clock, run on a
 * weekday evening, today's row would be missing and every code "stale".
 */
async function showWhereCodesStand(calendar: DemoCalendar): Promise<void> {
  const lastEvening = calendar.evenings.at(-1) as string;
  const now = new Date(`${formatDay(lastEvening)}T12:00:00Z`);
  out();
  out(`━━ kfa status, ${formatDay(lastEvening)} 21:00 KST: where every watched code stands`);
  const { status } = await currentStatus({}, now);
  for (const line of statusText(status).trimEnd().split('\n')) out(`   ${line}`);
  const report = await writeReport({ htmlPath: REPORT_PATH, imagesDir: REPORT_IMAGES, now });
  out();
  out(`━━ kfa report --html ${REPORT_PATH} --images ${REPORT_IMAGES}`);
  out(`   report written to ${report.htmlPath} (open it in a browser; it needs no network)`);
  out(`   charts as PNG: ${report.images.map((path) => resolve(path)).join(', ')}`);
}

type Handler = (event: unknown, context: Context) => Promise<ScanResult>;

async function runEvening(
  stack: LocalStack,
  calendar: DemoCalendar,
  allRows: Map<string, ReturnType<typeof demoRows>>,
  evening: string,
  index: number,
  handler: Handler,
): Promise<number> {
  for (const code of DEMO_CODES) {
    stack.simulator.setRows(code.stkCd, rowsServedOn(code, allRows.get(code.stkCd) ?? [], calendar, evening));
  }
  out();
  const title = `━━ ${formatDay(evening)} (${weekday(evening)}) 18:30 KST`;
  if (evening === calendar.missedEvening) {
    out(`${title}: the scheduled scan did not run tonight (the next evening catches up)`);
    return 0;
  }
  const events: string[] = [];
  if (evening === calendar.holiday) events.push('market holiday: no new trading day');
  if (index === 6) {
    stack.simulator.expireTokens();
    events.push('Kiwoom token invalidated before the run');
  }
  if (index === 9) {
    stack.simulator.inject({ kind: 'rateLimit', count: 2 });
    events.push('Kiwoom answers two requests with 429 [1700]');
  }
  out(`${title}${events.length ? ` (${events.join('; ')})` : ''}`);

  const result = await handler({}, lambdaContext());
  const s = result.summary;
  const parts = [`${s.codes_scanned} codes scanned`, `${s.days_processed} code-days evaluated`, `${s.alerts_published} alerts`];
  if (s.revisions) parts.push(`${s.revisions} revised day`);
  // The Lambda answers counts only (Step Functions' 256 KB limit); the reasons are read back here.
  if (s.invalid_items) parts.push(`skipped: ${(await invalidItemReasons(stack)).join('; ')}`);
  if (s.kiwoom?.rate_limited) parts.push(`${s.kiwoom.rate_limited} × 1700 absorbed`);
  if (s.codes_failed) parts.push(`FAILED: ${s.codes_failed} codes (the scan log says why)`);
  out(`   scan: ${parts.join(', ')}`);

  const received = s.alerts_published > 0 ? await stack.subscriber.receive({ waitMs: 5_000, expected: s.alerts_published }) : [];
  for (const alert of received) printAlert(alert);
  if (index === 9) delivery.fakes.script('telegram', { status: 429, body: '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}' });
  await printChatDeliveries(index === 9);
  return received.length;
}

/** What the chat fakes received from the deliver handler this evening; once, an SQS redelivery that sends nothing. */
async function printChatDeliveries(rateLimited: boolean): Promise<void> {
  const { received, records } = await delivery.deliver();
  if (records === 0) return;
  out();
  out(`   ┌─ chat channels (deliver function, ${records} SQS record${records > 1 ? 's' : ''}${rateLimited ? '; Telegram answered 429 retry_after=1 once and was waited out' : ''})`);
  const order = ['telegram', 'slack', 'discord', 'webhook'];
  for (const r of [...received].sort((a, b) => order.indexOf(a.api) - order.indexOf(b.api))) out(`   │ ${describeReceived(r)}`);
  if (!redeliveryShown) {
    const first = received.find((r) => r.api === 'telegram' && r.status === 200);
    out('   │ the Telegram message, as the chat shows it:');
    for (const line of telegramPlainText(first?.body).split('\n')) out(`   │   ${line}`);
    redeliveryShown = true;
    const again = await delivery.redeliverLast();
    out(`   │ the same batch delivered again (an SQS redelivery / SNS duplicate): ${again.length} chat messages sent — the delivery ledger has them`);
  }
  out('   └─');
}

let redeliveryShown = false;

/** Why each watchlist item the scan skipped is invalid, as the scan logs it. */
async function invalidItemReasons(stack: LocalStack): Promise<string[]> {
  const items = await new WatchlistStore(stack.clients.doc, stack.env.WATCHLIST_TABLE as string).list();
  const defaults = items.find((item) => item.stk_cd === DEFAULTS_KEY);
  return items
    .filter((item) => item.stk_cd !== DEFAULTS_KEY)
    .map((item) => resolveWatchSettings(item, defaults))
    .flatMap((resolved) => (resolved.ok ? [] : [formatWatchProblems(resolved)]));
}

function printAlert(alert: ReceivedAlert): void {
  out();
  out(`   ┌─ email ─ Subject: ${alert.subject ?? ''}`);
  for (const line of alert.forProtocol('email').split('\n')) out(`   │ ${line}`);
  out(`   ├─ SMS ─ ${alert.forProtocol('sms')}`);
  const a = alert.attributes;
  const detail = a.rule === 'digest' ? `alert_count=${a.alert_count}` : `direction=${a.direction} alert_id=${a.alert_id}`;
  out(`   └─ attributes: rule=${a.rule} severity=${a.severity} ${detail}`);
}

function lambdaContext(): Context {
  const deadline = Date.now() + 15 * 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'kfa-scan-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:000000000000:function:kfa-scan-local',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/kfa-scan-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
