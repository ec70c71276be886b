// The delivery ledger's claims on DynamoDB Local: who may send, and when a
// crashed sender's claim becomes available again.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { DeliveryLedger } from '../../functions/deliver/store/delivery-ledger.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

let ledger: DeliveryLedger;
beforeAll(async () => {
  ledger = new DeliveryLedger(localClients().doc, (await uniqueTables()).historyTable);
});

const at = (iso: string) => new Date(iso);
const T0 = '2026-11-06T09:35:00.000Z';
const claim = (key: string, now = T0, holdMs = 60_000) =>
  ledger.claim({ deliveryKey: key, channel: 'tg', channelType: 'telegram', now: at(now), holdMs });

describe('DeliveryLedger', () => {
  it('lets one claim through and refuses a second while the first is alive', async () => {
    const key = randomUUID();
    const first = await claim(key);
    expect(first.claimed).toBe(true);
    expect(await claim(key, '2026-11-06T09:35:30.000Z')).toMatchObject({ claimed: false, reason: 'in_flight' });
  });

  it('lets only one of two simultaneous claims win', async () => {
    const key = randomUUID();
    const results = await Promise.all([claim(key), claim(key), claim(key)]);
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it('gives a crashed sender\'s claim to the redelivery once it lapses (the one allowed duplicate)', async () => {
    const key = randomUUID();
    const first = await claim(key);
    const second = await claim(key, '2026-11-06T09:36:00.001Z');
    expect(second).toMatchObject({ claimed: true, entry: { attempts: 2 } });
    // The crashed holder's late bookkeeping cannot overwrite the new holder's.
    if (!first.claimed || !second.claimed) throw new Error('expected both claims');
    expect(await ledger.markSent(key, 'tg', first.claimId, 'late', at(T0))).toBe(false);
    expect(await ledger.markSent(key, 'tg', second.claimId, 'message_id 7', at(T0))).toBe(true);
    expect(await claim(key, '2026-11-06T10:00:00.000Z')).toMatchObject({ claimed: false, reason: 'sent', entry: { reference: 'message_id 7' } });
  });

  it('keeps a released entry from being claimed before the time the API named', async () => {
    const key = randomUUID();
    const first = await claim(key);
    if (!first.claimed) throw new Error('expected a claim');
    await ledger.release(key, 'tg', first.claimId, 'rate limited', at(T0), Date.parse('2026-11-06T09:37:00.000Z'));
    expect(await claim(key, '2026-11-06T09:36:59.999Z')).toMatchObject({ claimed: false, reason: 'backoff' });
    expect(await claim(key, '2026-11-06T09:37:00.000Z')).toMatchObject({ claimed: true });
  });

  it('never claims a failed entry again', async () => {
    const key = randomUUID();
    const first = await claim(key);
    if (!first.claimed) throw new Error('expected a claim');
    await ledger.markFailed(key, 'tg', first.claimId, 'bot blocked', at(T0));
    expect(await claim(key, '2026-11-07T00:00:00.000Z')).toMatchObject({ claimed: false, reason: 'failed', entry: { lastError: 'bot blocked' } });
  });
});
