// Bounded exponential backoff with full jitter: transient failures and rate
// limits are retried, everything else is the caller's to handle. Full jitter
// spreads the retries of a pipelined burst instead of sending them together.

export interface RetryOptions {
  /** Attempts in all, the first included. */
  attempts?: number;
  baseMs?: number;
  capMs?: number;
}

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 250, capMs: 8_000 };

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...stripUndefined(options) };
  if (!(Number.isInteger(policy.attempts) && policy.attempts >= 1)) throw new RangeError('retry.attempts must be ≥ 1');
  if (!(policy.baseMs >= 0 && policy.capMs >= 0)) throw new RangeError('retry delays must be ≥ 0');
  return policy;
}

/** The wait before retry number `retry` (1 = first retry): random × min(cap, base × 2^(retry−1)). */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
