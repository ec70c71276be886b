import { describe, expect, it } from 'vitest';
import { issueToken, ka10008, post, row, rows, simulator } from './fixtures.ts';

describe('ka10008 foreign holdings', () => {
  it('serves the rows newest first with the live success body and cont-yn N on the only page', async () => {
    const history = [row('20241105', { limit_exh_rt: '+26.10' }), row('20241101')];
    const sim = await simulator({ data: { '005930': history } });
    const token = await issueToken(sim);

    const reply = await ka10008(sim, token, '005930');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ stk_frgnr: history, return_code: 0, return_msg: '정상적으로 처리되었습니다' });
    expect(reply.headers.get('api-id')).toBe('ka10008');
    expect(reply.headers.get('cont-yn')).toBe('N');
    expect(reply.headers.get('next-key')).toBe('');
  });

  it('pages through three continuation pages with cont-yn and next-key', async () => {
    const history = rows(125);
    const sim = await simulator({ data: { '005930': history } });
    const token = await issueToken(sim);

    const first = await ka10008(sim, token, '005930');
    const second = await ka10008(sim, token, '005930', { nextKey: first.headers.get('next-key')! });
    const third = await ka10008(sim, token, '005930', { nextKey: second.headers.get('next-key')! });

    expect([first, second, third].map((r) => r.headers.get('cont-yn'))).toEqual(['Y', 'Y', 'N']);
    expect(third.headers.get('next-key')).toBe('');
    expect([first, second, third].flatMap((r) => r.body['stk_frgnr'] as unknown[])).toEqual(history);
    expect((first.body['stk_frgnr'] as unknown[]).length).toBe(50);
  });

  it('uses the configured page size', async () => {
    const sim = await simulator({ data: { '005930': rows(5) }, pageSize: 2 });
    const token = await issueToken(sim);

    const reply = await ka10008(sim, token, '005930');

    expect((reply.body['stk_frgnr'] as unknown[]).length).toBe(2);
    expect(reply.headers.get('next-key')!.length).toBeLessThanOrEqual(50);
  });

  it('accepts the bearer scheme in any case', async () => {
    const sim = await simulator({ data: { '005930': rows(1) } });
    const token = await issueToken(sim);

    const reply = await post(sim, '/api/dostk/frgnistt', { stk_cd: '005930' }, { 'api-id': 'ka10008', authorization: `bEaReR ${token}` });

    expect(reply.body['return_code']).toBe(0);
  });

  it('answers an unknown token with HTTP 200 and the live 8005 form', async () => {
    const sim = await simulator({ data: { '005930': rows(1) } });

    const reply = await ka10008(sim, 'not-a-token', '005930');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ return_code: 3, return_msg: '인증에 실패했습니다[8005:Token이 유효하지 않습니다]' });
  });

  it('answers an unknown stock code with category 7 and detail 1902', async () => {
    const sim = await simulator({ data: { '005930': rows(1) } });
    const token = await issueToken(sim);

    const reply = await ka10008(sim, token, '999999');

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ return_code: 7, return_msg: '종목 정보가 없습니다[1902:종목 정보가 없습니다]' });
  });

  it('answers a missing stk_cd with category 2 and detail 1511', async () => {
    const sim = await simulator();
    const token = await issueToken(sim);

    const reply = await post(sim, '/api/dostk/frgnistt', {}, { 'api-id': 'ka10008', authorization: `Bearer ${token}` });

    expect(reply.body['return_code']).toBe(2);
    expect(reply.body['return_msg']).toMatch(/\[1511:.*stk_cd/);
  });

  it('answers an api-id this URI does not serve with category 1 and detail 1504', async () => {
    const sim = await simulator();
    const token = await issueToken(sim);

    const reply = await post(sim, '/api/dostk/frgnistt', { stk_cd: '005930' }, { 'api-id': 'ka10081', authorization: `Bearer ${token}` });

    expect(reply.body['return_code']).toBe(1);
    expect(reply.body['return_msg']).toContain('[1504:');
  });

  it('answers a missing api-id with detail 1501', async () => {
    const sim = await simulator();
    const token = await issueToken(sim);

    const reply = await post(sim, '/api/dostk/frgnistt', { stk_cd: '005930' }, { authorization: `Bearer ${token}` });

    expect(reply.body['return_msg']).toContain('[1501:');
  });

  it('answers an unknown path with detail 1504', async () => {
    const sim = await simulator();

    const reply = await post(sim, '/api/dostk/nothing', { stk_cd: '005930' }, { 'api-id': 'ka10008' });

    expect(reply.body['return_code']).toBe(1);
    expect(reply.body['return_msg']).toContain('[1504:');
  });

  it('answers cont-yn Y with an unknown next-key as bad input', async () => {
    const sim = await simulator({ data: { '005930': rows(3) } });
    const token = await issueToken(sim);

    const reply = await ka10008(sim, token, '005930', { nextKey: 'bm9wZQ' });

    expect(reply.body['return_code']).toBe(2);
    expect(reply.body['return_msg']).toMatch(/\[1517:.*next-key/);
  });

  it('rejects a next-key issued for another stock code', async () => {
    const sim = await simulator({ data: { '005930': rows(3), '017670': rows(3) }, pageSize: 1 });
    const token = await issueToken(sim);
    const first = await ka10008(sim, token, '005930');

    const reply = await ka10008(sim, token, '017670', { nextKey: first.headers.get('next-key')! });

    expect(reply.body['return_msg']).toContain('[1517:');
  });

  it('serves a revised day on the next fetch', async () => {
    const sim = await simulator({ data: { '005930': [row('20241105', { chg_qty: '0' }), row('20241104')] } });
    const token = await issueToken(sim);

    sim.reviseDay('005930', '20241105', { chg_qty: '+21107', poss_stkcnt: '6663509' });
    const reply = await ka10008(sim, token, '005930');

    expect((reply.body['stk_frgnr'] as Record<string, string>[])[0]).toMatchObject({
      dt: '20241105',
      chg_qty: '+21107',
      poss_stkcnt: '6663509',
    });
  });

  it('serves rows set after start, and keeps its own copy of them', async () => {
    const sim = await simulator();
    const token = await issueToken(sim);
    const history = [row('20241105')];

    sim.setRows('039490_NX', history);
    history[0]!.chg_qty = '+999';
    const reply = await ka10008(sim, token, '039490_NX');

    expect(reply.body['stk_frgnr']).toEqual([row('20241105')]);
    expect(sim.rows('039490_NX')).toEqual([row('20241105')]);
  });
});
