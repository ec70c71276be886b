// The scan's circuit breaker for Kiwoom. When Kiwoom is down for everyone
// (HTTP 5xx, timeouts, unreadable answers), every code would fail the same
// way after its own retries; a run over thousands of codes would hammer the
// outage with four calls per code. So:
//
// - slow start: until Kiwoom has answered once in this run, one code at a time;
// - after a transient failure, while no code has succeeded since, one code at
//   a time again (a probe), however many workers wait;
// - after TRIP_AFTER such failures in a row, open: no code is started, and
//   the run stops with one message.
//
// A total outage thus costs TRIP_AFTER codes' retries (12 ka10008 calls with
// the client's four attempts), whatever the number of codes.
import { KiwoomError } from '../kiwoom/errors.ts';

export const KIWOOM_UNAVAILABLE = 'Kiwoom unavailable';

/** Transient failures of different codes in a row, with no answer between them, that open the breaker. */
export const TRIP_AFTER = 3;

export type KiwoomOutcome = 'answered' | 'transient';

/** How a code's Kiwoom fetch ended, for the breaker; null when Kiwoom was not what failed. */
export function kiwoomOutcomeOf(error: unknown): KiwoomOutcome | null {
  if (!(error instanceof KiwoomError)) return null;
  // Abandoned by this scan (time up, run stopped): Kiwoom neither answered nor failed.
  if (error.kind === 'aborted') return null;
  return error.kind === 'transient' || error.kind === 'rate_limited' ? 'transient' : 'answered';
}

export class KiwoomBreaker {
  #streak = 0;
  #answered = false;
  #inFlight = 0;
  #waiting: (() => void)[] = [];

  constructor(private readonly tripAfter = TRIP_AFTER) {}

  get open(): boolean {
    return this.#streak >= this.tripAfter;
  }

  /** Failures in a row so far. */
  get streak(): number {
    return this.#streak;
  }

  /**
   * Waits until a code may start. True: it may (call `leave` when it is
   * done); false: the breaker is open and no code may start.
   */
  async enter(): Promise<boolean> {
    for (;;) {
      if (this.open) return false;
      const probing = !this.#answered || this.#streak > 0;
      if (!probing || this.#inFlight === 0) {
        this.#inFlight += 1;
        return true;
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  /** What Kiwoom did for a code: answered (even with an error about the code) or failed transiently. */
  heard(outcome: KiwoomOutcome): void {
    if (outcome === 'answered') {
      this.#answered = true;
      this.#streak = 0;
    } else {
      this.#streak += 1;
    }
    this.#wake();
  }

  leave(): void {
    this.#inFlight -= 1;
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resume of waiting) resume();
  }
}
