// Holds the scan's lease for as long as the scan works: renewals on a timer
// from the moment the lease was taken (a stalled Kiwoom call or a slow SNS
// answer does not hold them up), each conditional on the epoch this scan
// acquired. Losing the lease is noticed here between codes and, decisively,
// by the fenced writes themselves (the ledger claim before every publish).
import type { LeaseFence, Log, RunLease, Ticker } from './ports.ts';

export const intervalTicker: Ticker = {
  every(ms, tick) {
    const timer = setInterval(() => void tick(), ms);
    // A renewal timer must never keep a finished CLI process alive.
    timer.unref();
    return () => clearInterval(timer);
  },
};

export interface LeaseTerms {
  holder: string;
  ttlMs: number;
  now: () => Date;
  ticker: Ticker;
  logger: Log;
}

export class LeaseKeeper {
  #lost = false;
  #renewing: Promise<void> | undefined;
  readonly #stop: () => void;

  private constructor(
    private readonly lease: RunLease,
    private readonly terms: LeaseTerms,
    readonly fence: LeaseFence,
  ) {
    // Three chances to renew within one lifetime: a single failed renewal
    // (a throttled write, a slow answer) does not lose the lease.
    this.#stop = terms.ticker.every(Math.max(1, Math.floor(terms.ttlMs / 3)), () => this.renew());
  }

  /** The lease, renewed on its timer from now on; or who holds it. */
  static async take(
    lease: RunLease,
    terms: LeaseTerms,
  ): Promise<{ keeper: LeaseKeeper } | { held: { holder: string; expiresAt: Date } }> {
    const taken = await lease.acquire(terms.holder, terms.ttlMs, terms.now());
    if (!taken.acquired) return { held: { holder: taken.holder, expiresAt: taken.expiresAt } };
    return { keeper: new LeaseKeeper(lease, terms, taken.fence) };
  }

  /** Another scan has taken the lease (a renewal found a newer epoch). */
  get lost(): boolean {
    return this.#lost;
  }

  /** Marks the lease lost (a fenced write found out first). */
  noteLost(): void {
    this.#lost = true;
  }

  renew(): Promise<void> {
    // One renewal at a time: a slow one is not overtaken by the next tick.
    this.#renewing ??= this.#renewOnce().finally(() => (this.#renewing = undefined));
    return this.#renewing;
  }

  async #renewOnce(): Promise<void> {
    if (this.#lost) return;
    const { holder, ttlMs, now, logger } = this.terms;
    try {
      if (!(await this.lease.renew(holder, ttlMs, now(), this.fence.epoch))) {
        this.#lost = true;
        this.#stop();
        logger.warn('the scan lease was taken over; this scan publishes nothing more', { epoch: this.fence.epoch });
      }
    } catch (error) {
      // The next tick tries again; the fenced writes keep the scan safe meanwhile.
      logger.warn('could not renew the scan lease; retrying on the next tick', { error: String(error) });
    }
  }

  /** Stops renewing and gives the lease up (unless it was lost). */
  async release(): Promise<void> {
    this.#stop();
    await this.#renewing;
    if (this.#lost) return;
    await this.lease.release(this.terms.holder, this.fence.epoch).catch((error: unknown) => {
      this.terms.logger.warn('could not release the lease; it expires by itself', { error: String(error) });
    });
  }
}
