// Small factories for the simulator's tests: start one per test, talk to it
// over real HTTP the way the Kiwoom client does.
import { afterEach } from 'vitest';
import type { RawRow } from '../../functions/domain/types.ts';
import { startKiwoomSimulator, type KiwoomSimulator, type SimulatorOptions } from '../../local/kiwoom-simulator/server.ts';

export const APP = { appKey: 'test-appkey', secretKey: 'test-secretkey' };

const running: KiwoomSimulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** A simulator closed after the test. */
export async function simulator(options: SimulatorOptions = {}): Promise<KiwoomSimulator> {
  const sim = await startKiwoomSimulator({ apps: [APP], ...options });
  running.push(sim);
  return sim;
}

/** A monotonic clock the test moves by hand, for the rate window. */
export function manualClock(startMs = 1_000): { now: () => number; advance(ms: number): void } {
  let t = startMs;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
  };
}

export interface KiwoomReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function post(
  sim: KiwoomSimulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<KiwoomReply> {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown> };
}

export function requestToken(sim: KiwoomSimulator, app: { appKey: string; secretKey: string } = APP): Promise<KiwoomReply> {
  return post(sim, '/oauth2/token', { grant_type: 'client_credentials', appkey: app.appKey, secretkey: app.secretKey });
}

export async function issueToken(sim: KiwoomSimulator, app = APP): Promise<string> {
  const reply = await requestToken(sim, app);
  if (typeof reply.body['token'] !== 'string') throw new Error(`no token issued: ${reply.body['return_msg']}`);
  return reply.body['token'];
}

export function ka10008(
  sim: KiwoomSimulator,
  token: string,
  stkCd: string,
  continuation?: { nextKey: string },
): Promise<KiwoomReply> {
  const headers: Record<string, string> = { 'api-id': 'ka10008', authorization: `Bearer ${token}` };
  if (continuation !== undefined) {
    headers['cont-yn'] = 'Y';
    headers['next-key'] = continuation.nextKey;
  }
  return post(sim, '/api/dostk/frgnistt', { stk_cd: stkCd }, headers);
}

/** A plausible row; the simulator serves rows as given. */
export function row(dt: string, overrides: Partial<RawRow> = {}): RawRow {
  return {
    dt,
    close_pric: '65100',
    pred_pre: '0',
    trde_qty: '0',
    chg_qty: '0',
    poss_stkcnt: '6642402',
    wght: '+26.02',
    gain_pos_stkcnt: '18884304',
    frgnr_limit: '25526706',
    frgnr_limit_irds: '0',
    limit_exh_rt: '+26.02',
    ...overrides,
  };
}

/** `count` rows with distinct days, newest first. */
export function rows(count: number): RawRow[] {
  return Array.from({ length: count }, (_, i) => row(String(20241231 - i)));
}
