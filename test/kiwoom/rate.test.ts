// The limiter against the simulator's strict rolling window, on a virtual
// clock: the client's limiter and backoff, and the simulator's window, read
// one clock that moves only when the client sleeps, so the figures are exact
// and no test waits. Calls are sequential, so each reaches the counter at its
// start time (plus injected jitter). The same behaviour in real time, with
// pipelined calls and real latency, is `npm run bench`.
import { describe, expect, it } from 'vitest';
import { busiestSecond } from '../../local/kiwoom-simulator/request-log.ts';
import type { KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { mulberry32 } from '../../local/kiwoom-simulator/dataset.ts';
import { clientFor, history, requestsFor, simulator, virtualClock } from './support.ts';

function codes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(100_000 + i));
}

async function simulatorWithCodes(n: number, allowance: number, clock: ReturnType<typeof virtualClock>, seed = 1) {
  return simulator({
    allowance: { ka10008: allowance, au10001: 5 },
    data: Object.fromEntries(codes(n).map((c) => [c, history(c, 3)])),
    monotonicNow: clock.now,
    sleep: async () => undefined,
    random: mulberry32(seed),
  });
}

async function fetchInTurn(client: ReturnType<typeof clientFor>['client'], list: string[]): Promise<void> {
  for (const stkCd of list) await client.ka10008Page(stkCd);
}

function answers(sim: KiwoomSimulator): string[] {
  return requestsFor(sim, 'ka10008').map((r) => r.outcome?.detailCode ?? 'ok');
}

describe('rate limiting against the strict window', () => {
  it('sends 60 requests at the 20/s allowance without a single 1700, at the full rate', async () => {
    const clock = virtualClock(1_000);
    const sim = await simulatorWithCodes(60, 20, clock);
    const { client } = clientFor(sim, { rateLimit: 20, now: clock.now, sleep: clock.sleep });

    await fetchInTurn(client, codes(60));

    const arrivals = requestsFor(sim, 'ka10008').map((r) => r.timeMs);
    expect(sim.stats().rateLimited).toBe(0);
    expect(arrivals).toHaveLength(60);
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(20);
    const perSecond = (arrivals.length - 1) / ((arrivals.at(-1)! - arrivals[0]!) / 1000);
    expect(perSecond).toBeGreaterThanOrEqual(0.95 * 20);
  });

  it('learns a lower allowance the server states (2/s, configured 5/s) and then draws no more 1700s', async () => {
    const clock = virtualClock(1_000);
    const sim = await simulatorWithCodes(12, 2, clock);
    const { client } = clientFor(sim, { rateLimit: 5, now: clock.now, sleep: clock.sleep, random: () => 0 });

    await fetchInTurn(client, codes(12));

    const seen = answers(sim);
    expect(seen.filter((a) => a === '1700')).toHaveLength(1);
    expect(seen.lastIndexOf('1700')).toBeLessThan(5);
    expect(client.stats().learnedRatePerSecond).toEqual({ ka10008: 2 });
  });
});

describe('arrival jitter at the allowance (issue 11, item 5)', () => {
  // ±40 ms on the way in, as a new TLS connection adds: starts 1015 ms apart
  // can reach Kiwoom 935 ms apart, one call too many in its window.
  for (const allowance of [1, 5]) {
    it(`stops drawing 1700s after the first under ±40 ms jitter at ${allowance}/s`, async () => {
      const clock = virtualClock(1_000);
      const n = 150;
      const sim = await simulatorWithCodes(n, allowance, clock, 11 * allowance);
      sim.inject({ kind: 'jitter', ms: 40 });
      const { client } = clientFor(sim, { rateLimit: allowance, now: clock.now, sleep: clock.sleep, random: () => 0 });

      await fetchInTurn(client, codes(n));

      const seen = answers(sim);
      expect(seen.filter((a) => a === '1700').length).toBeLessThanOrEqual(1);
      expect(seen.filter((a) => a === 'ok')).toHaveLength(n);
    });
  }
});
