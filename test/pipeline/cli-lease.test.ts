// `kfa scan` as two real processes across a lapsed lease: the first is frozen
// (SIGSTOP, as a paused machine or a frozen Lambda) in the middle of a slow
// Kiwoom answer with SCAN_LEASE_TTL_SECONDS=2; once its lease has lapsed a
// second scan runs to the end; then the first wakes up. It must publish
// nothing more, say `stopped: lease lost` and exit 1; every alert arrives
// exactly once.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kstDay } from '../../functions/domain/calendar.ts';
import { appKeyId } from '../../functions/kiwoom/app-key-id.ts';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { leaseKey } from '../../functions/store/keys.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { tradingDaysBackFrom } from '../../local/kiwoom-simulator/dataset.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import type { ReceivedAlert, Subscriber } from '../../local/local-aws.ts';
import { localClients, newTopicWithQueue, uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa, startKfa, type CliResult } from '../support/cli.ts';
import { alertIds, scanEnv, SIM_APP, TEST_RATE } from './harness.ts';
import { storyRows } from './story.ts';

// The first code is scanned and its alert sent before the second one's slow
// answer comes: the freeze then catches the scan with nothing else in flight.
const CODES = ['000660', '005930'];
const [DONE, STALLED] = CODES as [string, string];
// The CLI reads the real clock: the story ends on the last weekday before today in Korea.
const [newest, previous] = tradingDaysBackFrom(kstDay(new Date(Date.now() - 86_400_000)), 2, new Set()) as [string, string];

let simulator: KiwoomSimulator;
let subscriber: Subscriber;
let stale: CliResult;
let takeover: CliResult;
let received: ReceivedAlert[];

async function leaseExpiresAt(historyTable: string): Promise<number> {
  const out = await localClients().doc.send(
    new GetCommand({ TableName: historyTable, Key: leaseKey(appKeyId(SIM_APP.appKey)), ConsistentRead: true }),
  );
  return Number(out.Item?.expires_at ?? 0);
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  simulator = await startKiwoomSimulator({ allowance: { ka10008: TEST_RATE, au10001: TEST_RATE } });
  for (const stkCd of CODES) simulator.setRows(stkCd, storyRows([{ dt: previous, rateBp: 4880 }, { dt: newest, rateBp: 4905 }]));
  const tables = await uniqueTables();
  for (const stkCd of CODES) await new WatchlistStore(localClients().doc, tables.watchlistTable).put({ stk_cd: stkCd, limit_exh_rt_above: 49 });
  let topicArn: string;
  ({ topicArn, subscriber } = await newTopicWithQueue());
  const env = kfaEnv({ ...scanEnv(simulator.url, tables, topicArn), SCAN_LEASE_TTL_SECONDS: '2' });

  // The first scan's answer for one code is slow; freeze the scan while it waits.
  simulator.inject({ kind: 'latency', ms: 2_000, stkCd: STALLED, count: 1 });
  const first = startKfa(['scan'], env);
  const ledger = new AlertLedger(localClients().doc, tables.historyTable);
  try {
    await until(() => simulator.requests.some((r) => (r.body as { stk_cd?: string } | null)?.stk_cd === STALLED), 'the slow request');
    await until(async () => (await ledger.get(DONE, newest, 'limit_exh_rt_cross_up'))?.status === 'sent', 'the first alert');
    first.child.kill('SIGSTOP');
    await until(async () => (await leaseExpiresAt(tables.historyTable)) < Date.now(), 'the lease to lapse');
    takeover = await spawnKfa(['scan', '--json'], env);
  } finally {
    first.child.kill('SIGCONT');
  }
  stale = await first.done;
  received = await subscriber.receive({ waitMs: 500, expected: CODES.length + 1 });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([subscriber?.close(), simulator?.close()]);
});

describe('kfa scan frozen past its lease while another scan takes over', () => {
  it('says "stopped: lease lost" and exits 1', () => {
    expect(stale.stdout).toContain('stopped: lease lost');
    expect(stale.code).toBe(1);
  });

  it('leaves the rest to the scan that took over, which ends normally', () => {
    expect(takeover.code).toBe(0);
    expect(JSON.parse(takeover.stdout)).toMatchObject({ stopped: null, lease_held: null });
  });

  it('delivers every alert exactly once', () => {
    expect(alertIds(received)).toEqual(CODES.map((c) => `${c}-${newest}-limit_exh_rt_cross_up`));
  });
});
