import { describe, expect, it } from 'vitest';
import { APP, issueToken, ka10008, manualClock, requestToken, rows, simulator } from './fixtures.ts';

const data = { '005930': rows(1) };
const OTHER_APP = { appKey: 'other-appkey', secretKey: 'other-secretkey' };

describe('the rolling one-second allowance', () => {
  it('answers the request past the allowance with HTTP 429 and the live 1700 form', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 2 }, monotonicNow: clock.now });
    const token = await issueToken(sim);

    await ka10008(sim, token, '005930');
    await ka10008(sim, token, '005930');
    const third = await ka10008(sim, token, '005930');

    expect(third.status).toBe(429);
    expect(third.body).toEqual({
      return_code: 5,
      return_msg: '허용된 요청 개수를 초과하였습니다[1700:허용된 (API) 요청 개수를 초과하였습니다. 유량=2, API ID=ka10008]',
    });
  });

  it('accepts again once the earliest request has left the one-second window', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 2 }, monotonicNow: clock.now });
    const token = await issueToken(sim);
    await ka10008(sim, token, '005930');
    clock.advance(400);
    await ka10008(sim, token, '005930');

    clock.advance(599);
    const stillFull = await ka10008(sim, token, '005930');
    clock.advance(1);
    const admitted = await ka10008(sim, token, '005930');

    expect(stillFull.status).toBe(429);
    expect(admitted.body['return_code']).toBe(0);
  });

  it('does not count rejected requests in the window by default', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 1 }, monotonicNow: clock.now });
    const token = await issueToken(sim);
    await ka10008(sim, token, '005930');
    clock.advance(900);
    await ka10008(sim, token, '005930'); // rejected

    clock.advance(100);
    const reply = await ka10008(sim, token, '005930');

    expect(reply.body['return_code']).toBe(0);
  });

  it('counts rejected requests in the window when countRejected is on', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 1 }, countRejected: true, monotonicNow: clock.now });
    const token = await issueToken(sim);
    await ka10008(sim, token, '005930');
    clock.advance(900);
    await ka10008(sim, token, '005930'); // rejected, but counted

    clock.advance(100);
    const reply = await ka10008(sim, token, '005930');

    expect(reply.status).toBe(429);
  });

  it('keeps a separate allowance per API id', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 1, au10001: 5 }, monotonicNow: clock.now });
    const token = await issueToken(sim);
    await ka10008(sim, token, '005930');

    const tokenCall = await requestToken(sim);

    expect(tokenCall.body['return_code']).toBe(0);
  });

  it('limits token calls as au10001', async () => {
    const clock = manualClock();
    const sim = await simulator({ allowance: { au10001: 2 }, monotonicNow: clock.now });
    await requestToken(sim);
    await requestToken(sim);

    const third = await requestToken(sim);

    expect(third.status).toBe(429);
    expect(third.body['return_msg']).toContain('유량=2, API ID=au10001]');
  });

  it('keeps a separate allowance per app key', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, apps: [APP, OTHER_APP], allowance: { ka10008: 1 }, monotonicNow: clock.now });
    const token = await issueToken(sim, APP);
    const otherToken = await issueToken(sim, OTHER_APP);
    await ka10008(sim, token, '005930');

    const reply = await ka10008(sim, otherToken, '005930');

    expect(reply.body['return_code']).toBe(0);
  });

  it('applies an allowance changed at run time', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 5 }, monotonicNow: clock.now });
    const token = await issueToken(sim);
    sim.setAllowance('ka10008', 1);
    await ka10008(sim, token, '005930');

    const reply = await ka10008(sim, token, '005930');

    expect(reply.status).toBe(429);
    expect(reply.body['return_msg']).toContain('유량=1,');
  });

  it('does not count answers for an invalid token in the window', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 1 }, monotonicNow: clock.now });
    const token = await issueToken(sim);
    await ka10008(sim, 'stale-token', '005930');

    const reply = await ka10008(sim, token, '005930');

    expect(reply.body['return_code']).toBe(0);
  });

  it('measures the window at arrival, before the added latency', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 1 }, latencyMs: 30, monotonicNow: clock.now });
    const token = await issueToken(sim);
    const first = ka10008(sim, token, '005930');
    await new Promise((resolve) => setTimeout(resolve, 10)); // let the first request arrive
    clock.advance(1_000);

    const second = await ka10008(sim, token, '005930');

    expect((await first).body['return_code']).toBe(0);
    expect(second.body['return_code']).toBe(0);
    expect(sim.requests.map((r) => r.timeMs)).toEqual([1_000, 1_000, 2_000]);
  });

  it('counts the 1700 answers in stats', async () => {
    const clock = manualClock();
    const sim = await simulator({ data, allowance: { ka10008: 1 }, monotonicNow: clock.now });
    const token = await issueToken(sim);
    await ka10008(sim, token, '005930');
    await ka10008(sim, token, '005930');
    await ka10008(sim, token, '005930');

    expect(sim.stats().rateLimited).toBe(2);
  });
});
