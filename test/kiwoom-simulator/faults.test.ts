import { describe, expect, it } from 'vitest';
import type { GarbageForm } from '../../local/kiwoom-simulator/server.ts';
import { issueToken, ka10008, requestToken, rows, simulator } from './fixtures.ts';

const data = { '005930': rows(3), '017670': rows(3) };

function rawKa10008(url: string, token: string, stkCd: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/api/dostk/frgnistt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json;charset=UTF-8', 'api-id': 'ka10008', authorization: `Bearer ${token}` },
    body: JSON.stringify({ stk_cd: stkCd }),
    ...(signal === undefined ? {} : { signal }),
  });
}

describe('injected faults', () => {
  it('answers the next N requests with HTTP 500, then normally', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'http500', count: 2 });

    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await rawKa10008(sim.url, token, '005930')).status);

    expect(statuses).toEqual([500, 500, 200]);
  });

  it('scopes a fault to one stock code', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'http500', stkCd: '017670' });

    const other = await rawKa10008(sim.url, token, '005930');
    const scoped = await rawKa10008(sim.url, token, '017670');

    expect([other.status, scoped.status]).toEqual([200, 500]);
  });

  it('leaves token calls alone unless a fault names au10001', async () => {
    const sim = await simulator({ data });
    sim.inject({ kind: 'http500' });

    expect((await requestToken(sim)).body['return_code']).toBe(0);
  });

  it('applies a fault to token calls when scoped to au10001', async () => {
    const sim = await simulator();
    sim.inject({ kind: 'garbage', form: 'html', apiId: 'au10001', count: 1 });

    const response = await fetch(`${sim.url}/oauth2/token`, { method: 'POST', body: '{}' });

    expect(await response.text()).toContain('<html>');
  });

  it('keeps a fault without count until the faults are cleared', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'http500' });
    await rawKa10008(sim.url, token, '005930');
    const stillFailing = await rawKa10008(sim.url, token, '005930');

    sim.clearFaults();
    const healed = await rawKa10008(sim.url, token, '005930');

    expect([stillFailing.status, healed.status]).toEqual([500, 200]);
  });

  it('drops the connection unanswered after holding a timed-out request', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'timeout', holdMs: 50, count: 1 });

    await expect(rawKa10008(sim.url, token, '005930')).rejects.toThrow();
    expect(sim.requests.at(-1)?.outcome).toEqual({ httpStatus: null, fault: 'timeout' });
  });

  it('holds a timed-out request until the client gives up', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'timeout', count: 1 });

    await expect(rawKa10008(sim.url, token, '005930', AbortSignal.timeout(100))).rejects.toThrow();
    await expect.poll(() => sim.requests.at(-1)?.outcome).toEqual({ httpStatus: null, fault: 'timeout' });
  });

  it('answers a held request normally when afterHold is answer', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'timeout', holdMs: 20, afterHold: 'answer', count: 1 });

    const reply = await ka10008(sim, token, '005930');

    expect(reply.body['return_code']).toBe(0);
  });

  it.each<[GarbageForm, (body: string) => void]>([
    ['html', (body) => expect(body).toMatch(/^<!DOCTYPE html>/)],
    ['text', (body) => expect(() => JSON.parse(body) as unknown).toThrow()],
    ['noReturnCode', (body) => expect(JSON.parse(body)).not.toHaveProperty('return_code')],
    ['truncated', (body) => expect(() => JSON.parse(body) as unknown).toThrow()],
    ['empty', (body) => expect(body).toBe('')],
  ])('answers a %s garbage body with HTTP 200', async (form, check) => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'garbage', form, count: 1 });

    const response = await rawKa10008(sim.url, token, '005930');

    expect(response.status).toBe(200);
    check(await response.text());
  });

  it('answers a burst of 1700 regardless of the window', async () => {
    const sim = await simulator({ data, allowance: { ka10008: 100 } });
    const token = await issueToken(sim);
    sim.inject({ kind: 'rateLimit', count: 2 });

    const replies = [];
    for (let i = 0; i < 3; i += 1) replies.push(await ka10008(sim, token, '005930'));

    expect(replies.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(replies[0]!.body['return_msg']).toContain('[1700:허용된 (API) 요청 개수를 초과하였습니다. 유량=100, API ID=ka10008]');
    expect(sim.stats().rateLimited).toBe(2);
  });

  it('can send the 1700 burst with HTTP 200, as some clients saw', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'rateLimit', count: 1, httpStatus: 200 });

    const reply = await ka10008(sim, token, '005930');

    expect(reply.status).toBe(200);
    expect(reply.body['return_code']).toBe(5);
  });

  it('invalidates every current token on expireTokens, while new tokens work', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);

    sim.expireTokens();
    const stale = await ka10008(sim, token, '005930');
    const fresh = await ka10008(sim, await issueToken(sim), '005930');

    expect(stale.body['return_msg']).toContain('[8005:');
    expect(fresh.body['return_code']).toBe(0);
  });

  it('answers 8005 for a valid token with the tokenRejected fault, once', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'tokenRejected', count: 1 });

    const rejected = await ka10008(sim, token, '005930');
    const accepted = await ka10008(sim, token, '005930');

    expect(rejected.body['return_msg']).toContain('[8005:');
    expect(accepted.body['return_code']).toBe(0);
  });

  it('answers any Kiwoom error form, such as a string return_code', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'kiwoomError', returnCode: '3', returnMsg: '인증에 실패했습니다[8010:Token을 발급받은 IP와 서비스를 요청한 IP가 동일하지 않습니다]', count: 1 });

    const reply = await ka10008(sim, token, '005930');

    expect(reply.body['return_code']).toBe('3');
    expect(sim.requests.at(-1)?.outcome).toMatchObject({ returnCode: '3', detailCode: '8010', fault: 'kiwoomError' });
  });

  it('adds a latency fault to the answer time of matching requests only', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'latency', ms: 150, stkCd: '017670' });

    const fastStart = performance.now();
    await ka10008(sim, token, '005930');
    const fast = performance.now() - fastStart;
    const slowStart = performance.now();
    await ka10008(sim, token, '017670');
    const slow = performance.now() - slowStart;

    expect(slow).toBeGreaterThanOrEqual(145);
    expect(fast).toBeLessThan(145);
  });

  it('adds the global latency before every answer', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.setLatency(120);

    const start = performance.now();
    await ka10008(sim, token, '005930');

    expect(performance.now() - start).toBeGreaterThanOrEqual(115);
  });

  it('rejects a fault it does not know', async () => {
    const sim = await simulator();

    expect(() => sim.inject({ kind: 'meteor' } as never)).toThrow(/unknown fault kind/);
  });

  it('takes faults over its admin endpoint for manual use', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    await fetch(`${sim.url}/__sim/faults`, { method: 'POST', body: JSON.stringify({ kind: 'http500', count: 1 }) });

    const response = await rawKa10008(sim.url, token, '005930');

    expect(response.status).toBe(500);
    expect(sim.requests.map((r) => r.path)).not.toContain('/__sim/faults');
  });
});

