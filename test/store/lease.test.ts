import { beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../functions/store/errors.ts';
import { DynamoLease } from '../../functions/store/lease.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

const TTL = 60_000;
const t0 = new Date('2025-01-02T09:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

let lease: DynamoLease;

beforeEach(async () => {
  const { historyTable } = await uniqueTables();
  lease = new DynamoLease(localClients().doc, historyTable, 'scan');
});

describe('DynamoLease', () => {
  it('is acquired when nobody holds it', async () => {
    expect(await lease.acquire('run-a', TTL, t0)).toEqual({ acquired: true, expiresAt: at(TTL) });
  });

  it('is refused while another holder has it, naming that holder', async () => {
    await lease.acquire('run-a', TTL, t0);
    expect(await lease.acquire('run-b', TTL, at(1000))).toEqual({ acquired: false, holder: 'run-a', expiresAt: at(TTL) });
  });

  it('is taken over once the holder let it expire', async () => {
    await lease.acquire('run-a', TTL, t0);
    expect(await lease.acquire('run-b', TTL, at(TTL + 1))).toEqual({ acquired: true, expiresAt: at(2 * TTL + 1) });
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

  it('throws LeaseLostError from renewOrThrow once lost', async () => {
    await lease.acquire('run-a', TTL, t0);
    await lease.acquire('run-b', TTL, at(TTL + 1));
    await expect(lease.renewOrThrow('run-a', TTL, at(TTL + 2))).rejects.toBeInstanceOf(LeaseLostError);
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
});
