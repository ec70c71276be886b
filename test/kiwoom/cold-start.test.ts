// Issue 11, item 6: a new Lambda container starts from the allowance the last
// one learned (persisted per app key identity and API id in the History
// table, DynamoDB Local here), instead of opening with a burst of 1700s at
// the configured rate. Virtual clock, as in rate.test.ts.
import { describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../functions/config.ts';
import { createKiwoom, kiwoomIdentity } from '../../functions/scan/wiring.ts';
import { DynamoAllowanceStore } from '../../functions/store/allowance-store.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { clientFor, history, requestsFor, simulator, virtualClock } from './support.ts';

const CODES = Array.from({ length: 12 }, (_, i) => String(200_000 + i));

describe('a cold start against a lower allowance', () => {
  it('draws 1700s in the first container only; the second starts at the learned 2/s', async () => {
    const { historyTable } = await uniqueTables();
    const store = new DynamoAllowanceStore(localClients().doc, historyTable, 'identity-cold-start');
    const clock = virtualClock(1_000);
    const sim = await simulator({
      allowance: { ka10008: 2, au10001: 5 },
      data: Object.fromEntries(CODES.map((c) => [c, history(c, 3)])),
      monotonicNow: clock.now,
    });
    const container = () =>
      clientFor(sim, { rateLimit: 5, now: clock.now, sleep: clock.sleep, random: () => 0, allowances: store }).client;
    const rateLimited = () => requestsFor(sim, 'ka10008').filter((r) => r.outcome?.detailCode === '1700').length;

    const first = container();
    for (const stkCd of CODES) await first.ka10008Page(stkCd);
    const firstRun = rateLimited();
    sim.clearRequests();
    clock.t += 60 * 60_000; // the next evening's container, long after
    const second = container();
    for (const stkCd of CODES) await second.ka10008Page(stkCd);

    expect(firstRun).toBeGreaterThan(0);
    expect(rateLimited()).toBe(0);
    expect(second.stats().learnedRatePerSecond['ka10008']).toBeCloseTo(2, 5);
    expect(await store.load('ka10008')).toMatchObject({ ratePerSecond: 2 });
  });
});

describe('wiring', () => {
  it('persists what the scan’s client learns under the app key identity the lease uses', async () => {
    const { historyTable } = await uniqueTables();
    const sim = await simulator({ allowance: { ka10008: 2, au10001: 5 }, data: { '005930': history('005930', 3) } });
    const config = loadConfig({
      KIWOOM_BASE_URL: sim.url,
      KIWOOM_APPKEY: 'client-test-appkey-7Qx9',
      KIWOOM_SECRETKEY: 'client-test-secretkey-Zr42',
      HISTORY_TABLE: historyTable,
    });
    const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
    sim.inject({ kind: 'rateLimit', count: 1 }); // states 유량=2
    const wired = createKiwoom(config, clientFor(sim).tokens, quiet, localClients());

    await wired.ka10008Page('005930');

    const item = await localClients().doc.send(
      new GetCommand({ TableName: historyTable, Key: { pk: `ALLOWANCE#${kiwoomIdentity(config)}`, sk: 'ka10008' } }),
    );
    expect(item.Item).toMatchObject({ rate_per_second: 2 });
    expect(typeof item.Item?.learned_at).toBe('string');
  });
});
