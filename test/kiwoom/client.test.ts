import { describe, expect, it } from 'vitest';
import { KiwoomClient, defaultRateLimit } from '../../functions/kiwoom/client.ts';
import {
  BadCredentialsError,
  BadInputError,
  CallAbortedError,
  TransientError,
  UnknownStockError,
} from '../../functions/kiwoom/errors.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import type { TokenSource } from '../../functions/kiwoom/types.ts';
import {
  APP,
  caught,
  clientFor,
  collect,
  history,
  recordingSleep,
  requestsFor,
  simulator,
  specExampleRows,
} from './support.ts';

describe('ka10008 requests and answers', () => {
  it('sends the specification’s request and returns its rows untouched', async () => {
    const sim = await simulator({ data: { '005930': specExampleRows() } });
    const { client } = clientFor(sim);

    const page = await client.ka10008Page('005930');

    const [request] = requestsFor(sim, 'ka10008');
    expect(request).toMatchObject({
      method: 'POST',
      path: '/api/dostk/frgnistt',
      body: { stk_cd: '005930' },
      headers: { 'api-id': 'ka10008', authorization: 'Bearer <redacted>' },
    });
    expect(request?.headers['content-type']).toMatch(/^application\/json;\s*charset=UTF-8$/i);
    expect(page).toEqual({ stkCd: '005930', rows: specExampleRows(), hasMore: false, nextKey: '' });
  });

  it('issues its token with the au10001 request shape', async () => {
    const sim = await simulator({ data: { '005930': specExampleRows() } });
    const { client } = clientFor(sim);

    await client.ka10008Page('005930');

    const [tokenRequest] = requestsFor(sim, 'au10001');
    expect(tokenRequest).toMatchObject({
      path: '/oauth2/token',
      body: { grant_type: 'client_credentials', appkey: '<redacted>', secretkey: '<redacted>' },
    });
  });
});

describe('continuation', () => {
  it('follows cont-yn and next-key across three pages, newest first', async () => {
    const rows = history('005930', 130);
    const sim = await simulator({ data: { '005930': rows } });
    const { client } = clientFor(sim);

    const pages = await collect(client.ka10008Pages('005930'));

    expect(pages.map((p) => p.rows.length)).toEqual([50, 50, 30]);
    expect(pages.map((p) => p.hasMore)).toEqual([true, true, false]);
    expect(pages.flatMap((p) => p.rows)).toEqual(rows);
    const sent = requestsFor(sim, 'ka10008').map((r) => [r.headers['cont-yn'], r.headers['next-key']]);
    expect(sent).toEqual([
      ['N', ''],
      ['Y', pages[0]!.nextKey],
      ['Y', pages[1]!.nextKey],
    ]);
  });

  it('stops after the page that reaches the oldest day asked for', async () => {
    const rows = history('005930', 130);
    const sim = await simulator({ data: { '005930': rows } });
    const { client } = clientFor(sim);

    const pages = await collect(client.ka10008Pages('005930', { oldestDt: rows[60]!.dt }));

    expect(pages).toHaveLength(2);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(2);
  });

  it('stops at the first page when that page already holds the oldest day', async () => {
    const rows = history('005930', 130);
    const sim = await simulator({ data: { '005930': rows } });
    const { client } = clientFor(sim);

    const pages = await collect(client.ka10008Pages('005930', { oldestDt: rows[49]!.dt }));

    expect(pages).toHaveLength(1);
  });

  it('stops at ten pages by default', async () => {
    const sim = await simulator({ pageSize: 5, data: { '005930': history('005930', 80) } });
    const { client } = clientFor(sim);

    const pages = await collect(client.ka10008Pages('005930'));

    expect(pages).toHaveLength(10);
    expect(pages.at(-1)?.hasMore).toBe(true);
  });

  it('stops at a caller-given page cap', async () => {
    const sim = await simulator({ pageSize: 5, data: { '005930': history('005930', 80) } });
    const { client } = clientFor(sim);

    expect(await collect(client.ka10008Pages('005930', { maxPages: 3 }))).toHaveLength(3);
  });

  it('fails on a repeated next-key instead of paging forever', async () => {
    const client = stubbedClient(() => kiwoomResponse({ stk_frgnr: [] }, { 'cont-yn': 'Y', 'next-key': 'SAME' }));

    const pages: unknown[] = [];
    const error = await caught(
      (async () => {
        for await (const page of client.ka10008Pages('005930', { maxPages: 50 })) pages.push(page);
      })(),
    );

    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('repeated next-key');
    expect(pages).toHaveLength(2);
  });

  it('reads cont-yn and next-key whatever their case', async () => {
    const client = stubbedClient(() => kiwoomResponse({ stk_frgnr: [] }, { 'CONT-YN': 'Y', 'Next-Key': 'k2' }));

    const page = await client.ka10008Page('005930');

    expect(page).toMatchObject({ hasMore: true, nextKey: 'k2' });
  });
});

