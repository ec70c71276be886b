// Small factories for the Kiwoom client's tests: a simulator per test (closed
// afterwards) and a client wired to it with its own limiter registry, so
// tests never share a learned rate.
import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import type { RawRow } from '../../functions/domain/types.ts';
import { KiwoomClient, type KiwoomClientOptions } from '../../functions/kiwoom/client.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import type { KiwoomLogger } from '../../functions/kiwoom/logger.ts';
import { IssuingTokenSource, type IssuingTokenSourceOptions } from '../../functions/kiwoom/token.ts';
import type { AppCredentials, TokenSource } from '../../functions/kiwoom/types.ts';
import { syntheticHistory } from '../../local/kiwoom-simulator/dataset.ts';
import { startKiwoomSimulator, type KiwoomSimulator, type SimulatorOptions } from '../../local/kiwoom-simulator/server.ts';

export const APP: AppCredentials = { appKey: 'client-test-appkey-7Qx9', secretKey: 'client-test-secretkey-Zr42' };

const running: KiwoomSimulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** A simulator with our app and a generous allowance unless a test says otherwise; closed after the test. */
export async function simulator(options: SimulatorOptions = {}): Promise<KiwoomSimulator> {
  const sim = await startKiwoomSimulator({
    apps: [APP],
    allowance: { ka10008: 100, au10001: 100 },
    ...options,
  });
  running.push(sim);
  return sim;
}

/** The five rows of the ka10008 specification's response example. */
export function specExampleRows(): RawRow[] {
  const url = new URL('../fixtures/ka10008-spec-example.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { stk_frgnr: RawRow[] }).stk_frgnr;
}

export function history(stkCd: string, days: number, lastDt = '20250630'): RawRow[] {
  return syntheticHistory(stkCd, { days, lastDt });
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

export interface ClientFixture {
  client: KiwoomClient;
  tokens: IssuingTokenSource;
  /** Every token value the source has handed out (for the secrets test). */
  seenTokens: Set<string>;
}

/** A client against `sim` with its own limiter registry and token source. */
export function clientFor(
  sim: KiwoomSimulator,
  options: Partial<KiwoomClientOptions> & {
    credentials?: AppCredentials;
    tokenOptions?: Partial<IssuingTokenSourceOptions>;
  } = {},
): ClientFixture {
  const { credentials = APP, tokenOptions = {}, ...clientOptions } = options;
  const issuing = new IssuingTokenSource({
    http: { baseUrl: sim.url, timeoutMs: clientOptions.timeoutMs },
    credentials,
    random: () => 0,
    // Its own au10001 limiter, generous enough that no test waits on it
    // (the token limiter has its own tests in token.test.ts).
    limiters: new LimiterRegistry(),
    tokenRateLimit: 100,
    ...(clientOptions.logger ? { logger: clientOptions.logger } : {}),
    ...tokenOptions,
  });
  const seenTokens = new Set<string>();
  const tokens: TokenSource = {
    get: async (signal) => remember(await issuing.get(signal)),
    renew: async (rejected, signal) => remember(await issuing.renew(rejected, signal)),
    replaced: async (rejected) => issuing.replaced(rejected),
  };
  function remember(token: string): string {
    seenTokens.add(token);
    return token;
  }
  const client = new KiwoomClient({
    baseUrl: sim.url,
    tokens,
    appKey: credentials.appKey,
    rateLimit: 100,
    limiters: new LimiterRegistry(),
    ...clientOptions,
  });
  return { client, tokens: issuing, seenTokens };
}

export async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A logger that keeps every line. */
export function capturingLogger(): KiwoomLogger & { lines: { level: string; message: string; extra?: object }[] } {
  const lines: { level: string; message: string; extra?: object }[] = [];
  const at =
    (level: string) =>
    (message: string, extra?: object): void => {
      lines.push({ level, message, ...(extra === undefined ? {} : { extra }) });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Requests the simulator saw for one API id. */
export function requestsFor(sim: KiwoomSimulator, apiId: string) {
  return sim.requests.filter((r) => r.apiId === apiId);
}

/**
 * A clock that moves only when someone sleeps on it: the limiter, the
 * client's backoff and the simulator's window all read it, so rate tests run
 * in virtual time, exactly and without waiting. Calls must be sequential for
 * arrival times to equal send times (plus any injected jitter).
 */
export function virtualClock(startMs = 0): { now: () => number; sleep: (ms: number) => Promise<void>; t: number } {
  const clock = {
    t: startMs,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += Math.max(0, ms);
    },
  };
  return clock;
}
