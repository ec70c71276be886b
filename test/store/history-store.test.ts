import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchIncompleteError } from '../../functions/store/errors.ts';
import { HistoryStore, type CodeState } from '../../functions/store/history-store.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { days, storedSnapshot } from '../support/fixtures.ts';

let store: HistoryStore;

beforeAll(async () => {
  const { historyTable } = await uniqueTables();
  store = new HistoryStore(localClients().doc, historyTable);
});

function codeState(stkCd: string, overrides: Partial<CodeState> = {}): CodeState {
  return { stkCd, lastDt: '20250102', checkedAt: '2025-01-02T09:30:00.000Z', lastRunId: 'run-1', ...overrides };
}

describe('HistoryStore snapshots', () => {
  it('reads back a stored day exactly, nulls included', async () => {
    const stored = storedSnapshot({ stkCd: 'RT0001', limitExhRtBp: null, chgQty: null }, { revision: 1 });
    await store.putSnapshots([stored]);
    expect(await store.recentSnapshots('RT0001', 1)).toEqual([stored]);
  });

  it('lists recent days newest first, at most `limit` of them', async () => {
    const dts = days('20250101', 5);
    await store.putSnapshots(dts.map((dt) => storedSnapshot({ stkCd: 'RC0001', dt })));
    const recent = await store.recentSnapshots('RC0001', 3);
    expect(recent.map((s) => s.snapshot.dt)).toEqual(['20250105', '20250104', '20250103']);
  });

  it('does not mix the days of two codes', async () => {
    await store.putSnapshots([storedSnapshot({ stkCd: 'MX0001' }), storedSnapshot({ stkCd: 'MX0002', dt: '20250103' })]);
    const recent = await store.recentSnapshots('MX0001', 10);
    expect(recent.map((s) => s.snapshot.stkCd)).toEqual(['MX0001']);
  });

  it('lists the days between two dates oldest first, both ends included', async () => {
    await store.putSnapshots(days('20250101', 6).map((dt) => storedSnapshot({ stkCd: 'BT0001', dt })));
    const between = await store.snapshotsBetween('BT0001', '20250102', '20250104');
    expect(between.map((s) => s.snapshot.dt)).toEqual(['20250102', '20250103', '20250104']);
  });

  it('stores 60 days at once, more than one BatchWriteItem holds', async () => {
    const dts = days('20240101', 60);
    await store.putSnapshots(dts.map((dt) => storedSnapshot({ stkCd: 'BW0001', dt })));
    const all = await store.snapshotsBetween('BW0001', '00000000', '99999999');
    expect(all.map((s) => s.snapshot.dt)).toEqual(dts);
  });

  it('keeps the later of two versions of one day given in the same call', async () => {
    await store.putSnapshots([
      storedSnapshot({ stkCd: 'DU0001', chgQty: 1 }),
      storedSnapshot({ stkCd: 'DU0001', chgQty: 2 }, { revision: 1 }),
    ]);
    const [only] = await store.recentSnapshots('DU0001', 5);
    expect([only?.snapshot.chgQty, only?.revision]).toEqual([2, 1]);
  });

  it('replaces a stored day with its revision', async () => {
    await store.putSnapshots([storedSnapshot({ stkCd: 'RV0001', chgQty: 10 })]);
    await store.putSnapshots([storedSnapshot({ stkCd: 'RV0001', chgQty: 11 }, { revision: 1 })]);
    const recent = await store.recentSnapshots('RV0001', 5);
    expect(recent.map((s) => [s.snapshot.chgQty, s.revision])).toEqual([[11, 1]]);
  });
});

describe('HistoryStore code states', () => {
  it('reads the states of 150 codes, more than one BatchGetItem holds', async () => {
    const codes = Array.from({ length: 150 }, (_, i) => `CS${String(i).padStart(4, '0')}`);
    await Promise.all(codes.map((c) => store.putCodeState(codeState(c, { lastRunId: `run-${c}` }))));
    const states = await store.codeStates(codes);
    expect(states.size).toBe(150);
    expect(states.get('CS0149')?.lastRunId).toBe('run-CS0149');
  });

  it('leaves codes without a state out of the map', async () => {
    await store.putCodeState(codeState('KN0001'));
    const states = await store.codeStates(['KN0001', 'NEVER01']);
    expect([...states.keys()]).toEqual(['KN0001']);
  });

  it('reads a state stored before the first day as lastDt null', async () => {
    await store.putCodeState(codeState('NL0001', { lastDt: null }));
    const states = await store.codeStates(['NL0001']);
    expect(states.get('NL0001')).toEqual(codeState('NL0001', { lastDt: null }));
  });
});

