// Racing a wait against the caller's abort signal. The wait itself goes on
// (a shared token issuance, a limiter turn); only this caller stops waiting.

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

/**
 * A signal that aborts `ms` from now, or undefined when `ms` is not a finite
 * time a timer can hold (an unbounded deadline needs no timer; Node would fire
 * one longer than 2^31 − 1 ms at once).
 */
export function deadlineSignal(ms: number): AbortSignal | undefined {
  if (!Number.isFinite(ms) || ms > 2_147_483_647) return undefined;
  return AbortSignal.timeout(Math.max(0, Math.floor(ms)));
}
