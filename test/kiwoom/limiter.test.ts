import { describe, expect, it } from 'vitest';
import { LimiterRegistry, RateLimiter, appKeyHash, type RateLimiterOptions } from '../../functions/kiwoom/limiter.ts';

/** A clock that only moves when the limiter sleeps (plus any lateness we add). */
function fakeClock(lateness: () => number = () => 0) {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms + lateness();
    },
  };
  return clock;
}

function limiterAt(rate: number, extra: Partial<RateLimiterOptions> = {}, clock = fakeClock()) {
  return { clock, limiter: new RateLimiter({ ratePerSecond: rate, clock, ...extra }) };
}

async function grants(limiter: RateLimiter, n: number): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, () => limiter.acquire()));
}

/** The most starts that fall in any half-open window [t, t + windowMs). */
function busiestWindow(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j += 1) {
    while (sorted[j]! - sorted[i]! >= windowMs) i += 1;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe('RateLimiter', () => {
  it('never starts more than the rate in any rolling second', async () => {
    const { limiter } = limiterAt(5);
    const starts = await grants(limiter, 100);
    expect(busiestWindow(starts, 1000)).toBe(5);
    expect(busiestWindow(starts, 1015)).toBe(5);
  });

  it('spaces starts evenly instead of waiting for answers (pipelining)', async () => {
    const { limiter } = limiterAt(5);
    const starts = await grants(limiter, 4);
    expect(starts).toEqual([0, 203, 406, 609]);
  });

  it('keeps the rate when timers fire late, without squeezing a window', async () => {
    let i = 0;
    const clock = fakeClock(() => [0, 7, 1, 12, 3][i++ % 5]!);
    const { limiter } = limiterAt(20, {}, clock);
    const starts = await grants(limiter, 200);
    expect(busiestWindow(starts, 1015)).toBeLessThanOrEqual(20);
    const perSecond = (starts.length - 1) / ((starts.at(-1)! - starts[0]!) / 1000);
    expect(perSecond).toBeGreaterThan(0.95 * 20);
  });

  it('drops at once to the allowance a rate-limit answer states', async () => {
    const { limiter } = limiterAt(5);
    const [first] = await grants(limiter, 1);
    limiter.onRateLimited(first!, 2);
    expect(limiter.ratePerSecond).toBe(2);
  });

  it('pauses a full window after a rate-limit answer', async () => {
    const { limiter, clock } = limiterAt(5);
    await grants(limiter, 1);
    clock.t = 300;
    limiter.onRateLimited(0, 2);
    const [next] = await grants(limiter, 1);
    expect(next).toBe(300 + 1015);
  });

  it('halves when the answer states no allowance', async () => {
    const { limiter } = limiterAt(8);
    limiter.onRateLimited(0, null);
    expect(limiter.ratePerSecond).toBe(4);
  });

  it('halves once for a burst of answers to calls sent before the decrease', async () => {
    const { limiter, clock } = limiterAt(8);
    const starts = await grants(limiter, 3);
    clock.t += 100;
    for (const s of starts) limiter.onRateLimited(s, null);
    expect(limiter.ratePerSecond).toBe(4);
  });

  it('ignores a stated allowance above the configured rate', async () => {
    const { limiter } = limiterAt(5);
    limiter.onRateLimited(0, 10);
    expect(limiter.ratePerSecond).toBe(5);
  });

  it('admits whole requests per window at a fractional learned rate', async () => {
    const { limiter, clock } = limiterAt(5);
    limiter.onRateLimited(0, null); // 2.5/s
    clock.t = 10_000;
    const starts = await grants(limiter, 20);
    expect(limiter.ratePerSecond).toBe(2.5);
    expect(busiestWindow(starts, 1015)).toBe(2);
  });

  it('spaces calls further than a window below one request per second', async () => {
    const { limiter } = limiterAt(1);
    limiter.onRateLimited(0, null); // 0.5/s
    const starts = await grants(limiter, 3);
    expect(starts[2]! - starts[1]!).toBeCloseTo(2030, 5);
  });

  it('probes back up by 0.1/s after each 30 s without a rate-limit answer', async () => {
    const { limiter, clock } = limiterAt(5);
    limiter.onRateLimited(0, 2);
    clock.t = 29_000;
    await grants(limiter, 1);
    expect(limiter.ratePerSecond).toBe(2);
    clock.t = 30_001;
    await grants(limiter, 1);
    expect(limiter.ratePerSecond).toBeCloseTo(2.1, 10);
    clock.t = 60_002;
    await grants(limiter, 1);
    expect(limiter.ratePerSecond).toBeCloseTo(2.2, 10);
  });

  it('never probes above the configured rate', async () => {
    const { limiter, clock } = limiterAt(3);
    limiter.onRateLimited(0, 2.95);
    clock.t = 31_000;
    await grants(limiter, 1);
    expect(limiter.ratePerSecond).toBe(3);
  });

  it('restarts the probe clock on every rate-limit answer', async () => {
    const { limiter, clock } = limiterAt(5);
    limiter.onRateLimited(0, 2);
    clock.t = 20_000;
    limiter.onRateLimited(20_000, 2);
    clock.t = 40_000;
    await grants(limiter, 1);
    expect(limiter.ratePerSecond).toBe(2);
  });
});

describe('LimiterRegistry', () => {
  it('gives every caller of one app key and API id the same limiter', () => {
    const registry = new LimiterRegistry();
    const a = registry.limiterFor('my-app-key', 'ka10008', { ratePerSecond: 5 });
    expect(registry.limiterFor('my-app-key', 'ka10008', { ratePerSecond: 5 })).toBe(a);
    expect(registry.limiterFor('my-app-key', 'ka10081', { ratePerSecond: 5 })).not.toBe(a);
    expect(registry.limiterFor('other-app-key', 'ka10008', { ratePerSecond: 5 })).not.toBe(a);
  });

  it('reports learned rates by API id for one app key', () => {
    const registry = new LimiterRegistry();
    registry.limiterFor('my-app-key', 'ka10008', { ratePerSecond: 5 }).onRateLimited(0, 2);
    registry.limiterFor('my-app-key', 'ka10081', { ratePerSecond: 5 });
    expect(registry.learnedRates('my-app-key')).toEqual({ ka10008: 2, ka10081: 5 });
  });

  it('keys by a hash that does not contain the app key', () => {
    expect(appKeyHash('my-app-key')).toMatch(/^[0-9a-f]{16}$/);
    expect(appKeyHash('my-app-key')).not.toContain('my-app-key');
  });
});

describe('RateLimiter after a 1700 at the current rate (issue 11, item 5)', () => {
  const MINUTE = 60_000;

  it('widens the window margin, so later starts leave room for arrival jitter', async () => {
    const { limiter } = limiterAt(5);
    const first = await grants(limiter, 5);
    limiter.onRateLimited(first.at(-1)!, 5);
    const later = await grants(limiter, 40);
    // Kiwoom counts arrivals: 80 ms of spread in arrival times must not put 6 calls into one second.
    expect(busiestWindow(later, 1000 + 80)).toBe(5);
    expect(limiter.marginMs).toBeGreaterThanOrEqual(80);
  });

  it('widens the same way when the rate is fractional but admits the stated allowance per window', async () => {
    const { limiter, clock } = limiterAt(5);
    limiter.onRateLimited(0, 2);
    let start = 0;
    for (let i = 0; i < 4; i += 1) {
      clock.t += 30_001; // one probe step each: up to 2.4, still two per window
      [start] = (await grants(limiter, 1)) as [number];
    }
    expect(limiter.ratePerSecond).toBeCloseTo(2.4, 10);
    limiter.onRateLimited(start, 2);
    expect(limiter.marginMs).toBeGreaterThanOrEqual(80);
    expect(limiter.ratePerSecond).toBe(2);
  });

  it('ignores answers to calls sent before the last widening', async () => {
    const { limiter, clock } = limiterAt(5);
    const starts = await grants(limiter, 5);
    clock.t += 50;
    limiter.onRateLimited(starts[0]!, 5);
    const widened = limiter.marginMs;
    for (const s of starts.slice(1)) limiter.onRateLimited(s, 5);
    expect(widened).toBeGreaterThanOrEqual(80);
    expect(limiter.marginMs).toBe(widened);
  });

  it('widens further after another 1700 at the current rate, up to 400 ms at most', async () => {
    const { limiter, clock } = limiterAt(5);
    const margins: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const [start] = await grants(limiter, 1);
      clock.t += 10;
      limiter.onRateLimited(start!, 5);
      margins.push(limiter.marginMs);
    }
    expect(margins[1]!).toBeGreaterThan(margins[0]!);
    expect(Math.max(...margins)).toBe(400);
  });

  it('keeps the wider margin for ten minutes without a 1700, then earns it back 5 ms per 30 s', async () => {
    const { limiter, clock } = limiterAt(5);
    const [start] = await grants(limiter, 1);
    limiter.onRateLimited(start!, 5);
    const widened = limiter.marginMs;

    clock.t = start! + 9 * MINUTE;
    await grants(limiter, 1);
    expect(limiter.marginMs).toBe(widened);

    clock.t = start! + 10 * MINUTE + 31_000;
    await grants(limiter, 1);
    expect(limiter.marginMs).toBe(widened - 5);

    clock.t = start! + 10 * MINUTE + 62_000;
    await grants(limiter, 1);
    expect(limiter.marginMs).toBe(widened - 10);
  });

  it('starts from a learned state and reports it', () => {
    const limiter = new RateLimiter({ ratePerSecond: 5, clock: fakeClock(), learned: { ratePerSecond: 2, marginMs: 120 } });
    expect(limiter.learned()).toEqual({ ratePerSecond: 2, marginMs: 120 });
    expect(limiter.spacingMs).toBe((1015 + 120) / 2);
  });

  it('keeps a learned state within the configured rate and the margin cap', () => {
    const limiter = new RateLimiter({ ratePerSecond: 3, clock: fakeClock(), learned: { ratePerSecond: 9, marginMs: 5_000 } });
    expect(limiter.learned()).toEqual({ ratePerSecond: 3, marginMs: 400 });
  });
});
