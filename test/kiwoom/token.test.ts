import { describe, expect, it } from 'vitest';
import { TokenInvalidError, TokenUnavailableError, TransientError } from '../../functions/kiwoom/errors.ts';
import { KiwoomHttp } from '../../functions/kiwoom/http.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import { IssuingTokenSource, issueToken, parseExpiresDt } from '../../functions/kiwoom/token.ts';
import { APP, caught, clientFor, history, requestsFor, simulator, virtualClock } from './support.ts';

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

/** A source with its own au10001 limiter, generous enough that these tests never wait on it. */
function sourceFor(url: string, now: () => Date) {
  return new IssuingTokenSource({ http: { baseUrl: url }, credentials: APP, now, limiters: new LimiterRegistry(), tokenRateLimit: 100 });
}

describe('IssuingTokenSource', () => {
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
    const source = new IssuingTokenSource({ http: { baseUrl: sim.url }, credentials: APP, limiters: new LimiterRegistry(), tokenRateLimit: 100 });

    const tokens = await Promise.all(Array.from({ length: 20 }, () => source.get()));

    expect(new Set(tokens).size).toBe(1);
    expect(sim.issuedTokens()).toBe(1);
  });

  it('hands back the replacement when someone already renewed the rejected token', async () => {
    const sim = await simulator();
    const source = new IssuingTokenSource({ http: { baseUrl: sim.url }, credentials: APP, limiters: new LimiterRegistry(), tokenRateLimit: 100 });
    const first = await source.get();
    const second = await source.renew(first);

    expect(await source.renew(first)).toBe(second);
    expect(sim.issuedTokens()).toBe(2);
  });

  it('retries its own rate limit', async () => {
    const sim = await simulator();
    sim.inject({ kind: 'rateLimit', apiId: 'au10001', count: 1 });
    const source = new IssuingTokenSource({ http: { baseUrl: sim.url }, credentials: APP, random: () => 0, limiters: new LimiterRegistry() });

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

  it('renews only once per call when the new token is rejected too, then stops the run', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim);
    sim.inject({ kind: 'tokenRejected' });

    const error = await caught(client.ka10008Page('005930'));

    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect(error).toMatchObject({ stopsRun: true });
    expect((error as Error).cause).toBeInstanceOf(TokenInvalidError);
    expect((error as Error).cause).toMatchObject({ detailCode: 8005, category: 3, httpStatus: 200 });
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

describe('a token au10001 hands back with minutes left (issue 11, item 2)', () => {
  it('is used until it really expires, with at most one au10001 call per five minutes meanwhile', async () => {
    const clock = movableNow();
    const sim = await simulator({ now: clock.now, tokenTtlMs: 24 * HOUR, sameTokenWhileValid: true });
    const source = sourceFor(sim.url, clock.now);
    const first = await source.get();
    const au10001 = () => requestsFor(sim, 'au10001').length;

    clock.set(24 * HOUR - 8 * MINUTE); // inside the ten-minute margin: Kiwoom hands the same token back
    const near = await Promise.all(Array.from({ length: 10 }, () => source.get()));
    for (let i = 0; i < 10; i += 1) near.push(await source.get());
    expect(new Set(near)).toEqual(new Set([first]));
    expect(au10001()).toBe(2);

    clock.set(24 * HOUR - 4 * MINUTE); // four minutes after that attempt
    expect(await source.get()).toBe(first);
    expect(au10001()).toBe(2);

    clock.set(24 * HOUR - 2 * MINUTE); // six minutes after it: one more attempt
    expect(await source.get()).toBe(first);
    expect(au10001()).toBe(3);

    clock.set(24 * HOUR + 1_000); // really expired: a new token, whatever the interval
    expect(await source.get()).not.toBe(first);
    expect(au10001()).toBe(4);
  });

  it('refuses an au10001 answer whose token has already expired, as transient', async () => {
    const clock = movableNow();
    const sim = await simulator({ now: () => new Date(clock.now().getTime() - 25 * HOUR) });
    const source = new IssuingTokenSource({
      http: { baseUrl: sim.url },
      credentials: APP,
      now: clock.now,
      retry: { attempts: 1 },
      limiters: new LimiterRegistry(),
    });

    const error = await caught(source.get());

    expect((error as Error).message).toMatch(/already expired/);
  });
});

describe('au10001 through its own limiter (issue 11, item 4)', () => {
  /** A source whose au10001 limiter and backoff run on the test's virtual clock. */
  function onVirtualTime(url: string, clock: ReturnType<typeof virtualClock>): IssuingTokenSource {
    return new IssuingTokenSource({
      http: { baseUrl: url },
      credentials: APP,
      limiterClock: clock,
      limiters: new LimiterRegistry(),
      sleep: clock.sleep,
      random: () => 0,
    });
  }

  it('spaces token calls by the token allowance instead of drawing 1700s', async () => {
    const clock = virtualClock(1_000);
    const sim = await simulator({ allowance: { ka10008: 100, au10001: 1 }, monotonicNow: clock.now });
    const source = onVirtualTime(sim.url, clock);

    let token = await source.get();
    for (let i = 0; i < 3; i += 1) token = await source.renew(token);

    const calls = requestsFor(sim, 'au10001');
    expect(calls.map((r) => r.outcome?.detailCode ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(sim.issuedTokens()).toBe(4);
    const gaps = calls.slice(1).map((r, i) => r.timeMs - calls[i]!.timeMs);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1_000);
  });

  it('learns a lower token allowance from a 1700 and retries after it', async () => {
    const clock = virtualClock(1_000);
    const sim = await simulator({ allowance: { ka10008: 100, au10001: 1 }, monotonicNow: clock.now });
    sim.inject({ kind: 'rateLimit', apiId: 'au10001', count: 1 });
    const source = onVirtualTime(sim.url, clock);

    await source.get();

    const calls = requestsFor(sim, 'au10001');
    expect(calls.map((r) => r.outcome?.detailCode ?? 'ok')).toEqual(['1700', 'ok']);
    expect(calls[1]!.timeMs - calls[0]!.timeMs).toBeGreaterThanOrEqual(1_000);
  });
});
