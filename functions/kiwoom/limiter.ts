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
//    none), pauses a full window so the server's window empties,
//  - widens the window's margin when a 1700 states the rate it already
//    keeps: Kiwoom counts arrivals, not our start times, so latency jitter (a
//    new TLS connection) can put N + 1 arrivals into its second while our
//    starts are N per window; the wider margin is earned back slowly,
//  - probes back up by `probeStep` per `probeEveryMs` without a 1700, never
//    above the configured rate, and
//  - can start from what an earlier process learned (`learned`).
// Kiwoom's allowances are whole requests per second (`유량=N`) and a window
// cannot hold part of a request, so a learned rate of 2.7 admits 2 per
// window: the probe tries one more request per second only after
// (1 / 0.1) × 30 s = 5 minutes without a 1700, which keeps a steady state at
// one 1700 per five minutes at worst.
//
// The margin: the first 1700 at the kept rate widens it by `widenMs` (80 ms
// on top of the base 15 covers ±40 ms of arrival jitter, a new TLS
// connection's worth, and keeps a lower allowance's rate above 90%), each
// later one doubles it, up to `maxMarginMs`. It stays for `marginHoldMs`
// (10 minutes) after the last 1700, then narrows by `narrowStepMs` per
// `probeEveryMs`: from 80 ms back to none takes another 8 minutes. At 1
// request per second an 80 ms margin costs 7% of the rate; a block of the key
// would cost everything.
import { createHash } from 'node:crypto';
import { raceAbort } from './abort.ts';
import type { LearnedLimits } from './types.ts';

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
  /** The first widening of the margin after a 1700 at the kept rate. */
  widenMs?: number;
  maxMarginMs?: number;
  /** How long the margin stays wide after the last 1700. */
  marginHoldMs?: number;
  /** Taken off the margin per `probeEveryMs` once the hold is over. */
  narrowStepMs?: number;
  /** What an earlier process learned: start from it instead of the configured rate. */
  learned?: LearnedLimits;
  clock?: Partial<LimiterClock>;
}

export const DEFAULT_WINDOW_MS = 1015;
export const DEFAULT_PROBE_STEP = 0.1;
export const DEFAULT_PROBE_EVERY_MS = 30_000;
export const DEFAULT_WIDEN_MS = 80;
export const DEFAULT_MAX_MARGIN_MS = 400;
export const DEFAULT_MARGIN_HOLD_MS = 10 * 60_000;
export const DEFAULT_NARROW_STEP_MS = 5;

