import { describe, expect, it } from 'vitest';
import { TokenInvalidError, TransientError } from '../../functions/kiwoom/errors.ts';
import { KiwoomHttp } from '../../functions/kiwoom/http.ts';
import { IssuingTokenSource, issueToken, parseExpiresDt } from '../../functions/kiwoom/token.ts';
import { APP, caught, clientFor, history, requestsFor, simulator } from './support.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

function movableNow(start = new Date('2025-06-30T00:00:00Z')) {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    set: (ms: number) => {
      t = start.getTime() + ms;
    },
  };
}

describe('parseExpiresDt', () => {
  it('reads YYYYMMDDHHmmss as Korea Standard Time (UTC+9)', () => {
    expect(parseExpiresDt('20241107083713')?.toISOString()).toBe('2024-11-06T23:37:13.000Z');
  });

  it('refuses a day that does not exist', () => {
    expect(parseExpiresDt('20241332083713')).toBeNull();
    expect(parseExpiresDt('2024-11-07')).toBeNull();
  });
});

describe('issueToken', () => {
  it('returns the token and its expiry as an instant', async () => {
    const clock = movableNow();
    const sim = await simulator({ now: clock.now, tokenTtlMs: 24 * HOUR });

    const issued = await issueToken(new KiwoomHttp({ baseUrl: sim.url }), APP);

    expect(issued.token.length).toBeGreaterThan(20);
    expect(issued.expiresAt.toISOString()).toBe('2025-07-01T00:00:00.000Z');
  });

  it('accepts token_type in either case', async () => {
    const sim = await simulator({ tokenType: 'Bearer' });

    await expect(issueToken(new KiwoomHttp({ baseUrl: sim.url }), APP)).resolves.toHaveProperty('token');
  });

  it('rejects an answer without a token as transient', async () => {
    const sim = await simulator();
    sim.inject({ kind: 'kiwoomError', apiId: 'au10001', returnCode: 0, returnMsg: '정상적으로 처리되었습니다' });

    expect(await caught(issueToken(new KiwoomHttp({ baseUrl: sim.url }), APP))).toBeInstanceOf(TransientError);
  });
});

describe('IssuingTokenSource', () => {
  function sourceFor(url: string, now: () => Date) {
    return new IssuingTokenSource({ http: { baseUrl: url }, credentials: APP, now });
  }

  it('caches the token', async () => {
    const clock = movableNow();
    const sim = await simulator({ now: clock.now });
    const source = sourceFor(sim.url, clock.now);

    const first = await source.get();
    clock.set(23 * HOUR);

    expect(await source.get()).toBe(first);
    expect(sim.issuedTokens()).toBe(1);
  });

  it('keeps the token until just before ten minutes ahead of expiry', async () => {
    const clock = movableNow();
    const sim = await simulator({ now: clock.now, tokenTtlMs: 24 * HOUR });
    const source = sourceFor(sim.url, clock.now);
    const first = await source.get();

    clock.set(24 * HOUR - 10 * MINUTE - 1);

    expect(await source.get()).toBe(first);
  });

  it('refreshes ten minutes before expiry', async () => {
    const clock = movableNow();
    const sim = await simulator({ now: clock.now, tokenTtlMs: 24 * HOUR });
    const source = sourceFor(sim.url, clock.now);
    const first = await source.get();

    clock.set(24 * HOUR - 10 * MINUTE);

    expect(await source.get()).not.toBe(first);
    expect(sim.issuedTokens()).toBe(2);
  });

  it('shares one request among concurrent callers', async () => {
    const sim = await simulator();
    const source = new IssuingTokenSource({ http: { baseUrl: sim.url }, credentials: APP });

    const tokens = await Promise.all(Array.from({ length: 20 }, () => source.get()));

    expect(new Set(tokens).size).toBe(1);
    expect(sim.issuedTokens()).toBe(1);
  });

  it('hands back the replacement when someone already renewed the rejected token', async () => {
    const sim = await simulator();
    const source = new IssuingTokenSource({ http: { baseUrl: sim.url }, credentials: APP });
    const first = await source.get();
    const second = await source.renew(first);

    expect(await source.renew(first)).toBe(second);
    expect(sim.issuedTokens()).toBe(2);
  });

  it('retries its own rate limit', async () => {
    const sim = await simulator();
    sim.inject({ kind: 'rateLimit', apiId: 'au10001', count: 1 });
    const source = new IssuingTokenSource({ http: { baseUrl: sim.url }, credentials: APP, random: () => 0 });

    await expect(source.get()).resolves.toEqual(expect.any(String));
    expect(requestsFor(sim, 'au10001')).toHaveLength(2);
  });
});

describe('the client and its token', () => {
  it('issues a single token for 20 concurrent first calls', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim);

    await Promise.all(Array.from({ length: 20 }, () => client.ka10008Page('005930')));

    expect(sim.issuedTokens()).toBe(1);
    expect(client.stats().tokenIssues).toBe(1);
  });

  it('recovers once from the live 8005 form (HTTP 200, category 3, detail in brackets)', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim);
    await client.ka10008Page('005930');
    sim.inject({ kind: 'tokenRejected', count: 1 });

    const page = await client.ka10008Page('005930');

    expect(page.rows).toHaveLength(5);
    expect(sim.issuedTokens()).toBe(2);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(3);
    expect(client.stats()).toMatchObject({ tokenIssues: 2, retries: 0 });
  });

  it('recovers once from HTTP 401', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim);
    sim.inject({ kind: 'garbage', form: 'empty', httpStatus: 401, count: 1 });

    const page = await client.ka10008Page('005930');

    expect(page.rows).toHaveLength(5);
    expect(sim.issuedTokens()).toBe(2);
  });

  it('renews only once per call when the new token is rejected too', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim);
    sim.inject({ kind: 'tokenRejected' });

    const error = await caught(client.ka10008Page('005930'));

    expect(error).toBeInstanceOf(TokenInvalidError);
    expect(error).toMatchObject({ detailCode: 8005, category: 3, httpStatus: 200 });
    expect(sim.issuedTokens()).toBe(2);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(2);
  });

  it('issues exactly one new token when 20 concurrent calls meet an invalidated token', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim);
    await client.ka10008Page('005930');
    sim.expireTokens();
    // Latency keeps all twenty in flight with the dead token at once.
    sim.setLatency(300);

    const pages = await Promise.all(Array.from({ length: 20 }, () => client.ka10008Page('005930')));

    expect(pages.every((p) => p.rows.length === 5)).toBe(true);
    expect(requestsFor(sim, 'ka10008').filter((r) => r.outcome?.detailCode === '8005').length).toBeGreaterThan(10);
    expect(sim.issuedTokens()).toBe(2);
  });

  it('starts over with a new token when the cached one has expired on the server', async () => {
    const clock = movableNow();
    const sim = await simulator({ now: clock.now, tokenTtlMs: 24 * HOUR, data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim, { tokenOptions: { now: clock.now } });
    await client.ka10008Page('005930');

    clock.set(24 * HOUR + MINUTE);
    await client.ka10008Page('005930');

    expect(sim.issuedTokens()).toBe(2);
    expect(requestsFor(sim, 'ka10008').every((r) => r.outcome?.returnCode === 0)).toBe(true);
  });
});
