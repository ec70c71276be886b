import { describe, expect, it } from 'vitest';
import { APP, issueToken, ka10008, post, requestToken, row, simulator } from './fixtures.ts';

const data = { '005930': [row('20241105')] };

describe('au10001 token issuance', () => {
  it('issues a bearer token whose expires_dt is 24 hours later in Korea Standard Time', async () => {
    const sim = await simulator({ now: () => new Date('2024-11-06T23:37:13.400Z') });

    const reply = await requestToken(sim);

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      expires_dt: '20241108083713',
      token_type: 'bearer',
      return_code: 0,
      return_msg: '정상적으로 처리되었습니다',
    });
    expect(reply.body['token']).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it('writes token_type as configured', async () => {
    const sim = await simulator({ tokenType: 'Bearer' });

    expect((await requestToken(sim)).body['token_type']).toBe('Bearer');
  });

  it('answers an unknown app key with HTTP 200, category 3 and detail 8001', async () => {
    const sim = await simulator();

    const reply = await requestToken(sim, { appKey: 'nobody', secretKey: APP.secretKey });

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ return_code: 3, return_msg: '인증에 실패했습니다[8001:App Key와 Secret Key 검증에 실패했습니다]' });
  });

  it('answers a wrong secret key with detail 8002', async () => {
    const sim = await simulator();

    const reply = await requestToken(sim, { appKey: APP.appKey, secretKey: 'wrong' });

    expect(reply.body['return_code']).toBe(3);
    expect(reply.body['return_msg']).toMatch(/^인증에 실패했습니다\[8002:/);
  });

  it('answers a missing grant_type with detail 8011', async () => {
    const sim = await simulator();

    const reply = await post(sim, '/oauth2/token', { appkey: APP.appKey, secretkey: APP.secretKey });

    expect(reply.body['return_msg']).toMatch(/\[8011:/);
  });

  it('invalidates the previous token of the app key when it issues a new one', async () => {
    const sim = await simulator({ data });
    const first = await issueToken(sim);
    const second = await issueToken(sim);

    const withFirst = await ka10008(sim, first, '005930');
    const withSecond = await ka10008(sim, second, '005930');

    expect(withFirst.body).toEqual({ return_code: 3, return_msg: '인증에 실패했습니다[8005:Token이 유효하지 않습니다]' });
    expect(withSecond.body['return_code']).toBe(0);
  });

  it('keeps the previous token valid when invalidatePreviousToken is off', async () => {
    const sim = await simulator({ data, invalidatePreviousToken: false });
    const first = await issueToken(sim);
    await issueToken(sim);

    expect((await ka10008(sim, first, '005930')).body['return_code']).toBe(0);
  });

  it('rejects a token once its lifetime has passed on the injected clock', async () => {
    let now = new Date('2024-11-06T00:00:00Z');
    const sim = await simulator({ data, tokenTtlMs: 60_000, now: () => now });
    const token = await issueToken(sim);

    now = new Date('2024-11-06T00:01:00Z');
    const reply = await ka10008(sim, token, '005930');

    expect(reply.body['return_msg']).toContain('[8005:');
  });

  it('counts the tokens it issued', async () => {
    const sim = await simulator();
    await issueToken(sim);
    await issueToken(sim);
    await requestToken(sim, { appKey: 'nobody', secretKey: 'x' });

    expect(sim.issuedTokens()).toBe(2);
  });
});

describe('au10002 token revocation', () => {
  it('makes a revoked token answer 8005', async () => {
    const sim = await simulator({ data });
    const token = await issueToken(sim);

    const revoked = await post(sim, '/oauth2/revoke', { appkey: APP.appKey, secretkey: APP.secretKey, token });
    const after = await ka10008(sim, token, '005930');

    expect(revoked.body).toEqual({ return_code: 0, return_msg: '정상적으로 처리되었습니다' });
    expect(after.body['return_msg']).toContain('[8005:');
  });
});

describe('au10001 handing back the current token', () => {
  it('answers with the same token and its original expiry while it is valid, and a new one after it expired', async () => {
    let now = new Date('2024-11-06T00:00:00Z');
    const sim = await simulator({ now: () => now, tokenTtlMs: 60 * 60_000, sameTokenWhileValid: true });

    const first = await requestToken(sim);
    now = new Date('2024-11-06T00:55:00Z');
    const again = await requestToken(sim);
    now = new Date('2024-11-06T01:00:01Z');
    const after = await requestToken(sim);

    expect(again.body['token']).toBe(first.body['token']);
    expect(again.body['expires_dt']).toBe(first.body['expires_dt']);
    expect(after.body['token']).not.toBe(first.body['token']);
    expect(sim.issuedTokens()).toBe(2);
  });
});
