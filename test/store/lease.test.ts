import { beforeEach, describe, expect, it } from 'vitest';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { LeaseLostError } from '../../functions/store/errors.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { DynamoLease, type LeaseAcquisition } from '../../functions/store/lease.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

const TTL = 60_000;
const t0 = new Date('2025-01-02T09:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

let lease: DynamoLease;
let historyTable: string;

beforeEach(async () => {
  ({ historyTable } = await uniqueTables());
  lease = new DynamoLease(localClients().doc, historyTable, 'scan');
});

function fenceOf(acquisition: LeaseAcquisition) {
  if (!acquisition.acquired) throw new Error('expected the lease to be acquired');
  return acquisition.fence;
}

describe('DynamoLease', () => {
  it('is acquired when nobody holds it', async () => {
    expect(await lease.acquire('run-a', TTL, t0)).toMatchObject({ acquired: true, expiresAt: at(TTL), epoch: 1 });
  });

  it('is refused while another holder has it, naming that holder', async () => {
    await lease.acquire('run-a', TTL, t0);
    expect(await lease.acquire('run-b', TTL, at(1000))).toEqual({ acquired: false, holder: 'run-a', expiresAt: at(TTL) });
  });

  it('is taken over once the holder let it expire', async () => {
    await lease.acquire('run-a', TTL, t0);
    expect(await lease.acquire('run-b', TTL, at(TTL + 1))).toMatchObject({ acquired: true, expiresAt: at(2 * TTL + 1), epoch: 2 });
  });

  it('is acquired again by its own holder', async () => {
    await lease.acquire('run-a', TTL, t0);
    expect((await lease.acquire('run-a', TTL, at(1000))).acquired).toBe(true);
  });

  it('is extended by its holder', async () => {
    await lease.acquire('run-a', TTL, t0);
    await lease.renew('run-a', TTL, at(50_000));
    expect(await lease.acquire('run-b', TTL, at(TTL + 1))).toMatchObject({ acquired: false, expiresAt: at(50_000 + TTL) });
  });

  it('cannot be renewed by a holder who lost it', async () => {
    await lease.acquire('run-a', TTL, t0);
    await lease.acquire('run-b', TTL, at(TTL + 1));
    expect(await lease.renew('run-a', TTL, at(TTL + 2))).toBe(false);
  });

  it('cannot be renewed by an earlier acquisition of the same holder', async () => {
    const first = fenceOf(await lease.acquire('run-a', TTL, t0));
    await lease.acquire('run-a', TTL, at(1000));
    expect(await lease.renew('run-a', TTL, at(2000), first.epoch)).toBe(false);
  });

  it('is free for others after its holder releases it', async () => {
    await lease.acquire('run-a', TTL, t0);
    await lease.release('run-a');
    expect((await lease.acquire('run-b', TTL, at(1000))).acquired).toBe(true);
  });

  it('is not released by someone who does not hold it', async () => {
    await lease.acquire('run-a', TTL, t0);
    expect(await lease.release('run-b')).toBe(false);
    expect((await lease.acquire('run-b', TTL, at(1000))).acquired).toBe(false);
  });

  it('releases quietly when it is already gone', async () => {
    await expect(lease.release('run-a')).resolves.toBe(false);
  });

  it('never hands out an epoch twice, released or not', async () => {
    const epochs: number[] = [];
    for (const [i, holder] of ['run-a', 'run-b', 'run-a'].entries()) {
      const fence = fenceOf(await lease.acquire(holder, TTL, at(i * 1000)));
      epochs.push(fence.epoch);
      await lease.release(holder, fence.epoch);
    }
    expect(epochs).toEqual([1, 2, 3]);
  });
});

describe('the fence a lease hands its scan', () => {
  const entry = { stkCd: '005930', dt: '20250102', rule: 'limit_exh_rt_cross_up' as const };
  const message = { subject: 's', messageJson: '{}', attributes: {} };

  it('lets its scan claim an unsent alert for publishing', async () => {
    const ledger = new AlertLedger(localClients().doc, historyTable, { now: () => at(1000) });
    const fence = fenceOf(await lease.acquire('run-a', TTL, t0));
    await ledger.record({ ...entry, message, revision: false });
    expect(await ledger.claim(entry, fence)).toEqual({ claimed: true });
  });

  it('refuses the claim once another scan took the lease over', async () => {
    const ledger = new AlertLedger(localClients().doc, historyTable, { now: () => at(TTL + 2) });
    const stale = fenceOf(await lease.acquire('run-a', TTL, t0));
    await ledger.record({ ...entry, message, revision: false });
    await lease.acquire('run-b', TTL, at(TTL + 1));
    await expect(ledger.claim(entry, stale)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('refuses the claim once the lease ran out by the scan’s own clock, even if nobody took it', async () => {
    const ledger = new AlertLedger(localClients().doc, historyTable, { now: () => at(TTL + 1) });
    const fence = fenceOf(await lease.acquire('run-a', TTL, t0));
    await ledger.record({ ...entry, message, revision: false });
    await expect(ledger.claim(entry, fence)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('refuses a fenced record and a fenced state commit after a takeover, writing nothing', async () => {
    const ledger = new AlertLedger(localClients().doc, historyTable, { now: () => at(TTL + 2) });
    const history = new HistoryStore(localClients().doc, historyTable);
    const stale = fenceOf(await lease.acquire('run-a', TTL, t0));
    await lease.acquire('run-b', TTL, at(TTL + 1));
    const state = { stkCd: '005930', lastDt: '20250102', checkedAt: at(TTL + 2).toISOString(), lastRunId: 'run-a' };

    await expect(ledger.record({ ...entry, message, revision: false }, stale)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(history.saveCode([], state, { fence: stale, now: at(TTL + 2) })).rejects.toBeInstanceOf(LeaseLostError);
    expect([await ledger.get(entry.stkCd, entry.dt, entry.rule), (await history.codeStates(['005930'])).size]).toEqual([undefined, 0]);
  });

  it('does not claim an alert another scan has sent', async () => {
    const ledger = new AlertLedger(localClients().doc, historyTable, { now: () => at(1000) });
    const fence = fenceOf(await lease.acquire('run-a', TTL, t0));
    await ledger.record({ ...entry, message, revision: false });
    await ledger.markSent(entry.stkCd, entry.dt, entry.rule, 'm-1');
    expect(await ledger.claim(entry, fence)).toMatchObject({ claimed: false, entry: { status: 'sent' } });
  });
});
