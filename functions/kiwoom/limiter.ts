// Rate limiting by construction, and learned.
//
// Kiwoom counts requests per app key and API id in a rolling one-second
// window and answers the excess with 429 + `[1700 … 유량=N]`. The terms say
// 5/s (1/s on the mock host), but users measure lower allowances per API id,
// and repeated 1700s risk a block. So each (app key, API id) has one limiter,
// shared by every call in the process, that
//  - spaces starts evenly (a call starts when the limiter allows it, not when
//    the previous call returned: pipelining keeps latency out of the rate),
//  - never admits more than the rate in any window of 1000 ms + a margin for
//    timer jitter, checked against the actual start times,
//  - drops at once to the allowance a 1700 states (halves when it states
//    none), pauses a full window so the server's window empties, and
//  - probes back up by `probeStep` per `probeEveryMs` without a 1700, never
//    above the configured rate.
// Kiwoom's allowances are whole requests per second (`유량=N`) and a window
// cannot hold part of a request, so a learned rate of 2.7 admits 2 per
// window: the probe tries one more request per second only after
// (1 / 0.1) × 30 s = 5 minutes without a 1700, which keeps a steady state at
// one 1700 per five minutes at worst.
import { createHash } from 'node:crypto';

export interface LimiterClock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RateLimiterOptions {
  /** Configured requests per second: the ceiling, and the starting rate. */
  ratePerSecond: number;
  /** Kiwoom's window (1000 ms) plus a margin for timer jitter. */
  windowMs?: number;
  /** Added to the learned rate after each `probeEveryMs` without a rate-limit answer. */
  probeStep?: number;
  probeEveryMs?: number;
  /** Never learn below this. */
  minRatePerSecond?: number;
  clock?: Partial<LimiterClock>;
}

export const DEFAULT_WINDOW_MS = 1015;
export const DEFAULT_PROBE_STEP = 0.1;
export const DEFAULT_PROBE_EVERY_MS = 30_000;

