// The bridge between the process-wide limiters and the store that keeps what
// they learned for the next process (AllowanceMemory, the History table when
// deployed).
import type { RateLimiter } from './limiter.ts';
import type { KiwoomLogger } from './logger.ts';
import { describeError } from './token.ts';
import type { AllowanceMemory } from './types.ts';

/**
 * What the limiters learned, read once per API id before the first call (a
 * new process starts from it) and saved when it changes. A store that cannot
 * be read or written costs only the learning, never a call.
 */
export class LearnedAllowances {
  readonly #started = new Map<string, Promise<void>>();
  readonly #limiters = new Map<string, RateLimiter>();
  readonly #savedRevision = new Map<string, number>();
  #saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly memory: AllowanceMemory | undefined,
    private readonly logger: KiwoomLogger,
  ) {}

  startFrom(apiId: string, limiter: RateLimiter): Promise<void> {
    let started = this.#started.get(apiId);
    if (started === undefined) {
      this.#limiters.set(apiId, limiter);
      started = this.#load(apiId, limiter);
      this.#started.set(apiId, started);
    }
    return started;
  }

  async #load(apiId: string, limiter: RateLimiter): Promise<void> {
    if (this.memory === undefined) return;
    try {
      const learned = await this.memory.load(apiId);
      if (learned !== undefined) {
        limiter.adopt(learned);
        this.logger.info('kiwoom limiter starts from the learned allowance', {
          apiId,
          ratePerSecond: limiter.ratePerSecond,
          marginMs: limiter.marginMs,
          learnedAt: learned.learnedAt.toISOString(),
        });
      }
    } catch (error) {
      this.logger.warn('could not read the learned allowance; starting at the configured rate', {
        apiId,
        error: describeError(error),
      });
    }
    this.#savedRevision.set(apiId, limiter.revision);
  }

  /** Saves `apiId`'s limiter if it learned something since the last save; saves run one after another. */
  save(apiId: string, limiter: RateLimiter): Promise<void> {
    if (this.memory === undefined) return Promise.resolve();
    const memory = this.memory;
    this.#saving = this.#saving.then(async () => {
      const revision = limiter.revision;
      if (this.#savedRevision.get(apiId) === revision) return;
      try {
        await memory.save(apiId, limiter.learned());
        this.#savedRevision.set(apiId, revision);
      } catch (error) {
        this.logger.warn('could not keep the learned allowance', { apiId, error: describeError(error) });
      }
    });
    return this.#saving;
  }

  async saveAll(): Promise<void> {
    await Promise.all([...this.#limiters].map(([apiId, limiter]) => this.save(apiId, limiter)));
  }
}
