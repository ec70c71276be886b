// Kiwoom sometimes first serves day D as a copy of D−1 and corrects it a
// later evening. The corrected day is re-evaluated against the day before it
// and its alert is sent once, marked as following a revision.
import { describe, expect, it } from 'vitest';
import type { RawRow } from '../../functions/domain/types.ts';
import { payloads, pipeline } from './harness.ts';
import { daysOf, patchRow, rateStory } from './story.ts';

const HYNIX = '000660';

async function revisedStory() {
  const h = await pipeline();
  await h.watch({ stk_cd: HYNIX, name: 'SK하이닉스', limit_exh_rt_above: 49 });
  // d2 really crosses 49%, but its first version is a copy of d1.
  const rows = rateStory('20250303', [4870, 4880, 4905, 4910]);
  const [, d1, d2, d3] = daysOf(rows) as [string, string, string, string];
  h.story(HYNIX, rows);
  const d1Row = rows.find((r) => r.dt === d1) as RawRow;
  const copy = patchRow(rows, d2, { ...d1Row });

  await h.scanEvening(d1);
  h.story(HYNIX, copy);
  const copyEvening = await h.scanEvening(d2);
  const onCopyEvening = await h.received();
  h.story(HYNIX, rows);
  const corrected = await h.scanEvening(d3);
  const onCorrection = await h.received();
  return { h, d1, d2, d3, d1Row, copyEvening, onCopyEvening, corrected, onCorrection };
}

describe('a day Kiwoom revises', () => {
  it('sends nothing while Kiwoom serves the day as a copy of the day before', async () => {
    const { copyEvening, onCopyEvening } = await revisedStory();
    expect([copyEvening.days_processed, onCopyEvening]).toEqual([1, []]);
  });

  it('sends the corrected day’s alert once, marked as a revision', async () => {
    const { onCorrection, d1, d2 } = await revisedStory();
    expect(payloads(onCorrection)).toMatchObject([
      { dt: d2, previous_dt: d1, rule: 'limit_exh_rt_cross_up', value: 49.05, previous_value: 48.8, revision: true },
    ]);
    expect(onCorrection[0]?.subject).toContain('[정정]');
  });

  it('counts one revision in the summary of the evening that finds it', async () => {
    const { corrected } = await revisedStory();
    expect([corrected.revisions, corrected.days_processed, corrected.alerts_published]).toEqual([1, 1, 1]);
  });

  it('stores the corrected day as revision 1, keeping the version it replaced', async () => {
    const { h, d2, d1Row } = await revisedStory();
    const stored = (await h.storedDays(HYNIX)).find((s) => s.snapshot.dt === d2);
    expect([stored?.revision, stored?.snapshot.row.limit_exh_rt]).toEqual([1, '+49.05']);
    expect(stored?.previousRows).toEqual([{ ...d1Row, dt: d2 }]);
  });

  it('compares the next day with the corrected figures, not the copy', async () => {
    const { h } = await revisedStory();
    // d3 (49.10%) after the corrected d2 (49.05%) crosses nothing; after the copy (48.80%) it would.
    const ledger = await h.ledgerEntries();
    expect(ledger.map((e) => [e.dt, e.rule, e.revision])).toEqual([['20250305', 'limit_exh_rt_cross_up', true]]);
  });

  it('sends nothing more when the same evening is scanned again', async () => {
    const { h, d3 } = await revisedStory();
    const again = await h.scanEvening(d3);
    expect([again.revisions, again.alerts_published, await h.received()]).toEqual([0, 0, []]);
  });

  it('does not take a respelled value for a revision', async () => {
    const h = await pipeline();
    await h.watch({ stk_cd: HYNIX, limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4880, 4890]);
    const [, d1, d2] = daysOf(rows) as [string, string, string];
    h.story(HYNIX, rows);
    await h.scanEvening(d1);

    // Same figures, other spelling: no sign, zero padding.
    h.story(HYNIX, patchRow(rows, d1, { limit_exh_rt: '48.80', poss_stkcnt: '0048800000' }));
    const summary = await h.scanEvening(d2);

    expect([summary.revisions, summary.alerts_published]).toEqual([0, 0]);
  });
});

describe('a revision of history that backfill stored', () => {
  it('keeps the corrected day, still marked as backfill’s, and sends nothing: the scan never evaluated that day', async () => {
    const { runBackfill } = await import('../../functions/replay/replay.ts');
    const { ReplayStore } = await import('../../functions/replay/replay-store.ts');
    const { localClients } = await import('../support/aws.ts');
    const h = await pipeline();
    await h.watch({ stk_cd: HYNIX, limit_exh_rt_above: 49 });
    const rows = rateStory('20250303', [4870, 4880, 4890, 4895, 4896]);
    const [, , d2, d3, d4] = daysOf(rows) as [string, string, string, string, string];
    // Backfill up to d3, as `kfa backfill` would before the first scan.
    h.atEvening(d3);
    h.story(HYNIX, rows);
    h.serveUpTo(HYNIX, d3);
    await runBackfill(
      { kiwoom: h.kiwoom, store: new ReplayStore(localClients().doc, h.tables.historyTable), now: () => h.now, dayCutoffKst: '18:00' },
      { codes: [HYNIX], days: 10 },
    );
    // Kiwoom later corrects d2 so that it would have crossed 49%.
    h.story(HYNIX, patchRow(rows, d2, { limit_exh_rt: '+49.05', poss_stkcnt: '49050000' }));
    const summary = await h.scanEvening(d4);

    expect(summary.revisions).toBe(1);
    expect(await h.received()).toEqual([]);
    const stored = (await h.storedDays(HYNIX)).find((s) => s.snapshot.dt === d2);
    expect([stored?.revision, stored?.snapshot.limitExhRtBp, stored?.storedBy]).toEqual([1, 4905, 'replay']);
  });
});
