// The scan Lambda as Lambda runs it: configured only through the environment
// (the local endpoints, the simulator, fresh tables and topic), wired once at
// import like a cold start, then invoked with an event and a context whose
// remaining time the test controls, the way EventBridge Scheduler and the
// Step Functions loop invoke it.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kstDay } from '../../functions/domain/calendar.ts';
import type { ScanResult } from '../../functions/handlers/scan.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { tradingDaysBackFrom } from '../../local/kiwoom-simulator/dataset.ts';
import { localAwsEnv, type Subscriber } from '../../local/local-aws.ts';
import { localAwsInfo, localClients, newTopicWithQueue, uniqueTables } from '../support/aws.ts';
import { alertIds, scanEnv, TEST_RATE } from './harness.ts';
import { storyRows } from './story.ts';

type Handler = (event: unknown, context: Context) => Promise<ScanResult>;

let simulator: KiwoomSimulator;
let subscriber: Subscriber;
let watchlist: WatchlistStore;
let handler: Handler;
let reserveMs: number;
// The handler reads the real clock: the story ends on the last weekday before today in Korea.
const [newest, previous] = tradingDaysBackFrom(kstDay(new Date(Date.now() - 86_400_000)), 2, new Set()) as [string, string];

beforeAll(async () => {
  simulator = await startKiwoomSimulator({ allowance: { ka10008: TEST_RATE, au10001: TEST_RATE } });
  const [tables, topic] = await Promise.all([uniqueTables(), newTopicWithQueue()]);
  subscriber = topic.subscriber;
  watchlist = new WatchlistStore(localClients().doc, tables.watchlistTable);
  const env: Record<string, string> = {
    ...localAwsEnv(localAwsInfo()),
    ...scanEnv(simulator.url, tables, topic.topicArn),
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_SERVICE_NAME: 'kfa-scan',
    LOG_LEVEL: 'SILENT',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  // Module scope builds the dependencies once, as a cold start does.
  const module = await import('../../functions/handlers/scan.ts');
  handler = module.handler as unknown as Handler;
  reserveMs = module.RESERVE_MS;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.allSettled([subscriber?.close(), simulator?.close()]);
});

function lambdaContext(remainingMs: () => number): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'kfa-scan',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:000000000000:function:kfa-scan',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/kfa-scan',
    logStreamName: 'local',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Watched codes whose newest day crosses 49% upward (a first scan). */
async function watchCrossing(codes: readonly string[]): Promise<void> {
  for (const stkCd of codes) {
    await watchlist.put({ stk_cd: stkCd, limit_exh_rt_above: 49 });
    simulator.setRows(stkCd, storyRows([{ dt: previous, rateBp: 4880 }, { dt: newest, rateBp: 4905 }]));
  }
}

async function unwatch(codes: readonly string[]): Promise<void> {
  for (const stkCd of codes) await watchlist.remove(stkCd);
}

const crossingIds = (codes: readonly string[]) => codes.map((c) => `${c}-${newest}-limit_exh_rt_cross_up`).sort();

describe('the scan handler', () => {
  const CODES = ['005930', '017670'];

  it('answers EventBridge Scheduler’s empty event with done, the run id and the summary', async () => {
    await watchCrossing(CODES);

    const result = await handler({}, lambdaContext(() => 14 * 60_000));
    await unwatch(CODES);

    expect([result.done, result.run_id.startsWith('scan-'), result.summary.run_id]).toEqual([true, true, result.run_id]);
    expect(result.summary).toMatchObject({ codes_total: 2, codes_scanned: 2, alerts_published: 2, alerts: 2, codes_failed: 0 });
    expect(alertIds(await subscriber.receive({ waitMs: 100 }))).toEqual(crossingIds(CODES));
  });
});

describe('the Step Functions loop', () => {
  const CODES = ['000270', '000660', '005380', '035420', '051910', '207940'];

  it('returns done: false when time runs short, and the next invocation with its output finishes the run', async () => {
    await watchCrossing(CODES);
    const answeredBefore = simulator.requests.filter((r) => r.outcome !== null).length;
    // The first invocation's time runs below the reserve once Kiwoom has answered a request.
    const shortOfTime = () =>
      simulator.requests.filter((r) => r.outcome !== null).length > answeredBefore ? reserveMs - 1_000 : reserveMs + 60_000;

    const first = await handler({}, lambdaContext(shortOfTime));
    const firstAlerts = await subscriber.receive({ waitMs: 100 });
    const second = await handler(first, lambdaContext(() => 14 * 60_000));
    const secondAlerts = await subscriber.receive({ waitMs: 100 });
    await unwatch(CODES);

    expect([first.done, first.summary.codes_not_reached > 0]).toEqual([false, true]);
    expect([second.done, second.run_id, second.run_started_at]).toEqual([true, first.run_id, first.run_started_at]);
    expect(second.summary.codes_scanned).toBe(first.summary.codes_not_reached);
    expect(alertIds([...firstAlerts, ...secondAlerts])).toEqual(crossingIds(CODES));
  });
});
