// The allowance as the live service seems to apply it: requests counted in a
// rolling one-second window per app key and API id, measured at arrival.

export const WINDOW_MS = 1000;

export class RollingWindow {
  /** Arrival times (monotonic ms) per `appKey + apiId`, ascending. */
  private readonly arrivals = new Map<string, number[]>();

  /**
   * Whether a request arriving at `atMs` is within `allowance`. An accepted
   * request always counts; a rejected one counts only when `countRejected`.
   */
  admit(appKey: string, apiId: string, atMs: number, allowance: number, countRejected: boolean): boolean {
    const key = `${appKey}\u0000${apiId}`;
    const times = this.arrivals.get(key) ?? [];
    this.arrivals.set(key, times);
    while (times.length > 0 && times[0]! <= atMs - WINDOW_MS) times.shift();
    // Requests are admitted after their body is read, so a later arrival may
    // already be in the window; count only what had arrived by `atMs`.
    const inWindow = times.filter((t) => t <= atMs).length;
    const accepted = inWindow < allowance;
    if (accepted || countRejected) insertSorted(times, atMs);
    return accepted;
  }
}

function insertSorted(times: number[], value: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1]! > value) i -= 1;
  times.splice(i, 0, value);
}