describe('body validation', () => {
  it('reads a success answer without stk_frgnr as no rows for the code, in one request (issue 11, item 7)', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'kiwoomError', returnCode: 0, returnMsg: '정상적으로 처리되었습니다' });
    const { client } = clientFor(sim, { sleep: recordingSleep().sleep });

    const page = await client.ka10008Page('005930');

    expect(page).toEqual({ stkCd: '005930', rows: [], hasMore: false, nextKey: '' });
    expect(requestsFor(sim, 'ka10008')).toHaveLength(1);
  });

  it('reads an empty stk_frgnr list as no rows, and stops paging', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'kiwoomError', returnCode: 0, returnMsg: '정상적으로 처리되었습니다', extra: { stk_frgnr: [] } });
    const { client } = clientFor(sim, { sleep: recordingSleep().sleep });

    const pages = await collect(client.ka10008Pages('005930'));

    expect(pages.map((p) => p.rows)).toEqual([[]]);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(1);
  });

  it('still rejects a stk_frgnr that is not a list as a transient garbage body naming the code', async () => {
    const client = stubbedClient(() => kiwoomResponse({ stk_frgnr: 'n/a' }), { retry: { attempts: 1 } });

    const error = await caught(client.ka10008Page('005930'));

    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/garbage body/);
    expect((error as TransientError).stkCd).toBe('005930');
  });

  it('rejects rows that are not objects', async () => {
    const client = stubbedClient(() => kiwoomResponse({ stk_frgnr: ['20241105'] }), { retry: { attempts: 1 } });

    expect(await caught(client.ka10008Page('005930'))).toBeInstanceOf(TransientError);
  });
});

describe('body decoding (issue 11, item 8)', () => {
  it('decodes a body by the charset its content-type names, EUC-KR included', async () => {
    const returnMsg = '입력 값 오류입니다[1511:필수 입력 값에 값이 존재하지 않습니다. 파라미터=stk_cd]';
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'kiwoomError', returnCode: 2, returnMsg, charset: 'euc-kr' });
    const { client } = clientFor(sim);

    const error = await caught(client.ka10008Page('005930'));

    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).returnMsg).toBe(returnMsg);
  });

  it('reads a charset it does not know as UTF-8 rather than failing', async () => {
    const client = stubbedClient(
      () =>
        new Response(JSON.stringify({ return_code: 0, return_msg: '정상적으로 처리되었습니다', stk_frgnr: [] }), {
          headers: { 'content-type': 'application/json; charset=x-unheard-of' },
        }),
    );

    expect((await client.ka10008Page('005930')).rows).toEqual([]);
  });

  it('treats an answer larger than 4 MiB as transient, and retries it', async () => {
    const huge = JSON.stringify({ return_code: 0, return_msg: 'ok', stk_frgnr: history('005930', 20).concat(...Array(1200).fill(history('005930', 20))) });
    expect(huge.length).toBeGreaterThan(4 * 1024 * 1024);
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'garbage', body: huge, count: 1 });
    const { sleep, delays } = recordingSleep();
    const { client } = clientFor(sim, { sleep, random: () => 0.5 });

    const page = await client.ka10008Page('005930');

    expect(page.rows).toHaveLength(5);
    expect(delays).toHaveLength(1);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(2);
  });

  it('names the size cap in the error when the attempts run out', async () => {
    const client = stubbedClient(
      () => new Response(new Uint8Array(5 * 1024 * 1024).fill(0x20), { headers: { 'content-type': 'application/json' } }),
      { retry: { attempts: 1 } },
    );

    const error = await caught(client.ka10008Page('005930'));

    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(/larger than 4 MiB/);
  });
});

