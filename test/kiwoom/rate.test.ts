// Real-time tests of the limiter against the simulator's strict rolling
// window (a few seconds each): the client must pipeline up to the allowance
// without a single 1700, and settle at a lower allowance the server states.
import { describe, expect, it } from 'vitest';
import { busiestSecond } from '../../local/kiwoom-simulator/request-log.ts';
import type { KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { clientFor, history, requestsFor, simulator } from './support.ts';

function codes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(100_000 + i));
}

async function simulatorWithCodes(n: number, allowance: number, latencyMs: number): Promise<KiwoomSimulator> {
  return simulator({
    latencyMs,
    allowance: { ka10008: allowance, au10001: 5 },
    data: Object.fromEntries(codes(n).map((c) => [c, history(c, 3)])),
  });
}

describe('rate limiting against the strict window', () => {
  it('sends 60 requests at the 20/s allowance without a single 1700', async () => {
    const sim = await simulatorWithCodes(60, 20, 50);
    const { client } = clientFor(sim, { rateLimit: 20 });

    await Promise.all(codes(60).map((c) => client.ka10008Page(c)));

    const arrivals = requestsFor(sim, 'ka10008').map((r) => r.timeMs);
    expect(sim.stats().rateLimited).toBe(0);
    expect(arrivals).toHaveLength(60);
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(20);
    const perSecond = (arrivals.length - 1) / ((arrivals.at(-1)! - arrivals[0]!) / 1000);
    expect(perSecond).toBeGreaterThanOrEqual(0.95 * 20);
  });

  it('learns a lower allowance the server states (2/s, configured 5/s) and then draws no more 1700s', async () => {
    const sim = await simulatorWithCodes(12, 2, 100);
    const { client } = clientFor(sim, { rateLimit: 5 });

    const pages = await Promise.all(codes(12).map((c) => client.ka10008Page(c)));

    expect(pages).toHaveLength(12);
    const answers = requestsFor(sim, 'ka10008').map((r) => r.outcome?.detailCode);
    const lastRateLimited = answers.lastIndexOf('1700');
    expect(sim.stats().rateLimited).toBeGreaterThanOrEqual(1);
    expect(sim.stats().rateLimited).toBeLessThanOrEqual(3);
    expect(lastRateLimited).toBeLessThan(5);
    expect(client.stats().learnedRatePerSecond).toEqual({ ka10008: 2 });
  });
});
