// Exactly-once from the subscriber's point of view: re-runs, a failed SNS
// publish, crashes around the publish, two scans at once, and a run cut
// short by its deadline and resumed by the Step Functions loop.
import { describe, expect, it } from 'vitest';
import type { LedgerMessage, Publisher } from '../../functions/scan/ports.ts';
import { runScan } from '../../functions/scan/scan.ts';
import { SnsAlertPublisher } from '../../functions/notify/sns-publisher.ts';
import { localClients } from '../support/aws.ts';
import { alertIds, payloads, pipeline, type PipelineHarness } from './harness.ts';
import { daysOf, rateStory } from './story.ts';

const SKT = '017670';
const CROSSING_ID = `${SKT}-20250304-limit_exh_rt_cross_up`;

/** One code whose first scan (evening of 2025-03-04) crosses 49% upward. */
async function oneCrossing(): Promise<{ h: PipelineHarness; d1: string; d2: string }> {
  const h = await pipeline();
  await h.watch({ stk_cd: SKT, limit_exh_rt_above: 49 });
  const rows = rateStory('20250303', [4880, 4905, 4890]);
  const [, d1, d2] = daysOf(rows) as [string, string, string];
  h.story(SKT, rows);
  return { h, d1, d2 };
}

/**
 * A publisher inside a Lambda that dies: `publish` never returns, as if the
 * process ended there. With `after`, SNS accepts the message first (the crash
 * falls between the publish and the bookkeeping). `bury()` lets the abandoned
 * call fail afterwards so the dead run does not outlive the test.
 */
function dyingPublisher(after?: Publisher) {
  let reached!: () => void;
  let bury!: (error: Error) => void;
  const atCrash = new Promise<void>((resolve) => (reached = resolve));
  const never = new Promise<never>((_, reject) => (bury = reject));
  const publisher: Publisher = {
    async publish(message: LedgerMessage) {
      if (after) await after.publish(message);
      reached();
      return never;
    },
  };
  return { publisher, atCrash, bury: () => bury(new Error('the process is gone')) };
}

describe('re-running', () => {
  it('sends nothing new when the same evening is scanned again', async () => {
    const { h, d1 } = await oneCrossing();
    await h.scanEvening(d1);
    const first = await h.received();

    const again = await h.scanEvening(d1);

    expect(alertIds(first)).toEqual([CROSSING_ID]);
    expect([again.alerts_published, again.days_processed, await h.received()]).toEqual([0, 0, []]);
  });

  it('publishes nothing and writes nothing in a dry run', async () => {
    const { h, d1 } = await oneCrossing();
    const dry = await h.scanEvening(d1, { dryRun: true, publisher: null });

    expect(dry.alerts.map((a) => a.alert_id)).toEqual([CROSSING_ID]);
    expect([await h.received(), await h.ledgerEntries(), await h.storedDays(SKT)]).toEqual([[], [], []]);
  });
});

describe('an SNS publish that fails', () => {
  it('leaves the alert in the ledger as failed, with the reason', async () => {
    const { h, d1 } = await oneCrossing();
    const missingTopic = new SnsAlertPublisher(localClients().sns, `${h.topicArn}-deleted`);

    const summary = await h.scanEvening(d1, { publisher: missingTopic });

    const [entry] = await h.ledgerEntries();
    expect([summary.alerts_failed, summary.alerts_published]).toEqual([1, 0]);
    expect([entry?.alertId, entry?.status, entry?.attempts]).toEqual([CROSSING_ID, 'failed', 1]);
    expect(entry?.lastError).toContain('NotFound');
  });

  it('is sent exactly once by the next run once SNS works again', async () => {
    const { h, d1, d2 } = await oneCrossing();
    await h.scanEvening(d1, { publisher: new SnsAlertPublisher(localClients().sns, `${h.topicArn}-deleted`) });
    expect(await h.received()).toEqual([]);

    const next = await h.scanEvening(d2);
    const third = await h.scanEvening(d2, { timeKst: '19:00' });

    expect(alertIds(await h.received())).toEqual([CROSSING_ID]);
    expect([next.alerts_retried, third.alerts_retried]).toEqual([1, 0]);
    expect((await h.ledgerEntries()).map((e) => e.status)).toEqual(['sent']);
  });
});

describe('a crash', () => {
  it('between the ledger and the publish: the next run sends the recorded alert, once', async () => {
    const { h, d1 } = await oneCrossing();
    const dying = dyingPublisher();
    const crashed = h.scanEvening(d1, { publisher: dying.publisher });
    await dying.atCrash;
    expect(await h.received()).toEqual([]);

    // The dead run's lease (2 minutes) has expired by the next attempt.
    const next = await h.scanEvening(d1, { timeKst: '18:45' });

    const received = await h.received();
    expect(alertIds(received)).toEqual([CROSSING_ID]);
    expect(payloads(received)[0]).toMatchObject({ rule: 'limit_exh_rt_cross_up', value: 49.05 });
    expect([next.alerts_retried, (await h.ledgerEntries())[0]?.status]).toEqual([1, 'sent']);
    dying.bury();
    await crashed;
  });

  it('between the publish and the bookkeeping: the only duplicate carries the same alert_id', async () => {
    const { h, d1 } = await oneCrossing();
    const dying = dyingPublisher(h.publisher);
    const crashed = h.scanEvening(d1, { publisher: dying.publisher });
    await dying.atCrash;

    await h.scanEvening(d1, { timeKst: '18:45' });
    await h.scanEvening(d1, { timeKst: '19:00' });

    expect(alertIds(await h.received())).toEqual([CROSSING_ID, CROSSING_ID]);
    dying.bury();
    await crashed;
  });
});