describe('abort signal (issue 11, item 10)', () => {
  it('stops a code’s pages when its signal aborts between pages', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 130) } });
    const { client } = clientFor(sim);
    const controller = new AbortController();

    const pages: unknown[] = [];
    const error = await caught(
      (async () => {
        for await (const page of client.ka10008Pages('005930', { signal: controller.signal })) {
          pages.push(page);
          controller.abort();
        }
      })(),
    );

    expect(error).toBeInstanceOf(CallAbortedError);
    expect(error).toMatchObject({ stkCd: '005930', retryable: false, stopsRun: false });
    expect(pages).toHaveLength(1);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(1);
  });

  it('ends a request in flight at once, without a retry', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'timeout' }); // held until the client gives up
    const controller = new AbortController();
    const { client } = clientFor(sim, {
      timeoutMs: 2_000,
      sleep: recordingSleep().sleep,
      fetch: (url, init) => {
        const answer = fetch(url, init);
        if (String(url).endsWith('/api/dostk/frgnistt')) controller.abort();
        return answer;
      },
    });

    const error = await caught(client.ka10008Page('005930', undefined, { signal: controller.signal }));

    expect(error).toBeInstanceOf(CallAbortedError);
    // Ended before or right after reaching Kiwoom, and never sent again.
    expect(requestsFor(sim, 'ka10008').length).toBeLessThanOrEqual(1);
  });

  it('stops waiting for the limiter when aborted, and sends nothing', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const controller = new AbortController();
    let waiting!: () => void;
    const limiterWaits = new Promise<void>((resolve) => {
      waiting = resolve;
    });
    const { client } = clientFor(sim, {
      rateLimit: 1,
      now: () => 0,
      // A wait that only the abort can end.
      sleep: () => {
        waiting();
        return new Promise<void>(() => undefined);
      },
    });
    await client.ka10008Page('005930');

    const second = caught(client.ka10008Page('005930', undefined, { signal: controller.signal }));
    await limiterWaits;
    controller.abort();

    expect(await second).toBeInstanceOf(CallAbortedError);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(1);
  });

  it('gives its place back when aborted while waiting for a free slot', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'timeout', holdMs: 100, afterHold: 'answer', count: 1 });
    let sent!: () => void;
    const firstSent = new Promise<void>((resolve) => {
      sent = resolve;
    });
    const { client } = clientFor(sim, {
      maxInFlight: 1,
      fetch: (url, init) => {
        sent();
        return fetch(url, init);
      },
    });
    const first = client.ka10008Page('005930');
    await firstSent;
    const controller = new AbortController();
    const waiting = caught(client.ka10008Page('005930', undefined, { signal: controller.signal }));
    controller.abort();

    expect(await waiting).toBeInstanceOf(CallAbortedError);
    expect((await first).rows).toHaveLength(5);
    expect((await client.ka10008Page('005930')).rows).toHaveLength(5);
  });

  it('stops waiting for a token renewal when aborted', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'tokenRejected' });
    const controller = new AbortController();
    let renewing!: () => void;
    const renewCalled = new Promise<void>((resolve) => {
      renewing = resolve;
    });
    const tokens: TokenSource = {
      get: async () => 'stub-token',
      renew: () => {
        renewing();
        return new Promise<string>(() => undefined);
      },
    };
    const client = new KiwoomClient({ baseUrl: sim.url, tokens, appKey: APP.appKey, rateLimit: 100, limiters: new LimiterRegistry() });

    const call = caught(client.ka10008Page('005930', undefined, { signal: controller.signal }));
    await renewCalled;
    controller.abort();

    expect(await call).toBeInstanceOf(CallAbortedError);
  });
});