describe('HistoryStore failed attempts', () => {
  it('remembers the last failed attempt of a code beside its state, without touching the state', async () => {
    await store.putCodeState(codeState('FA0001'));
    await store.recordFailure({ stkCd: 'FA0001', failedAt: '2025-01-03T09:30:00.000Z', runId: 'run-2', error: 'HTTP 500' });
    await store.recordFailure({ stkCd: 'FA0002', failedAt: '2025-01-03T09:31:00.000Z', runId: 'run-2', error: 'HTTP 500' });

    const failures = await store.codeFailures(['FA0001', 'FA0002', 'FA0003']);
    expect([...failures.keys()].sort()).toEqual(['FA0001', 'FA0002']);
    expect(failures.get('FA0001')).toMatchObject({ runId: 'run-2', error: 'HTTP 500' });
    // A code that only ever failed has no state: replay and backfill still treat it as untouched by the scan.
    expect([...(await store.codeStates(['FA0001', 'FA0002'])).keys()]).toEqual(['FA0001']);
    expect((await store.codeStates(['FA0001'])).get('FA0001')).toEqual(codeState('FA0001'));
  });
});

describe('HistoryStore batch retries', () => {
  /** A document client that hands every request's first item back unprocessed `times` times. */
  function throttlingClient(times: number) {
    const sent: number[] = [];
    let left = times;
    const doc = {
      async send(command: { input: { RequestItems: Record<string, unknown[]> } }) {
        const [table, requests] = Object.entries(command.input.RequestItems)[0] as [string, unknown[]];
        sent.push(requests.length);
        if (left-- > 0) return { UnprocessedItems: { [table]: requests.slice(0, 1) } };
        return { UnprocessedItems: {} };
      },
    };
    return { doc: doc as unknown as DynamoDBDocumentClient, sent };
  }

  it('resends unprocessed items after backing off', async () => {
    const { doc, sent } = throttlingClient(2);
    const sleeps: number[] = [];
    const throttled = new HistoryStore(doc, 'history', {
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 1,
    });
    await throttled.putSnapshots(days('20250101', 3).map((dt) => storedSnapshot({ dt })));
    expect(sent).toEqual([3, 1, 1]);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up with BatchIncompleteError when items stay unprocessed', async () => {
    const { doc } = throttlingClient(Number.POSITIVE_INFINITY);
    const throttled = new HistoryStore(doc, 'history', { maxAttempts: 3, sleep: async () => {} });
    await expect(throttled.putSnapshots([storedSnapshot()])).rejects.toBeInstanceOf(BatchIncompleteError);
  });
});

describe('HistoryStore saving a code', () => {
  /**
   * DynamoDB Local behind a partition that stays throttled for snapshots:
   * every BatchWriteItem is served for the other items and hands the
   * snapshots back unprocessed, as a hot partition would after every retry.
   */
  function snapshotsThrottled(): DynamoDBDocumentClient {
    const real = localClients().doc;
    const doc = {
      async send(command: unknown) {
        if (!(command instanceof BatchWriteCommand)) return real.send(command as never);
        const [table, requests] = Object.entries(command.input.RequestItems ?? {})[0] as [string, { PutRequest?: { Item: Record<string, unknown> | undefined } }[]];
        const isSnapshot = (r: (typeof requests)[number]) => String(r.PutRequest?.Item?.pk).startsWith('SNAP#');
        const served = requests.filter((r) => !isSnapshot(r));
        if (served.length > 0) await real.send(new BatchWriteCommand({ RequestItems: { [table]: served } }));
        return { UnprocessedItems: { [table]: requests.filter(isSnapshot) } };
      },
    };
    return doc as unknown as DynamoDBDocumentClient;
  }

  it('never stores the state ahead of days that stayed unprocessed', async () => {
    const { historyTable } = await uniqueTables();
    const throttled = new HistoryStore(snapshotsThrottled(), historyTable, { maxAttempts: 2, sleep: async () => {} });
    const reader = new HistoryStore(localClients().doc, historyTable);
    await reader.saveCode([storedSnapshot({ stkCd: 'SA0001', dt: '20250102' })], codeState('SA0001', { lastDt: '20250102' }));

    const next = [storedSnapshot({ stkCd: 'SA0001', dt: '20250103' })];
    await expect(throttled.saveCode(next, codeState('SA0001', { lastDt: '20250103', lastRunId: 'run-2' }))).rejects.toBeInstanceOf(
      BatchIncompleteError,
    );

    const state = (await reader.codeStates(['SA0001'])).get('SA0001');
    expect([state?.lastDt, state?.lastRunId]).toEqual(['20250102', 'run-1']);
    expect((await reader.recentSnapshots('SA0001', 5)).map((s) => s.snapshot.dt)).toEqual(['20250102']);
  });

  it('stores the days and then the state', async () => {
    const { historyTable } = await uniqueTables();
    const history = new HistoryStore(localClients().doc, historyTable);
    await history.saveCode(days('20250102', 30).map((dt) => storedSnapshot({ stkCd: 'SA0002', dt })), codeState('SA0002', { lastDt: '20250131' }));
    expect((await history.codeStates(['SA0002'])).get('SA0002')?.lastDt).toBe('20250131');
    expect(await history.recentSnapshots('SA0002', 100)).toHaveLength(30);
  });
});
