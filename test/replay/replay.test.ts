// kfa replay / backfill against the Kiwoom simulator and DynamoDB Local:
// same engine as the scan, a cache that saves Kiwoom calls, and never a day
// stored that the scan has yet to evaluate.
import { describe, expect, it } from 'vitest';
import { UnknownStockError } from '../../functions/kiwoom/errors.ts';
import { UnreadableHistoryError } from '../../functions/replay/errors.ts';
import { runBackfill, runReplay } from '../../functions/replay/replay.ts';
import { alertJson } from '../../functions/replay/report.ts';
import {
  alertKey,
  daysOf,
  payloadsOf,
  recordingPublisher,
  ReplayWorld,
  settingsOf,
  wanderingHistory,
  wanderingItem,
} from './support.ts';

const CODE = 'RP0001';
const ROWS = wanderingHistory(CODE);
const DAYS = daysOf(ROWS);
const day = (index: number): string => DAYS[index] as string;

async function world(): Promise<ReplayWorld> {
  const w = await ReplayWorld.start({ pageSize: 10 });
  w.story(CODE, ROWS);
  await w.watchlist.put(wanderingItem(CODE));
  return w;
}

const settings = settingsOf(wanderingItem(CODE));

/** The scan run evening after evening (one evening missed) from day 60 to day 89; its published payloads. */
async function scanEveningByEvening(w: ReplayWorld): Promise<Record<string, unknown>[]> {
  const publisher = recordingPublisher();
  for (let i = 60; i <= 89; i++) {
    if (i === 70) continue; // a missed evening: the next one catches up
    const summary = await w.scanEvening(day(i), publisher);
    expect(summary.codes_failed).toEqual([]);
  }
  return payloadsOf(publisher.messages);
}

describe('kfa replay: the same engine as the scan', () => {
  it('finds exactly the alerts the scan sent evening by evening over the same days', async () => {
    const w = await world();
    const sent = await scanEveningByEvening(w);
    const fresh = await world();
    fresh.atEvening(day(89));

    const result = await runReplay(fresh.replayDeps(), { settings, fromDt: day(60) });

    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(result.alerts.map(alertJson).map(alertKey)).toEqual(sent.map(alertKey));
  });

  it('finds the same alerts when it reads the days the scan itself stored', async () => {
    const w = await world();
    const sent = await scanEveningByEvening(w);

    const result = await runReplay(w.replayDeps(), { settings, fromDt: day(60) });

    expect(result.alerts.map(alertJson).map(alertKey)).toEqual(sent.map(alertKey));
  });
});

describe('kfa replay: the History table as a cache', () => {
  it('makes no ka10008 call when the same range is replayed again', async () => {
    const w = await world();
    w.atEvening(day(89));
    const first = await runReplay(w.replayDeps(), { settings, fromDt: day(60) });
    expect(w.ka10008Calls()).toBeGreaterThan(0);
    w.simulator.clearRequests();

    const second = await runReplay(w.replayDeps(), { settings, fromDt: day(60) });

    expect(w.ka10008Calls()).toBe(0);
    expect(second.fetch.cacheHit).toBe(true);
    expect(second.alerts).toEqual(first.alerts);
  });

  it('fetches only the newest page when a few trading days were added since', async () => {
    const w = await world();
    w.atEvening(day(84));
    await runReplay(w.replayDeps(), { settings, fromDt: day(60) });
    w.atEvening(day(89));
    w.simulator.clearRequests();

    const later = await runReplay(w.replayDeps(), { settings, fromDt: day(60) });

    expect(w.ka10008Calls()).toBe(1);
    expect(later.days.at(-1)?.dt).toBe(day(89));
  });

  it('pages back only as far as a wider range needs, then answers it from the table', async () => {
    const w = await world();
    w.atEvening(day(89));
    await runReplay(w.replayDeps(), { settings, fromDt: day(60) });
    w.simulator.clearRequests();

    // ka10008 cannot start mid-history: reaching day 29 (the baseline of day 30)
    // takes the pages from the newest down, 10 rows each: rows 0–69, 7 pages.
    await runReplay(w.replayDeps(), { settings, fromDt: day(30) });
    expect(w.ka10008Calls()).toBe(7);
    w.simulator.clearRequests();

    await runReplay(w.replayDeps(), { settings, fromDt: day(30) });
    await runReplay(w.replayDeps(), { settings, fromDt: day(45), toDt: day(80) });
    expect(w.ka10008Calls()).toBe(0);
  });

  it('makes no call for a range ending inside the cache even after new trading days', async () => {
    const w = await world();
    w.atEvening(day(84));
    await runReplay(w.replayDeps(), { settings, fromDt: day(60), toDt: day(80) });
    w.atEvening(day(89));
    w.simulator.clearRequests();

    const result = await runReplay(w.replayDeps(), { settings, fromDt: day(60), toDt: day(80) });

    expect(w.ka10008Calls()).toBe(0);
    expect([result.days[0]?.dt, result.days.at(-1)?.dt]).toEqual([day(60), day(80)]);
  });

  it('evaluates the first day of the range against the trading day before it', async () => {
    const w = await world();
    w.atEvening(day(89));

    const result = await runReplay(w.replayDeps(), { settings, fromDt: day(60) });

    expect(result.series.baseline?.dt).toBe(day(59));
    expect(result.days.map((d) => d.dt)).toEqual(DAYS.slice(60));
  });

  it('refuses to compare across an unreadable row inside the range', async () => {
    const w = await world();
    w.story(CODE, ROWS.map((row) => (row.dt === day(75) ? { ...row, limit_exh_rt: 'n/a' } : row)));
    w.atEvening(day(89));

    await expect(runReplay(w.replayDeps(), { settings, fromDt: day(60) })).rejects.toBeInstanceOf(UnreadableHistoryError);
  });

  it('replays normally when the unreadable row is older than the range', async () => {
    const w = await world();
    w.story(CODE, ROWS.map((row) => (row.dt === day(50) ? { ...row, limit_exh_rt: 'n/a' } : row)));
    w.atEvening(day(89));

    const result = await runReplay(w.replayDeps(), { settings, fromDt: day(60) });

    expect(result.series.baseline?.dt).toBe(day(59));
  });

  it('fails with Kiwoom’s unknown-stock error for a code Kiwoom does not know', async () => {
    const w = await world();
    const unknown = settingsOf({ stk_cd: 'ZZ9999', limit_exh_rt_above: 49 });

    await expect(runReplay(w.replayDeps(), { settings: unknown, fromDt: day(60) })).rejects.toBeInstanceOf(UnknownStockError);
  });
});

