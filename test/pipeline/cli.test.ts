// The kfa command line as a user runs it: `node bin/kfa.js …` in a child
// process whose environment points at the local parts. Each spawn costs a
// second or two of tsx start-up, so each group runs its commands once (in
// parallel where they do not interfere) and the tests assert on the results.
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kstDay } from '../../functions/domain/calendar.ts';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { tradingDaysBackFrom } from '../../local/kiwoom-simulator/dataset.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import type { Subscriber } from '../../local/local-aws.ts';
import { localClients, newTopicWithQueue, uniqueName } from '../support/aws.ts';
import { kfaEnv, spawnKfa, type CliResult } from '../support/cli.ts';
import { alertIds, scanEnv, TEST_RATE } from './harness.ts';
import { storyRows } from './story.ts';

let simulator: KiwoomSimulator;
let subscriber: Subscriber;
let topicArn: string;
const tables = { watchlistTable: uniqueName('cli-watchlist'), historyTable: uniqueName('cli-history') };
// The CLI reads the real clock: the story ends on the last weekday before today in Korea.
const [newest, previous] = tradingDaysBackFrom(kstDay(new Date(Date.now() - 86_400_000)), 2, new Set()) as [string, string];

beforeAll(async () => {
  simulator = await startKiwoomSimulator({ allowance: { ka10008: TEST_RATE, au10001: TEST_RATE } });
  simulator.setRows('005930', storyRows([{ dt: previous, rateBp: 4880 }, { dt: newest, rateBp: 4905 }]));
  ({ topicArn, subscriber } = await newTopicWithQueue());
});

afterAll(async () => {
  await Promise.allSettled([subscriber?.close(), simulator?.close()]);
});

function kfa(args: string[], overrides: Record<string, string | undefined> = {}): Promise<CliResult> {
  const env = kfaEnv({ ...scanEnv(simulator.url, tables, topicArn), ...overrides });
  return spawnKfa(args, env);
}

const json = (result: CliResult): Record<string, unknown> => JSON.parse(result.stdout) as Record<string, unknown>;

describe('kfa tables create', () => {
  let first: CliResult;
  let second: CliResult;

  beforeAll(async () => {
    first = await kfa(['tables', 'create']);
    second = await kfa(['tables', 'create']);
  });

  it('creates both tables and exits 0', async () => {
    expect(first.code).toBe(0);
    const { dynamo } = localClients();
    const described = await Promise.all(
      [tables.watchlistTable, tables.historyTable].map((TableName) => dynamo.send(new DescribeTableCommand({ TableName }))),
    );
    expect(described.map((d) => d.Table?.TableStatus)).toEqual(['ACTIVE', 'ACTIVE']);
  });

  it('exits 0 again when the tables already exist', () => {
    expect(second.code).toBe(0);
  });
});

describe('kfa watch', () => {
  let added: CliResult;
  let invalid: CliResult;
  let removed: CliResult;
  let listed: CliResult;

  beforeAll(async () => {
    await new WatchlistStore(localClients().doc, tables.watchlistTable).put({ stk_cd: '035720', limit_exh_rt_above: 30 });
    [added, invalid, removed] = await Promise.all([
      kfa(['watch', 'add', '005930', '--name', '삼성전자', '--above', '49']),
      kfa(['watch', 'add', '000660', '--above', '49.123']),
      kfa(['watch', 'remove', '035720']),
    ]);
    listed = await kfa(['watch', 'list', '--json']);
  });

  it('adds a valid item and exits 0', () => {
    expect([added.code, added.stderr]).toEqual([0, expect.stringContaining('added 005930')]);
  });

  it('rejects an invalid threshold with exit 2 and a message naming the attribute', () => {
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('limit_exh_rt_above');
    expect(invalid.stderr).toContain('more than two decimals');
  });

  it('removes an item and exits 0', () => {
    expect([removed.code, removed.stderr]).toEqual([0, expect.stringContaining('removed 035720')]);
  });

  it('lists the watched codes with their effective settings as JSON', () => {
    expect(listed.code).toBe(0);
    expect(json(listed).items).toEqual([
      {
        item: { stk_cd: '005930', name: '삼성전자', limit_exh_rt_above: 49 },
        valid: true,
        settings: expect.objectContaining({ stkCd: '005930', name: '삼성전자', aboveBp: [4900] }),
        problems: [],
      },
    ]);
  });
});

describe('kfa scan without publishing', () => {
  let dryRun: CliResult;
  let missingTopic: CliResult;
  let badSecret: CliResult;

  beforeAll(async () => {
    // None of these writes or publishes anything, so they may run together.
    [dryRun, missingTopic, badSecret] = await Promise.all([
      kfa(['scan', '--dry-run', '--json']),
      kfa(['scan', '--json'], { ALERT_TOPIC_ARN: undefined }),
      kfa(['scan', '--json'], { KIWOOM_SECRETKEY: 'not-the-secret' }),
    ]);
  });

  it('prints the alerts of a dry run and exits 0', () => {
    expect(dryRun.code).toBe(0);
    expect(json(dryRun)).toMatchObject({
      dry_run: true,
      alerts: [{ alert_id: `005930-${newest}-limit_exh_rt_cross_up`, name: '삼성전자', value: 49.05 }],
    });
  });

  it('writes nothing in a dry run: the ledger and the history stay empty', async () => {
    const { doc } = localClients();
    const ledger = await new AlertLedger(doc, tables.historyTable).list();
    const history = await new HistoryStore(doc, tables.historyTable).recentSnapshots('005930', 10);
    expect([ledger, history, await subscriber.receive({ waitMs: 100 })]).toEqual([[], [], []]);
  });

  it('exits 2 naming ALERT_TOPIC_ARN when it is missing and the run would publish', () => {
    expect(missingTopic.code).toBe(2);
    expect(missingTopic.stderr).toContain('ALERT_TOPIC_ARN');
  });

  it('exits 1 with one stop reason when Kiwoom rejects the credentials', () => {
    expect(badSecret.code).toBe(1);
    expect(json(badSecret)).toMatchObject({ stopped: { reason: 'BadCredentialsError' }, codes_failed: [] });
    expect(badSecret.stdout + badSecret.stderr).not.toContain('not-the-secret');
  });
});

describe('kfa scan', () => {
  let scanned: CliResult;
  let unknownCode: CliResult;

  beforeAll(async () => {
    scanned = await kfa(['scan', '--json']);
    unknownCode = await kfa(['scan', '--json', '--codes', '005930,999990']);
  });

  it('publishes the alert, exits 0, and a subscriber receives it', async () => {
    expect([scanned.code, json(scanned).alerts_published]).toEqual([0, 1]);
    expect(alertIds(await subscriber.receive({ waitMs: 100 }))).toEqual([`005930-${newest}-limit_exh_rt_cross_up`]);
  });

  it('records what it published in the ledger and the history', async () => {
    const { doc } = localClients();
    const ledger = await new AlertLedger(doc, tables.historyTable).list();
    const history = await new HistoryStore(doc, tables.historyTable).recentSnapshots('005930', 10);
    expect(ledger.map((e) => [e.alertId, e.status])).toEqual([[`005930-${newest}-limit_exh_rt_cross_up`, 'sent']]);
    expect(history.map((s) => s.snapshot.dt)).toEqual([newest, previous]);
  });

  it('exits 1 and names the code when Kiwoom does not know one of them', () => {
    expect(unknownCode.code).toBe(1);
    expect(json(unknownCode)).toMatchObject({ codes_failed: [{ stk_cd: '999990', reason: 'UnknownStockError' }] });
  });
});
