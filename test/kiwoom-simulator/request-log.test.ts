import { describe, expect, it } from 'vitest';
import { APP, issueToken, ka10008, manualClock, post, rows, simulator } from './fixtures.ts';

const data = { '005930': rows(1) };

describe('the request log', () => {
  it('records the authorization header without the token', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);

    await ka10008(sim, token, '005930');

    const call = sim.requests.find((r) => r.apiId === 'ka10008');
    expect(call?.headers['authorization']).toBe('Bearer <redacted>');
    expect(JSON.stringify(sim.requests)).not.toContain(token);
  });

  it('records token calls without the app key or the secret key', async () => {
    const sim = await simulator();

    await issueToken(sim);

    expect(sim.requests[0]?.body).toEqual({ grant_type: 'client_credentials', appkey: '<redacted>', secretkey: '<redacted>' });
    const logged = JSON.stringify(sim.requests);
    expect(logged).not.toContain(APP.appKey);
    expect(logged).not.toContain(APP.secretKey);
  });

  it('records method, path, api id, body and outcome of each request in arrival order', async () => {
    const clock = manualClock(5_000);
    const sim = await simulator({ data, monotonicNow: clock.now });
    const token = await issueToken(sim);
    clock.advance(10);

    await ka10008(sim, token, '999999');

    expect(sim.requests[1]).toMatchObject({
      seq: 2,
      timeMs: 5_010,
      method: 'POST',
      path: '/api/dostk/frgnistt',
      apiId: 'ka10008',
      body: { stk_cd: '999999' },
      outcome: { httpStatus: 200, returnCode: 7, detailCode: '1902' },
    });
  });

  it('records the rows served and whether more exist', async () => {
    const sim = await simulator({ data: { '005930': rows(3) }, pageSize: 2 });
    const token = await issueToken(sim);

    await ka10008(sim, token, '005930');

    expect(sim.requests[1]?.outcome).toEqual({ httpStatus: 200, returnCode: 0, rows: 2, contYn: 'Y' });
  });

  it('counts requests in total and by API id', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);
    await ka10008(sim, token, '005930');
    await ka10008(sim, token, '005930');
    await post(sim, '/oauth2/revoke', { appkey: APP.appKey, secretkey: APP.secretKey, token });

    expect(sim.stats()).toEqual({ total: 4, byApiId: { au10001: 1, ka10008: 2, au10002: 1 }, rateLimited: 0 });
  });

  it('empties the log and resets the counters on clearRequests', async () => {
    const sim = await simulator({ data });
    await issueToken(sim);

    sim.clearRequests();

    expect(sim.requests).toEqual([]);
    expect(sim.stats()).toEqual({ total: 0, byApiId: {}, rateLimited: 0 });
  });
});
