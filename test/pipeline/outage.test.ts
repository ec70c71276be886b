// Kiwoom down for everyone is not hammered once per code: after a few
// transient failures in a row the scan stops with one message, and the next
// run takes the codes it did not reach first. A code that keeps failing goes
// after the codes not tried yet, so it cannot keep them out of every slice.
import { describe, expect, it } from 'vitest';
import { createKiwoomClient } from '../../functions/kiwoom/client.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import { humanSummary, scanExitCode } from '../../cli/commands/scan.ts';
import { alertIds, capturingLog, pipeline, TEST_RATE, type PipelineHarness } from './harness.ts';
import { rateStory } from './story.ts';

const codesOf = (n: number) => Array.from({ length: n }, (_, i) => String(100_000 + i * 10).padStart(6, '0'));

async function watched(codes: readonly string[]): Promise<PipelineHarness> {
  const h = await pipeline();
  for (const stkCd of codes) {
    await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
    h.story(stkCd, rateStory('20250303', [4880, 4905]));
  }
  return h;
}

/** The client as deployed (four attempts per call) with backoffs too short to wait on. */
function quickRetries(h: PipelineHarness) {
  return createKiwoomClient({
    baseUrl: h.simulator.url,
    credentials: h.credentials,
    rateLimit: TEST_RATE,
    limiters: new LimiterRegistry(),
    retry: { baseMs: 1, capMs: 2 },
  });
}

describe('a total Kiwoom outage', () => {
  const CODES = codesOf(30);

  async function outage(kind: 'http500' | 'garbage' | 'timeout') {
    const h = await watched(CODES);
    h.simulator.inject(kind === 'timeout' ? { kind, holdMs: 0 } : { kind });
    const log = capturingLog();
    const summary = await h.scanEvening('20250304', { kiwoom: quickRetries(h), logger: log });
    return { h, log, summary };
  }

  it.each(['http500', 'garbage', 'timeout'] as const)('costs at most 20 ka10008 calls for 30 codes (%s)', async (kind) => {
    const { h, summary } = await outage(kind);
    expect(h.ka10008Requests().length).toBeLessThanOrEqual(20);
    expect(summary.stopped?.reason).toBe('Kiwoom unavailable');
  });

  it('stops with one message, names the codes it did not reach, and exits 1', async () => {
    const { summary, log } = await outage('http500');
    const tried = summary.codes_failed.map((f) => f.stk_cd);
    expect(tried.length).toBeLessThanOrEqual(4);
    expect([...tried, ...summary.codes_not_reached].sort()).toEqual(CODES);
    expect(log.lines.filter((l) => l.level === 'error' && l.message.includes('Kiwoom unavailable'))).toHaveLength(1);
    expect(humanSummary(summary).match(/Kiwoom unavailable/g)).toHaveLength(1);
    expect([summary.done, scanExitCode(summary)]).toEqual([true, 1]);
  });

  it('takes the codes it did not reach first on the next run, and sends every alert once Kiwoom is back', async () => {
    const { h, summary } = await outage('http500');
    h.simulator.clearFaults();
    h.simulator.clearRequests();

    const next = await h.scanEvening('20250304', { timeKst: '19:30', concurrency: 1 });

    const failed = summary.codes_failed.map((f) => f.stk_cd);
    expect(h.requestedCodes()).toEqual([...summary.codes_not_reached, ...failed]);
    expect([next.stopped, alertIds(await h.received())]).toEqual([null, CODES.map((c) => `${c}-20250304-limit_exh_rt_cross_up`)]);
  });
});

describe('one failing code among good ones', () => {
  const CODES = codesOf(5);
  const [A, B, C, D, E] = CODES as [string, string, string, string, string];

  /** B answers garbage every time; the run is cut short after three codes. */
  async function cutShortWithOneBadCode() {
    const h = await watched(CODES);
    h.simulator.inject({ kind: 'garbage', stkCd: B });
    let done = 0;
    const first = await h.scanEvening('20250304', {
      kiwoom: quickRetries(h),
      concurrency: 1,
      reserveMs: 30_000,
      remainingMs: () => (done < 3 ? 600_000 : 20_000),
      onProgress: () => void (done += 1),
    });
    h.simulator.clearRequests();
    return { h, first };
  }

  it('does not stop the run: Kiwoom answers the other codes', async () => {
    const { first } = await cutShortWithOneBadCode();
    expect([first.stopped, first.codes_failed.map((f) => f.stk_cd), first.codes_not_reached]).toEqual([null, [B], [D, E]]);
  });

  it('is not tried again in the next slice of the same run', async () => {
    const { h, first } = await cutShortWithOneBadCode();
    await h.scanEvening('20250304', { timeKst: '18:31', runId: first.run_id, kiwoom: quickRetries(h), concurrency: 1 });
    expect(h.requestedCodes()).toEqual([D, E]);
  });

  it('goes after the codes not tried yet in the next run', async () => {
    const { h } = await cutShortWithOneBadCode();
    await h.scanEvening('20250304', { timeKst: '19:30', kiwoom: quickRetries(h), concurrency: 1 });
    expect(h.requestedCodes().filter((c, i, all) => all.indexOf(c) === i)).toEqual([D, E, A, C, B]);
  });
});
