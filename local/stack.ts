// `npm run local`: the local stack stays up (DynamoDB Local, fauxqs, the
// Kiwoom simulator serving the demo codes' history) and prints the variables
// to export, so `kfa` can be tried by hand. Ctrl-C stops everything.
import './quiet-node20.ts';
import { DEMO_CODES, DEMO_DEFAULTS, demoCalendar, demoRows } from './demo/scenario.ts';
import { WatchlistStore } from '../functions/store/watchlist-store.ts';
import { startLocalStack } from './runtime.ts';
import { localChannelSecrets } from './chat-fakes/demo.ts';
import { startChatFakes } from './chat-fakes/server.ts';

const note = (line: string): void => {
  process.stderr.write(`· ${line}\n`);
};

const stack = await startLocalStack({ log: note });
const calendar = demoCalendar(new Date());
for (const code of DEMO_CODES) stack.simulator.setRows(code.stkCd, demoRows(code, calendar));
const watchlist = new WatchlistStore(stack.clients.doc, stack.env.WATCHLIST_TABLE as string);
await watchlist.put(DEMO_DEFAULTS);
for (const code of DEMO_CODES) await watchlist.put(code.item);

// The chat API fakes, so `kfa channels add|test` can be tried against them.
const fakes = await startChatFakes();
const chatEnv = { ...localChannelSecrets(fakes), DELIVER_LOCAL_STACK: 'true', TELEGRAM_API_URL: fakes.telegramApiUrl };

const exports = Object.entries({ ...stack.env, ...chatEnv })
  .map(([name, value]) => `export ${name}='${value}'`)
  .join('\n');
process.stdout.write(`
The local stack is up. In another terminal, paste:

${exports}

then try:
  npx kfa watch list
  npx kfa scan --dry-run
  npx kfa scan
  npx kfa status
  npx kfa report --html out/report.html
  npx kfa watch add 005930 --above 51,52 --move-pp 0.3
  npx kfa channels add tg --type telegram --chat-id -1001234567890 --secret env:KFA_CHANNEL_TELEGRAM
  npx kfa channels add hook --type webhook --url ${fakes.webhookUrl} --secret env:KFA_CHANNEL_WEBHOOK
  npx kfa channels test tg

The simulator serves ${DEMO_CODES.map((c) => `${c.stkCd} (${c.name})`).join(', ')} up to ${calendar.tradingDays.at(-1)}.
Alerts go to the topic ${stack.topicArn}. Ctrl-C stops everything.
`);

let stopping = false;
const stop = (code: number): void => {
  if (stopping) return;
  stopping = true;
  void Promise.all([stack.stop(), fakes.close()]).finally(() => process.exit(code));
};
process.on('SIGINT', () => stop(130));
process.on('SIGTERM', () => stop(143));
// Keep the process alive until a signal arrives.
setInterval(() => undefined, 1 << 30);
