// The scan's side of two Kiwoom answers (issue 11): a success with no rows is
// reported as "no rows" for that code, not retried as garbage (item 7), and a
// code whose Kiwoom work runs into the invocation's deadline is left for the
// next invocation, not failed, with the lease released (item 10). Against the
// real local parts through the pipeline harness.
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../cli/commands/scan.ts';
import type { CodeProgress } from '../../functions/scan/scan.ts';
import { DynamoLease } from '../../functions/store/lease.ts';
import { alertIds, pipeline } from '../pipeline/harness.ts';
import { rateStory } from '../pipeline/story.ts';
import { localClients } from '../support/aws.ts';

const EMPTY = '005930';
const GOOD = '017670';

describe('a code Kiwoom answers with no rows (item 7)', () => {
  it('is reported as having no rows, asked once, and the other codes go on', async () => {
    const h = await pipeline();
    for (const stkCd of [EMPTY, GOOD]) {
      await h.watch({ stk_cd: stkCd, limit_exh_rt_above: 49 });
      h.story(stkCd, rateStory('20250303', [4880, 4905]));
    }
    h.simulator.inject({ kind: 'kiwoomError', stkCd: EMPTY, returnCode: 0, returnMsg: '정상적으로 처리되었습니다' });

    const progress: CodeProgress[] = [];
    const summary = await h.scanEvening('20250304', { onProgress: (p) => progress.push(p) });

    expect(summary.codes_without_rows).toEqual([EMPTY]);
    expect(progress.find((p) => p.stkCd === EMPTY)).toMatchObject({ noRows: true, days: 0 });
    expect(progressLine(progress.find((p) => p.stkCd === EMPTY)!)).toContain('no rows from Kiwoom');
    expect(summary.codes_failed).toEqual([]);
    expect(h.requestedCodes().filter((c) => c === EMPTY)).toHaveLength(1);
    expect(alertIds(await h.received())).toEqual([`${GOOD}-20250304-limit_exh_rt_cross_up`]);
  });
});

describe('a code cut short by the deadline (item 10)', () => {
  it('is left for the next invocation instead of failing, with its request ended and the lease released', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: GOOD, limit_exh_rt_above: 49 });
    h.story(GOOD, rateStory('20250303', [4880, 4905]));
    // Kiwoom holds the request until the client gives up (10 s by default).
    h.simulator.inject({ kind: 'timeout', stkCd: GOOD, count: 1 });

    // A quarter of a second left in this invocation.
    const summary = await h.scanEvening('20250304', { remainingMs: () => 250 });

    expect(summary.codes_not_reached).toEqual([GOOD]);
    expect(summary.codes_failed).toEqual([]);
    expect(summary.done).toBe(false);
    expect(h.ka10008Requests().length).toBeLessThanOrEqual(1);
    const lease = new DynamoLease(localClients().doc, h.tables.historyTable, 'pipeline-app');
    // Released: the fencing lease keeps its item (an epoch is never handed out twice), expired.
    expect((await lease.current())?.expiresAt.getTime()).toBe(0);

    const next = await h.scanEvening('20250304', { runId: summary.run_id, runStartedAt: summary.run_started_at });

    expect([next.codes_scanned, next.done]).toEqual([1, true]);
    expect(alertIds(await h.received())).toEqual([`${GOOD}-20250304-limit_exh_rt_cross_up`]);
  });
});
