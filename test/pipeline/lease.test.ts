// The lease fences: a scan that stalls past its lease (a slow Kiwoom answer,
// a frozen process) and wakes up after a second scan took over publishes
// nothing more, says `lease lost`, and every alert arrives exactly once.
import { describe, expect, it } from 'vitest';
import type { LedgerMessage, Publisher } from '../../functions/scan/ports.ts';
import { runScan, type ScanSummary } from '../../functions/scan/scan.ts';
import { SnsAlertPublisher } from '../../functions/notify/sns-publisher.ts';
import { scanExitCode } from '../../cli/commands/scan.ts';
import type { ReceivedAlert } from '../../local/local-aws.ts';
import { localClients } from '../support/aws.ts';
import { ManualTicker, pipeline, stallOn, type EveningOptions, type PipelineHarness } from './harness.ts';
import { rateStory } from './story.ts';

const FIRST = '000660';
const STALLED = '005930';
const LAST = '017670';
const CODES = [FIRST, STALLED, LAST];
const TTL_MS = 2_000;
const crossing = (stkCd: string) => `${stkCd}-20250304-limit_exh_rt_cross_up`;

async function threeCrossings(): Promise<PipelineHarness> {
  const h = await pipeline();
  for (const stkCd of CODES) {
    await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
    h.story(stkCd, rateStory('20250303', [4880, 4905]));
  }
  h.atEvening('20250304');
  return h;
}

/** How many times each alert reached the subscriber, alone or inside a digest. */
function deliveries(received: readonly ReceivedAlert[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const message of received) {
    const payload = message.default as { kind?: string; alert_id?: string; alert_ids?: string[] };
    const ids = payload.kind === 'digest' ? (payload.alert_ids ?? []) : [String(payload.alert_id)];
    for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

function start(h: PipelineHarness, holder: string, options: EveningOptions = {}): Promise<ScanSummary> {
  return runScan(h.deps(options), h.scanOptions({ leaseHolder: holder, leaseTtlMs: TTL_MS, concurrency: 1, ...options }));
}

/**
 * Scan A stalls on the middle code with its renewal timer frozen; the clock
 * passes A's lease; scan B runs to the end; then A wakes up; then a clean run.
 */
async function stalledPastItsLease(delivery: 'each' | 'digest') {
  const h = await threeCrossings();
  const stall = stallOn(h.newKiwoomClient(), STALLED);
  const frozen = new ManualTicker();
  const a = start(h, 'scan-a', { kiwoom: stall.source, ticker: frozen, delivery });
  await stall.reached;

  h.now = new Date(h.now.getTime() + TTL_MS + 1_000);
  const b = await start(h, 'scan-b', { kiwoom: h.newKiwoomClient(), delivery });
  stall.release();
  const stale = await a;

  h.now = new Date(h.now.getTime() + 60_000);
  const clean = await start(h, 'scan-c', { delivery });
  return { h, stale, b, clean, received: await h.received(), frozen };
}

describe('a scan that stalls past its lease while another takes over', () => {
  it.each(['each', 'digest'] as const)('delivers every alert exactly once (%s delivery)', async (delivery) => {
    const { received } = await stalledPastItsLease(delivery);
    expect(deliveries(received)).toEqual(Object.fromEntries(CODES.map((c) => [crossing(c), 1])));
  });

  it('stops the stale scan with "lease lost" and leaves its codes to the scan that holds the lease', async () => {
    const { stale, b } = await stalledPastItsLease('each');
    expect(stale.stopped?.reason).toBe('lease lost');
    expect(stale.codes_not_reached).toEqual([STALLED, LAST]);
    expect([stale.alerts_published, b.alerts_published]).toEqual([1, 2]);
    expect(scanExitCode(stale)).toBe(1);
  });

  it('has nothing left for the clean run, and no renewal timer left behind', async () => {
    const { clean, frozen, h } = await stalledPastItsLease('digest');
    expect([clean.alerts_published, clean.alerts_retried, clean.stopped]).toEqual([0, 0, null]);
    expect((await h.ledgerEntries()).map((e) => e.status)).toEqual(['sent', 'sent', 'sent']);
    expect(frozen.scheduled).toBe(0);
  });
});

describe('the lease while a code is stalled', () => {
  it('is renewed on its timer, so no second scan takes it', async () => {
    const h = await threeCrossings();
    const stall = stallOn(h.newKiwoomClient(), STALLED);
    const ticker = new ManualTicker();
    const a = start(h, 'scan-a', { kiwoom: stall.source, ticker });
    await stall.reached;

    // Two thirds of the lease later the timer fires, while the code is still stalled.
    h.now = new Date(h.now.getTime() + (TTL_MS * 2) / 3);
    await ticker.tick();
    h.now = new Date(h.now.getTime() + (TTL_MS * 2) / 3);
    const b = await start(h, 'scan-b', { kiwoom: h.newKiwoomClient() });
    stall.release();
    const first = await a;

    expect(b.lease_held?.holder).toBe('scan-a');
    expect([first.stopped, first.alerts_published]).toEqual([null, 3]);
    expect(deliveries(await h.received())).toEqual(Object.fromEntries(CODES.map((c) => [crossing(c), 1])));
  });
});

describe('a retry of unsent alerts that stalls past the lease', () => {
  /** SNS that answers the first publish only when told to (a slow answer); later ones go straight through. */
  function slowFirstAnswer(inner: Publisher) {
    let releaseIt!: () => void;
    let reachedIt!: () => void;
    const released = new Promise<void>((resolve) => (releaseIt = resolve));
    const reached = new Promise<void>((resolve) => (reachedIt = resolve));
    let calls = 0;
    const publisher: Publisher = {
      async publish(message: LedgerMessage) {
        calls += 1;
        if (calls === 1) {
          reachedIt();
          await released;
        }
        return inner.publish(message);
      },
    };
    return { publisher, reached, release: () => releaseIt() };
  }

  it('publishes no further entry once another scan took over', async () => {
    const h = await threeCrossings();
    // The evening's alerts are recorded, but SNS is down: all three stay unsent.
    await start(h, 'scan-0', { publisher: new SnsAlertPublisher(localClients().sns, `${h.topicArn}-deleted`) });
    h.now = new Date(h.now.getTime() + 60_000);

    const slow = slowFirstAnswer(h.publisher);
    const frozen = new ManualTicker();
    const a = start(h, 'scan-a', { publisher: slow.publisher, ticker: frozen });
    await slow.reached;
    h.now = new Date(h.now.getTime() + TTL_MS + 1_000);
    const b = await start(h, 'scan-b');
    slow.release();
    const stale = await a;

    // The publish SNS had already taken may land twice (same alert_id); nothing else does.
    const counts = deliveries(await h.received());
    const twice = Object.entries(counts).filter(([, n]) => n > 1);
    expect(Object.keys(counts).sort()).toEqual(CODES.map(crossing));
    expect(twice.length).toBeLessThanOrEqual(1);
    expect(Object.values(counts).every((n) => n <= 2)).toBe(true);
    expect([stale.stopped?.reason, stale.alerts_retried, b.alerts_retried]).toEqual(['lease lost', 1, 3]);
  });
});
