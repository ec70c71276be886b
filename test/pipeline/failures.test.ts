// One bad code or item never stops the others; a problem that concerns every
// code stops the run once; Kiwoom's rate limits and token expiry mid-run are
// absorbed without losing an alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanSummary } from '../../functions/scan/scan.ts';
import { alertIds, capturingLog, pipeline, PipelineHarness } from './harness.ts';
import { rateStory } from './story.ts';

const GOOD = ['005930', '017670'];
const crossingIds = (codes: readonly string[]) => codes.map((c) => `${c}-20250304-limit_exh_rt_cross_up`).sort();

async function goodCodes(options: Parameters<typeof pipeline>[0] = {}, codes: readonly string[] = GOOD) {
  const h = await pipeline(options);
  for (const stkCd of codes) {
    await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
    h.story(stkCd, rateStory('20250303', [4880, 4905]));
  }
  return h;
}

describe('a bad watchlist item and an unknown code among good ones', () => {
  async function mixedWatchlist() {
    const h = await goodCodes();
    // A typo a person could make in the console, and a code Kiwoom does not know (1902).
    await h.watch({ stk_cd: '035720', name: '카카오', limit_exh_rt_above: '49.123' }, { stk_cd: '999990', limit_exh_rt_above: 49 });
    const summary = await h.scanEvening('20250304');
    return { h, summary };
  }

  it('still sends the good codes’ alerts', async () => {
    const { h } = await mixedWatchlist();
    expect(alertIds(await h.received())).toEqual(crossingIds(GOOD));
  });

  it('names the invalid item and the attribute at fault', async () => {
    const { summary } = await mixedWatchlist();
    expect(summary.invalid_items).toMatchObject([
      { stk_cd: '035720', problems: [{ attribute: 'limit_exh_rt_above', message: '"49.123" has more than two decimals' }] },
    ]);
  });

  it('names the unknown code as failed, and only it', async () => {
    const { summary } = await mixedWatchlist();
    expect(summary.codes_failed).toMatchObject([{ stk_cd: '999990', reason: 'UnknownStockError' }]);
    expect([summary.codes_scanned, summary.stopped]).toEqual([2, null]);
  });
});

describe('bad app credentials', () => {
  async function withWrongSecret() {
    const h = await goodCodes({ credentials: { appKey: 'sim-appkey', secretKey: 'not-the-secret' } }, [
      '000270',
      '000660',
      '005380',
      '005930',
      '017670',
      '035420',
    ]);
    const log = capturingLog();
    const summary = await h.scanEvening('20250304', { logger: log });
    return { h, log, summary };
  }

  it('stops the run with one reason instead of one failure per code', async () => {
    const { summary } = await withWrongSecret();
    expect(summary.stopped).toMatchObject({ reason: 'BadCredentialsError' });
    expect([summary.codes_failed, summary.codes_scanned, summary.done]).toEqual([[], 0, true]);
  });

  it('starts no further code, asks Kiwoom for no data, and leaves every code for the next run', async () => {
    const { h, summary } = await withWrongSecret();
    expect([...summary.codes_not_reached].sort()).toEqual(['000270', '000660', '005380', '005930', '017670', '035420']);
    expect(h.ka10008Requests()).toEqual([]);
  });

  it('logs the failure once', async () => {
    const { log } = await withWrongSecret();
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('never puts the secret key in the summary or the log', async () => {
    const { log, summary } = await withWrongSecret();
    expect(JSON.stringify([summary, log.lines])).not.toContain('not-the-secret');
  });
});

describe('Kiwoom trouble mid-run', () => {
  const CODES = ['000270', '000660', '005380', '005930', '017670', '035420'];
  // One run for both tests: the 1700 burst costs a second of back-off.
  let h: PipelineHarness;
  let summary: ScanSummary;

  beforeAll(async () => {
    h = await PipelineHarness.start();
    for (const stkCd of CODES) {
      await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
      h.story(stkCd, rateStory('20250303', [4880, 4905]));
    }
    // A burst of three 1700s, and every token invalidated once the first code is done.
    h.simulator.inject({ kind: 'rateLimit', count: 3 });
    let expired = false;
    summary = await h.scanEvening('20250304', {
      onProgress: () => {
        if (!expired) h.simulator.expireTokens();
        expired = true;
      },
    });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('still delivers every alert', async () => {
    expect(alertIds(await h.received())).toEqual(crossingIds(CODES));
    expect([summary.codes_scanned, summary.codes_failed, summary.kiwoom?.rate_limited]).toEqual([6, [], 3]);
  });

  it('renews the token exactly once after the 8005 answers', () => {
    const rejected = h.ka10008Requests().filter((r) => r.outcome?.detailCode === '8005');
    expect(rejected.length).toBeGreaterThan(0);
    expect(h.simulator.issuedTokens()).toBe(2);
  });
});