describe('kfa replay and backfill: the scan never skips a day because of them', () => {
  it('never replaces a day the scan stored', async () => {
    const w = await world();
    const publisher = recordingPublisher();
    for (let i = 60; i <= 65; i++) await w.scanEvening(day(i), publisher);
    const scanned = (await w.historyItems()).filter((item) => String(item.pk).startsWith('SNAP#'));

    await runReplay(w.replayDeps(), { settings, fromDt: day(40) });

    const after = await w.historyItems();
    for (const item of scanned) expect(after.find((a) => a.pk === item.pk && a.sk === item.sk)).toEqual(item);
    expect(after.filter((a) => a.stored_by === 'replay').map((a) => a.dt)).toEqual(
      expect.arrayContaining([day(39), day(58)]),
    );
  });

  it('stores no day newer than the scan’s last, and the next scan still evaluates those days', async () => {
    const w = await world();
    const publisher = recordingPublisher();
    await w.scanEvening(day(60), publisher);
    w.atEvening(day(64)); // three evenings missed

    const replayed = await runReplay(w.replayDeps(), { settings, fromDt: day(40) });
    expect((await w.storedDays(CODE)).at(-1)).toBe(day(60));
    expect(replayed.days.at(-1)?.dt).toBe(day(64));

    const before = publisher.messages.length;
    const summary = await w.scanEvening(day(64), publisher);
    expect(summary.days_processed).toBe(4);
    const caughtUp = payloadsOf(publisher.messages.slice(before)).map(alertKey);
    const expected = replayed.alerts.filter((a) => a.dt > day(60)).map(alertJson).map(alertKey);
    expect(caughtUp).toEqual(expected);
  });

  it('backfills a code the scan has never stored up to the newest final day; the first scan then evaluates only later days', async () => {
    const w = await world();
    w.atEvening(day(60));
    const summary = await runBackfill(w.replayDeps(), { codes: [CODE], days: 30 });
    expect(summary.codes[0]).toMatchObject({ daysFetched: 30, daysStored: 30, daysNotStored: 0 });
    expect(await w.storedDays(CODE)).toEqual(DAYS.slice(31, 61));

    const scan = await w.scanEvening(day(63), recordingPublisher());

    expect(scan.days_processed).toBe(3);
    expect(scan.alerts.every((a) => String(a.dt) > day(60))).toBe(true);
  });

  it('backfill leaves the days after the code’s last scan to the scan', async () => {
    const w = await world();
    await w.scanEvening(day(60), recordingPublisher());
    w.atEvening(day(63));

    const summary = await runBackfill(w.replayDeps(), { codes: [CODE], days: 30 });

    expect(summary.codes[0]).toMatchObject({ daysNotStored: 3 });
    expect((await w.storedDays(CODE)).at(-1)).toBe(day(60));
    expect((await w.scanEvening(day(63), recordingPublisher())).days_processed).toBe(3);
  });

  it('writes only snapshots and its range item: no alert ledger entry is added or changed', async () => {
    const w = await world();
    await w.scanEvening(day(60), recordingPublisher());
    const before = await w.historyItems();
    w.atEvening(day(70));

    const result = await runReplay(w.replayDeps(), { settings, fromDt: day(30) });

    const after = await w.historyItems();
    expect(result.alerts.length).toBeGreaterThan(0);
    const added = after.filter((a) => !before.some((b) => b.pk === a.pk && b.sk === a.sk));
    expect(new Set(added.map((a) => String(a.pk).split('#')[0]))).toEqual(new Set(['SNAP', 'REPLAY']));
    const ledger = (items: Record<string, unknown>[]) => items.filter((i) => String(i.pk).startsWith('ALERT#'));
    expect(ledger(after)).toEqual(ledger(before));
  });
});