describe('arrival jitter', () => {
  it('counts a request at receipt plus a delay drawn from [0, 2 × ms], and waits that long before answering', async () => {
    let t = 1_000;
    const waits: number[] = [];
    const draws = [0, 0.5, 1];
    const sim = await simulator({
      data,
      monotonicNow: () => t,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => draws.shift() ?? 0,
    });
    const token = await issueToken(sim);
    sim.inject({ kind: 'jitter', ms: 40, count: 3 });

    for (let i = 0; i < 4; i += 1) {
      await rawKa10008(sim.url, token, '005930');
      t += 1_000;
    }

    const arrivals = sim.requests.filter((r) => r.apiId === 'ka10008').map((r) => r.timeMs);
    expect(arrivals).toEqual([1_000, 2_040, 3_080, 4_000]);
    expect(waits.filter((ms) => ms > 0)).toEqual([40, 80]);
  });

  it('lets the rolling window judge a jittered request by its later arrival', async () => {
    let t = 1_000;
    const draws = [1, 0];
    const sim = await simulator({
      data,
      allowance: { ka10008: 1 },
      monotonicNow: () => t,
      sleep: async () => undefined,
      random: () => draws.shift() ?? 0,
    });
    const token = await issueToken(sim);
    sim.inject({ kind: 'jitter', ms: 40, count: 2 });

    const slow = await rawKa10008(sim.url, token, '005930'); // reaches the counter 80 ms late
    t += 1_015;
    const fast = await rawKa10008(sim.url, token, '005930'); // on time: 935 ms after the slow one

    expect([slow.status, fast.status]).toEqual([200, 429]);
  });

  it('rejects a jitter fault without a non-negative ms', async () => {
    const sim = await simulator();
    expect(() => sim.inject({ kind: 'jitter', ms: -1 })).toThrow(/jitter fault needs ms >= 0/);
  });
});

describe('charsets', () => {
  it('sends a Kiwoom error in EUC-KR when asked, and names the charset', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    const returnMsg = '인증에 실패했습니다[8005:Token이 유효하지 않습니다]';
    sim.inject({ kind: 'kiwoomError', returnCode: 3, returnMsg, charset: 'euc-kr', count: 1 });

    const response = await rawKa10008(sim.url, token, '005930');
    const bytes = new Uint8Array(await response.arrayBuffer());

    expect(response.headers.get('content-type')).toBe('application/json;charset=EUC-KR');
    expect(new TextDecoder('utf-8').decode(bytes)).not.toContain('인증');
    expect(JSON.parse(new TextDecoder('euc-kr').decode(bytes))).toEqual({ return_code: 3, return_msg: returnMsg });
  });

  it('adds extra top-level fields to an injected Kiwoom answer', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    sim.inject({ kind: 'kiwoomError', returnCode: 0, returnMsg: '정상적으로 처리되었습니다', extra: { stk_frgnr: [] } });

    expect((await rawKa10008(sim.url, token, '005930').then((r) => r.json())) as unknown).toEqual({
      stk_frgnr: [],
      return_code: 0,
      return_msg: '정상적으로 처리되었습니다',
    });
  });
});