describe('a crash with several codes in flight', () => {
  it('can leave at most one message SNS took and the ledger never heard of: publishes go one at a time', async () => {
    const h = await pipeline();
    const codes = ['017670', '030200', '005930', '000660'];
    const rows = (code: string) => rateStory('20250303', [4880, 4905, 4890]).map((r) => ({ ...r, stk_cd: code }));
    for (const code of codes) {
      await h.watch({ stk_cd: code, limit_exh_rt_above: 49 });
      h.story(code, rows(code));
    }
    let inFlight = 0;
    let most = 0;
    const watching: Publisher = {
      publish: async (message: LedgerMessage) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        // Hold the message until every code's alert is in the ledger, so each
        // worker reaches its publish while this one is still open.
        while ((await h.ledgerEntries()).length < codes.length) await new Promise((resolve) => setImmediate(resolve));
        for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
        try {
          return await h.publisher.publish(message);
        } finally {
          inFlight -= 1;
        }
      },
    };

    const summary = await h.scanEvening('20250304', { publisher: watching, concurrency: 4 });

    expect(summary.alerts_published).toBe(4);
    expect(most).toBe(1);
  });
});

describe('two scans at once', () => {
  const CODES = ['005930', '000660', '017670'];

  async function twoAtOnce() {
    const h = await pipeline();
    for (const stkCd of CODES) {
      await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
      h.story(stkCd, rateStory('20250303', [4880, 4905]));
    }
    h.atEvening('20250304');
    // Two Lambda containers: each has its own Kiwoom client and token cache.
    const summaries = await Promise.all(
      ['scan-a', 'scan-b'].map((holder) =>
        runScan(h.deps({ kiwoom: h.newKiwoomClient() }), h.scanOptions({ leaseHolder: holder })),
      ),
    );
    return { h, summaries };
  }

  it('lets one run and tells the other the lease is held', async () => {
    const { summaries } = await twoAtOnce();
    const held = summaries.filter((s) => s.lease_held !== null);
    const ran = summaries.filter((s) => s.lease_held === null);
    expect([held.length, ran.length]).toEqual([1, 1]);
    expect(held[0]?.codes_not_reached.sort()).toEqual([...CODES].sort());
    expect(ran[0]?.alerts_published).toBe(3);
  });

  it('delivers exactly one set of alerts, fetched with one token', async () => {
    const { h } = await twoAtOnce();
    expect(alertIds(await h.received())).toEqual(CODES.map((c) => `${c}-20250304-limit_exh_rt_cross_up`).sort());
    expect([h.requestedCodes().length, h.simulator.issuedTokens()]).toEqual([3, 1]);
  });
});

describe('a run cut short by its deadline', () => {
  const CODES = ['000270', '000660', '005380', '005930', '017670'];

  async function cutShortThenResumed() {
    const h = await pipeline();
    for (const stkCd of CODES) {
      await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
      h.story(stkCd, rateStory('20250303', [4880, 4905]));
    }
    // Time runs short once two codes are done.
    let done = 0;
    const first = await h.scanEvening('20250304', {
      concurrency: 1,
      reserveMs: 30_000,
      remainingMs: () => (done < 2 ? 600_000 : 20_000),
      onProgress: () => {
        done += 1;
      },
    });
    const firstRequests = h.requestedCodes();
    const firstAlerts = await h.received();
    h.simulator.clearRequests();
    const resumed = await h.scanEvening('20250304', {
      timeKst: '18:31',
      runId: first.run_id,
      runStartedAt: first.run_started_at,
    });
    return { h, first, firstRequests, firstAlerts, resumed };
  }

  it('returns done: false and names the codes it did not reach', async () => {
    const { first, firstRequests } = await cutShortThenResumed();
    expect([first.done, first.codes_scanned]).toEqual([false, 2]);
    expect(first.codes_not_reached).toEqual(CODES.slice(2));
    expect(firstRequests).toEqual(CODES.slice(0, 2));
  });

  it('resumed under the same run_id, scans only the codes not reached', async () => {
    const { h, resumed, first } = await cutShortThenResumed();
    expect([resumed.done, resumed.run_id, resumed.run_started_at]).toEqual([true, first.run_id, first.run_started_at]);
    expect(h.requestedCodes().sort()).toEqual(CODES.slice(2));
  });

  it('delivers every code’s alert exactly once across the two invocations', async () => {
    const { h, firstAlerts } = await cutShortThenResumed();
    const all = [...firstAlerts, ...(await h.received())];
    expect(alertIds(all)).toEqual(CODES.map((c) => `${c}-20250304-limit_exh_rt_cross_up`));
  });
});