const realClock: LimiterClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class RateLimiter {
  readonly configuredRate: number;
  readonly windowMs: number;
  readonly #probeStep: number;
  readonly #probeEveryMs: number;
  readonly #minRate: number;
  readonly #clock: LimiterClock;
  #rate: number;
  /** Actual start times, oldest first; as many as the configured rate admits per window. */
  readonly #starts: number[] = [];
  /** Theoretical start of the next call (even spacing, not delayed by late timers). */
  #nextAt = Number.NEGATIVE_INFINITY;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #lastProbeAt: number;
  /** Callers take turns in arrival order. */
  #turn: Promise<void> = Promise.resolve();

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.configuredRate = options.ratePerSecond;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#probeStep = options.probeStep ?? DEFAULT_PROBE_STEP;
    this.#probeEveryMs = options.probeEveryMs ?? DEFAULT_PROBE_EVERY_MS;
    this.#minRate = Math.min(options.minRatePerSecond ?? 0.1, this.configuredRate);
    this.#clock = { ...realClock, ...options.clock };
    this.#rate = this.configuredRate;
    this.#lastProbeAt = this.#clock.now();
  }

  /** The learned rate, requests per second (may be fractional; see admittedPerWindow). */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** Whole requests admitted per window at the learned rate (at least 1). */
  get admittedPerWindow(): number {
    return Math.max(1, Math.floor(this.#rate));
  }

  /** Even spacing between starts at the learned rate. */
  get spacingMs(): number {
    const effective = this.#rate >= 1 ? Math.floor(this.#rate) : this.#rate;
    return this.windowMs / effective;
  }

  /** Waits for this caller's turn and returns its start time; send at once. */
  acquire(): Promise<number> {
    const granted = this.#turn.then(() => this.#waitForSlot());
    this.#turn = granted.then(
      () => undefined,
      () => undefined,
    );
    return granted;
  }

  /**
   * A call that started at `startedAt` got a rate-limit answer. Drop to the
   * stated allowance (or halve, once per burst of answers), and pause for a
   * full window so the server's count empties before the next start.
   */
  onRateLimited(startedAt: number, allowance: number | null): void {
    const now = this.#clock.now();
    if (allowance !== null && allowance < this.#rate) {
      this.#setRate(allowance, now);
    } else if (allowance === null && startedAt >= this.#lastDecreaseAt) {
      // Answers to calls sent before the last decrease say nothing new.
      this.#setRate(this.#rate / 2, now);
    }
    this.#lastProbeAt = now;
    this.#pausedUntil = Math.max(this.#pausedUntil, now + this.windowMs);
  }

  #setRate(rate: number, now: number): void {
    this.#rate = Math.min(this.configuredRate, Math.max(this.#minRate, rate));
    this.#lastDecreaseAt = now;
  }

  async #waitForSlot(): Promise<number> {
    for (;;) {
      const now = this.#clock.now();
      this.#maybeProbe(now);
      const earliest = this.#earliestStart();
      if (now >= earliest) {
        this.#record(now);
        return now;
      }
      await this.#clock.sleep(earliest - now);
    }
  }

  #earliestStart(): number {
    let earliest = Math.max(this.#nextAt, this.#pausedUntil);
    const admitted = this.admittedPerWindow;
    // The window check uses actual start times, so a late timer can never
    // squeeze one more start into a window than the rate allows.
    if (this.#starts.length >= admitted) {
      const oldestInWindow = this.#starts[this.#starts.length - admitted] ?? Number.NEGATIVE_INFINITY;
      earliest = Math.max(earliest, oldestInWindow + this.windowMs);
    }
    return earliest;
  }

  #record(now: number): void {
    const spacing = this.spacingMs;
    // Catch up at most one interval of timer lateness; after idling, start
    // afresh rather than let a burst through.
    const scheduled = this.#nextAt >= now - spacing ? this.#nextAt : now;
    this.#nextAt = scheduled + spacing;
    this.#starts.push(now);
    const keep = Math.max(1, Math.ceil(this.configuredRate));
    if (this.#starts.length > keep) this.#starts.splice(0, this.#starts.length - keep);
  }

  #maybeProbe(now: number): void {
    if (this.#rate >= this.configuredRate) return;
    if (now - this.#lastProbeAt < this.#probeEveryMs) return;
    this.#rate = Math.min(this.configuredRate, Math.round((this.#rate + this.#probeStep) * 1000) / 1000);
    this.#lastProbeAt = now;
  }
}

/**
 * One limiter per (app key, API id) for the whole process. Keyed by a hash
 * of the app key: the key itself must not sit in a map a heap dump or a
 * debug log could show.
 */
export class LimiterRegistry {
  readonly #limiters = new Map<string, RateLimiter>();

  limiterFor(appKey: string, apiId: string, options: RateLimiterOptions): RateLimiter {
    const id = `${appKeyHash(appKey)}:${apiId}`;
    let limiter = this.#limiters.get(id);
    if (limiter === undefined) {
      limiter = new RateLimiter(options);
      this.#limiters.set(id, limiter);
    }
    return limiter;
  }

  /** Learned rates by API id for one app key. */
  learnedRates(appKey: string): Record<string, number> {
    const prefix = `${appKeyHash(appKey)}:`;
    const rates: Record<string, number> = {};
    for (const [id, limiter] of this.#limiters) {
      if (id.startsWith(prefix)) rates[id.slice(prefix.length)] = limiter.ratePerSecond;
    }
    return rates;
  }
}

/** A short, stable, non-reversible name for an app key. */
export function appKeyHash(appKey: string): string {
  return createHash('sha256').update(`kiwoom-app-key:${appKey}`).digest('hex').slice(0, 16);
}

/** The registry every client in this process shares unless given its own. */
export const sharedLimiters = new LimiterRegistry();
