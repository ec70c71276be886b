// Tokens, app keys and secret keys never appear in a log line or anywhere in
// a thrown error: message, stack, own properties, or down the cause chain.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createKiwoomClient } from '../../functions/kiwoom/client.ts';
import { KiwoomError } from '../../functions/kiwoom/errors.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import { APP, capturingLogger, clientFor, history, simulator, type ClientFixture } from './support.ts';

const WRONG_SECRET = 'wrong-secretkey-Pz77-do-not-leak';

/** Everything a thrown error exposes, as text. */
function exposed(error: unknown, depth = 0): string {
  if (depth > 6 || error === undefined || error === null) return '';
  if (!(error instanceof Error)) return JSON.stringify(error) ?? String(error);
  const own = Object.fromEntries(
    Object.getOwnPropertyNames(error).map((name) => [name, (error as unknown as Record<string, unknown>)[name]]),
  );
  return [
    error.message,
    error.stack ?? '',
    JSON.stringify(own, (_key, value: unknown) => (value instanceof Error ? `${value.name}: ${value.message}` : value)),
    inspect(error, { depth: 10, showHidden: true }),
    exposed(error.cause, depth + 1),
  ].join('\n');
}

async function failures(calls: Promise<unknown>[]): Promise<unknown[]> {
  const settled = await Promise.allSettled(calls);
  return settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason);
}

function expectNoSecrets(texts: string[], secrets: Iterable<string>): void {
  const all = texts.join('\n');
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(all.includes(secret), `a secret of length ${secret.length} leaked`).toBe(false);
  }
}

describe('secrets stay out of logs and errors', () => {
  it('across bad credentials, 8005 storms, 500s, garbage, 1700s, timeouts and refused connections', async () => {
    const logger = capturingLogger();
    const errors: unknown[] = [];
    const tokensSeen = new Set<string>();
    const sim = await simulator({ data: { '005930': history('005930', 5) } });
    const quick = { logger, random: () => 0, timeoutMs: 150, retry: { attempts: 2 } };
    const track = (fixture: ClientFixture) => {
      fixture.seenTokens.forEach((t) => tokensSeen.add(t));
    };

    // Bad credentials at the token call.
    const badKey = clientFor(sim, { ...quick, credentials: { appKey: APP.appKey, secretKey: WRONG_SECRET } });
    errors.push(...(await failures([badKey.client.ka10008Page('005930')])));

    // An 8005 storm: every call rejected, renewed once, rejected again.
    const storm = clientFor(sim, quick);
    sim.inject({ kind: 'tokenRejected' });
    errors.push(...(await failures(Array.from({ length: 5 }, () => storm.client.ka10008Page('005930')))));
    sim.clearFaults();
    track(storm);

    // 500s, garbage in every form, and 1700s until the attempts run out.
    const noisy = clientFor(sim, quick);
    for (const fault of [
      { kind: 'http500' as const, body: 'upstream said no' },
      { kind: 'garbage' as const, form: 'html' as const },
      { kind: 'garbage' as const, form: 'truncated' as const },
      { kind: 'garbage' as const, form: 'noReturnCode' as const },
      { kind: 'rateLimit' as const },
      { kind: 'timeout' as const },
    ]) {
      sim.inject(fault);
      errors.push(...(await failures([noisy.client.ka10008Page('005930')])));
      sim.clearFaults();
    }
    track(noisy);

    // Nobody listening: fetch fails with the request (secret key in the body) in hand.
    const refused = createKiwoomClient({
      baseUrl: 'http://127.0.0.1:9',
      credentials: { appKey: APP.appKey, secretKey: APP.secretKey },
      limiters: new LimiterRegistry(),
      ...quick,
    });
    errors.push(...(await failures([refused.ka10008Page('005930')])));

    expect(errors.length).toBe(13);
    expect(errors.every((e) => e instanceof KiwoomError)).toBe(true);
    expect(tokensSeen.size).toBe(3);
    expect(logger.lines.length).toBeGreaterThan(10);
    expectNoSecrets(
      [...errors.map((e) => exposed(e)), ...logger.lines.map((line) => JSON.stringify(line))],
      [APP.appKey, APP.secretKey, WRONG_SECRET, ...tokensSeen],
    );
  });
});
