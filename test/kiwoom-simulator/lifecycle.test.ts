import { request, Agent } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startKiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { issueToken, rows } from './fixtures.ts';

/** One request over a keep-alive agent, leaving the connection open afterwards. */
function keepAliveCall(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/oauth2/token`, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ grant_type: 'client_credentials', appkey: 'sim-appkey', secretkey: 'sim-secretkey' }));
  });
}

describe('simulator lifecycle', () => {
  it('listens on loopback on a free port with the default app', async () => {
    const sim = await startKiwoomSimulator();
    try {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await issueToken(sim, { appKey: 'sim-appkey', secretKey: 'sim-secretkey' })).toBeTypeOf('string');
    } finally {
      await sim.close();
    }
  });

  it('starts in well under a second', async () => {
    const start = performance.now();
    const sim = await startKiwoomSimulator({ data: { '005930': rows(500) } });
    const elapsed = performance.now() - start;
    await sim.close();

    expect(elapsed).toBeLessThan(300);
  });

  it('closes promptly while a keep-alive connection is open', async () => {
    const sim = await startKiwoomSimulator();
    const agent = new Agent({ keepAlive: true });
    expect(await keepAliveCall(sim.url, agent)).toBe(200);

    const start = performance.now();
    await sim.close();
    agent.destroy();

    expect(performance.now() - start).toBeLessThan(200);
  });

  it('closes promptly while it holds a request', async () => {
    const sim = await startKiwoomSimulator();
    sim.inject({ kind: 'timeout', apiId: 'au10001' });
    const held = fetch(`${sim.url}/oauth2/token`, { method: 'POST', body: '{}' }).catch((error: unknown) => error);
    await expect.poll(() => sim.requests.length).toBe(1);

    const start = performance.now();
    await sim.close();

    expect(performance.now() - start).toBeLessThan(200);
    expect(await held).toBeInstanceOf(Error);
  });
});