const realClock: LimiterClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class RateLimiter {
  readonly configuredRate: number;
  /** Kiwoom's window plus the base margin for timer jitter; the learned margin comes on top. */
  readonly windowMs: number;
  readonly #probeStep: number;
  readonly #probeEveryMs: number;
  readonly #minRate: number;
  readonly #widenMs: number;
  readonly #maxMarginMs: number;
  readonly #marginHoldMs: number;
  readonly #narrowStepMs: number;
  readonly #clock: LimiterClock;
  #rate: number;
  #marginMs = 0;
  /** Bumped on every change of the learned state, so a caller knows when to persist it. */
  #revision = 0;
  /** Actual start times, oldest first; as many as the configured rate admits per window. */
  readonly #starts: number[] = [];
  /** Theoretical start of the next call (even spacing, not delayed by late timers). */
  #nextAt = Number.NEGATIVE_INFINITY;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  /** When the rate last went down or the margin widened: answers to calls sent before say nothing new. */
  #lastAdjustAt = Number.NEGATIVE_INFINITY;
  #lastRateLimitedAt = Number.NEGATIVE_INFINITY;
  #lastProbeAt: number;
  #lastNarrowAt = Number.NEGATIVE_INFINITY;
  /** Callers take turns in arrival order. */
  #turn: Promise<void> = Promise.resolve();

  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.configuredRate = options.ratePerSecond;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.#probeStep = options.probeStep ?? DEFAULT_PROBE_STEP;
    this.#probeEveryMs = options.probeEveryMs ?? DEFAULT_PROBE_EVERY_MS;
    this.#minRate = Math.min(options.minRatePerSecond ?? 0.1, this.configuredRate);
    this.#widenMs = options.widenMs ?? DEFAULT_WIDEN_MS;
    this.#maxMarginMs = options.maxMarginMs ?? DEFAULT_MAX_MARGIN_MS;
    this.#marginHoldMs = options.marginHoldMs ?? DEFAULT_MARGIN_HOLD_MS;
    this.#narrowStepMs = options.narrowStepMs ?? DEFAULT_NARROW_STEP_MS;
    this.#clock = { ...realClock, ...options.clock };
    this.#rate = this.configuredRate;
    this.#lastProbeAt = this.#clock.now();
    if (options.learned !== undefined) this.#adopt(options.learned);
  }

  /** The learned rate, requests per second (may be fractional; see admittedPerWindow). */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** The learned margin on top of `windowMs`, milliseconds. */
  get marginMs(): number {
    return this.#marginMs;
  }

  /** The window starts are counted in: Kiwoom's second, the base margin and the learned one. */
  get effectiveWindowMs(): number {
    return this.windowMs + this.#marginMs;
  }

  /** Whole requests admitted per window at the learned rate (at least 1). */
  get admittedPerWindow(): number {
    return Math.max(1, Math.floor(this.#rate));
  }

  /** Even spacing between starts at the learned rate. */
  get spacingMs(): number {
    const effective = this.#rate >= 1 ? Math.floor(this.#rate) : this.#rate;
    return this.effectiveWindowMs / effective;
  }

  /** Changes with every change of what was learned. */
  get revision(): number {
    return this.#revision;
  }

  /** What this limiter has learned, for the next process to start from. */
  learned(): LearnedLimits {
    return { ratePerSecond: this.#rate, marginMs: this.#marginMs };
  }

  /**
   * Starts from what an earlier process learned, unless this one has already
   * met a rate-limit answer itself (its own knowledge is newer).
   */
  adopt(learned: LearnedLimits): void {
    if (this.#lastRateLimitedAt !== Number.NEGATIVE_INFINITY) return;
    this.#adopt(learned);
  }

  #adopt(learned: LearnedLimits): void {
    this.#rate = clamp(learned.ratePerSecond, this.#minRate, this.configuredRate);
    this.#marginMs = clamp(learned.marginMs, 0, this.#maxMarginMs);
    this.#lastProbeAt = this.#clock.now();
  }

  /**
   * Waits for this caller's turn and returns its start time; send at once.
   * An aborted caller stops waiting at once and takes no start.
   */
  acquire(signal?: AbortSignal): Promise<number> {
    const granted = this.#turn.then(() => this.#waitForSlot(signal));
    this.#turn = granted.then(
      () => undefined,
      () => undefined,
    );
    return raceAbort(granted, signal);
  }

  /**
   * A call that started at `startedAt` got a rate-limit answer. Drop to a
   * stated allowance below what a window admits (or halve when none is
   * stated), or widen the margin when the answer states the rate already
   * kept (an allowance above it says the 1700 was not ours to fix); then
   * pause for a full window so the server's count empties.
   */
  onRateLimited(startedAt: number, allowance: number | null): void {
    const now = this.#clock.now();
    // Answers to calls sent before the last adjustment say nothing new.
    const fresh = startedAt >= this.#lastAdjustAt;
    if (allowance !== null && allowance < this.admittedPerWindow) {
      this.#setRate(allowance, now);
    } else if (fresh && allowance === null) {
      this.#setRate(this.#rate / 2, now);
    } else if (fresh && allowance !== null && Math.floor(allowance) === this.admittedPerWindow) {
      this.#widen(allowance, now);
    }
    this.#lastProbeAt = now;
    this.#lastRateLimitedAt = now;
    this.#pausedUntil = Math.max(this.#pausedUntil, now + this.effectiveWindowMs);
  }

  #setRate(rate: number, now: number): void {
    this.#rate = clamp(rate, this.#minRate, this.configuredRate);
    this.#lastAdjustAt = now;
    this.#revision += 1;
  }

  /** The server counted one arrival too many at the rate we keep: leave more room per window. */
  #widen(allowance: number, now: number): void {
    this.#rate = clamp(Math.min(this.#rate, allowance), this.#minRate, this.configuredRate);
    this.#marginMs = Math.min(this.#maxMarginMs, Math.max(this.#widenMs, this.#marginMs * 2));
    this.#lastAdjustAt = now;
    this.#lastNarrowAt = now;
    this.#revision += 1;
  }

  async #waitForSlot(signal: AbortSignal | undefined): Promise<number> {
    for (;;) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      const now = this.#clock.now();
      this.#maybeProbe(now);
      this.#maybeNarrow(now);
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
      earliest = Math.max(earliest, oldestInWindow + this.effectiveWindowMs);
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
    this.#revision += 1;
  }

  #maybeNarrow(now: number): void {
    if (this.#marginMs <= 0) return;
    if (now - this.#lastRateLimitedAt < this.#marginHoldMs || now - this.#lastNarrowAt < this.#probeEveryMs) return;
    this.#marginMs = Math.max(0, this.#marginMs - this.#narrowStepMs);
    this.#lastNarrowAt = now;
    this.#revision += 1;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
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
    return this.#byApiId(appKey, (limiter) => limiter.ratePerSecond);
  }

  /** Learned window margins by API id for one app key, ms. */
  learnedMargins(appKey: string): Record<string, number> {
    return this.#byApiId(appKey, (limiter) => limiter.marginMs);
  }

  #byApiId(appKey: string, value: (limiter: RateLimiter) => number): Record<string, number> {
    const prefix = `${appKeyHash(appKey)}:`;
    const out: Record<string, number> = {};
    for (const [id, limiter] of this.#limiters) {
      if (id.startsWith(prefix)) out[id.slice(prefix.length)] = value(limiter);
    }
    return out;
  }
}

/** A short, stable, non-reversible name for an app key. */
export function appKeyHash(appKey: string): string {
  return createHash('sha256').update(`kiwoom-app-key:${appKey}`).digest('hex').slice(0, 16);
}

/** The registry every client in this process shares unless given its own. */
export const sharedLimiters = new LimiterRegistry();