describe('retries', () => {
  it('retries HTTP 500 with exponential backoff and full jitter, then succeeds', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'http500', count: 2 });
    const { sleep, delays } = recordingSleep();
    const { client } = clientFor(sim, { sleep, random: () => 0.5 });

    const page = await client.ka10008Page('005930');

    expect(page.rows).toHaveLength(5);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(3);
    expect(delays).toEqual([125, 250]);
    expect(client.stats()).toMatchObject({ calls: 3, retries: 2 });
  });

  it('caps the backoff', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'http500' });
    const { sleep, delays } = recordingSleep();
    const { client } = clientFor(sim, { sleep, random: () => 0.999, retry: { attempts: 5, baseMs: 100, capMs: 300 } });

    await caught(client.ka10008Page('005930'));

    expect(delays).toEqual([99, 199, 299, 299]);
  });

  it('retries a 1700 and then succeeds', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'rateLimit', count: 1 });
    const { sleep, delays } = recordingSleep();
    const { client } = clientFor(sim, { sleep, random: () => 0.5 });

    const page = await client.ka10008Page('005930');

    expect(page.rows).toHaveLength(5);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(2);
    expect(delays).toEqual([125]);
    expect(client.stats()).toMatchObject({ rateLimitedAnswers: 1, retries: 1 });
  });

  it('gives up after four attempts', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'http500' });
    const { client } = clientFor(sim, { sleep: recordingSleep().sleep });

    expect(await caught(client.ka10008Page('005930'))).toBeInstanceOf(TransientError);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(4);
  });

  it('retries a request that times out', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'timeout', count: 1 });
    const { client } = clientFor(sim, { timeoutMs: 200, sleep: recordingSleep().sleep });

    const page = await client.ka10008Page('005930');

    expect(page.rows).toHaveLength(5);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(2);
  });

  it('retries a garbage body', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    sim.inject({ kind: 'garbage', form: 'html', count: 1 });
    const { client } = clientFor(sim, { sleep: recordingSleep().sleep });

    expect((await client.ka10008Page('005930')).rows).toHaveLength(5);
  });

  it('does not retry bad credentials (8001)', async () => {
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const { client } = clientFor(sim, {
      credentials: { appKey: 'unknown-app-key', secretKey: 'whatever-secret' },
      sleep: recordingSleep().sleep,
    });

    const error = await caught(client.ka10008Page('005930'));

    expect(error).toBeInstanceOf(BadCredentialsError);
    expect(error).toMatchObject({ detailCode: 8001, category: 3, stopsRun: true });
    expect(requestsFor(sim, 'au10001')).toHaveLength(1);
    expect(requestsFor(sim, 'ka10008')).toHaveLength(0);
  });

  it('does not retry an unknown stock (1902)', async () => {
    const sim = await simulator({ data: {} });
    const { client } = clientFor(sim, { sleep: recordingSleep().sleep });

    const error = await caught(client.ka10008Page('999999'));

    expect(error).toBeInstanceOf(UnknownStockError);
    expect(error).toMatchObject({ detailCode: 1902, category: 7, stkCd: '999999', stopsRun: false });
    expect(requestsFor(sim, 'ka10008')).toHaveLength(1);
  });
});

describe('concurrency', () => {
  it('keeps at most maxInFlight requests open at once', async () => {
    let open = 0;
    let most = 0;
    const client = stubbedClient(
      async () => {
        open += 1;
        most = Math.max(most, open);
        await new Promise((resolve) => setTimeout(resolve, 20));
        open -= 1;
        return kiwoomResponse({ stk_frgnr: [] });
      },
      { maxInFlight: 3 },
    );

    await Promise.all(Array.from({ length: 12 }, () => client.ka10008Page('005930')));

    expect(most).toBe(3);
  });
});

describe('configured rate', () => {
  it('defaults to 5/s on the live host and 1/s on the mock host, as the terms say', () => {
    expect(defaultRateLimit('https://api.kiwoom.com')).toBe(5);
    expect(defaultRateLimit('https://mockapi.kiwoom.com')).toBe(1);
  });

  it('starts every API id at the configured rate', async () => {
    const client = stubbedClient(() => kiwoomResponse({ stk_frgnr: [] }), { rateLimit: 7 });

    await client.ka10008Page('005930');

    expect(client.stats().learnedRatePerSecond).toEqual({ ka10008: 7 });
  });
});

// ── stubs for answers the simulator never gives ─────────────────────────────

const staticTokens: TokenSource = { get: async () => 'stub-token', renew: async () => 'stub-token-2' };

function stubbedClient(
  answer: () => Response | Promise<Response>,
  options: Partial<ConstructorParameters<typeof KiwoomClient>[0]> = {},
): KiwoomClient {
  return new KiwoomClient({
    baseUrl: 'http://127.0.0.1:9',
    tokens: staticTokens,
    appKey: APP.appKey,
    rateLimit: 1000,
    limiters: new LimiterRegistry(),
    fetch: async () => answer(),
    sleep: recordingSleep().sleep,
    ...options,
  });
}

function kiwoomResponse(payload: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ return_code: 0, return_msg: '정상적으로 처리되었습니다', ...payload }), {
    status: 200,
    headers: { 'content-type': 'application/json;charset=UTF-8', ...headers },
  });
}
