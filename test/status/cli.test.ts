// `kfa status` and `kfa report` as a user runs them: `node bin/kfa.js …`
// against DynamoDB Local holding a known history (snapshots with the rule
// state the scan left, ledger entries, code states). The CLI reads the real
// clock, so the history is laid out relative to today in Korea: fresh codes
// end today, the stale one ten trading days earlier.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kstDay, newestFinalWeekday } from '../../functions/domain/calendar.ts';
import type { RuleState } from '../../functions/domain/types.ts';
import { AlertLedger, type NewLedgerEntry } from '../../functions/store/alert-ledger.ts';
import { HistoryStore, type StoredSnapshot } from '../../functions/store/history-store.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { weekdaysBetween } from '../../functions/status/trading-days.ts';
import { tradingDaysBackFrom } from '../../local/kiwoom-simulator/dataset.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa, type CliResult } from '../support/cli.ts';
import { storedSnapshot } from '../support/fixtures.ts';
import { CHG, correctedSnapshot, correctionEntry, CROSS_UP, ledgerEntry } from '../support/ledger-fixtures.ts';
import { attr, byTag, elements, hasClass, markLabels, parseHtml, type Node } from '../report/dom.ts';

const CUTOFF = '18:00';
let tables: { watchlistTable: string; historyTable: string };
let dir: string;
let days: string[]; // newest first, today's (or the last weekday's) first
let expectedBounds: string[];
let statusJson: CliResult;
let statusText: CliResult;
let statusSome: CliResult;
let report: CliResult;

function kfa(args: string[]): Promise<CliResult> {
  return spawnKfa(args, kfaEnv({ WATCHLIST_TABLE: tables?.watchlistTable, HISTORY_TABLE: tables?.historyTable, SCAN_DAY_CUTOFF: CUTOFF }));
}

const EMPTY: RuleState = { disarmedUpBp: [], disarmedDownBp: [] };

/** `count` stored days of `stkCd` ending `from` days into `days`, oldest first; the newest gets `last` and `state`. */
function history(
  stkCd: string,
  from: number,
  count: number,
  day: (i: number) => { rateBp: number; chgQty: number; room: number },
  state: RuleState,
): StoredSnapshot[] {
  return days
    .slice(from, from + count)
    .reverse()
    .map((dt, i, all) => {
      const { rateBp, chgQty, room } = day(i);
      return storedSnapshot(
        { stkCd, dt, limitExhRtBp: rateBp, chgQty, gainPosStkcnt: room },
        { ruleState: i === all.length - 1 ? state : EMPTY },
      );
    });
}

beforeAll(async () => {
  tables = await uniqueTables();
  dir = await mkdtemp(join(tmpdir(), 'kfa-status-'));
  days = tradingDaysBackFrom(kstDay(new Date()), 40, new Set());
  const { doc } = localClients();
  const watchlist = new WatchlistStore(doc, tables.watchlistTable);
  await watchlist.put({ stk_cd: '*', frgnr_limit_change: true });
  await watchlist.put({ stk_cd: '017670', name: 'SK텔레콤', limit_exh_rt_above: 99, limit_exh_rt_below: 98, hysteresis_pp: 0.2, confirm_days: 2 });
  await watchlist.put({ stk_cd: '005930', name: '삼성전자', limit_exh_rt_above: [51, 52], snooze_until: '20991231' });
  await watchlist.put({ stk_cd: '030200', name: 'KT', limit_exh_rt_above: 99.9 });
  await watchlist.put({ stk_cd: '000660', name: 'SK하이닉스', enabled: false });
  await watchlist.put({ stk_cd: '035720', name: '카카오', limit_exh_rt_above: '49.123' });

  const store = new HistoryStore(doc, tables.historyTable);
  await store.putSnapshots([
    // 97.95%, one day below 98 of the two confirm_days asks for.
    ...history('017670', 0, 5, () => ({ rateBp: 9795, chgQty: -1000, room: 5_000_000 }), {
      ...EMPTY,
      pendingCrossings: [{ direction: 'down', thresholdBp: 9800, sinceDt: days[0]!, days: 1 }],
    }),
    // 51.10%, 51 crossed and disarmed; a million shares bought a day against 20.5 million of room.
    ...history('005930', 0, 25, () => ({ rateBp: 5110, chgQty: 1_000_000, room: 20_500_000 }), { disarmedUpBp: [5100], disarmedDownBp: [] }),
    // Ten trading days behind.
    ...history('030200', 10, 5, () => ({ rateBp: 9900, chgQty: 0, room: 1_000_000 }), EMPTY),
    ...history('000660', 10, 5, () => ({ rateBp: 5400, chgQty: 0, room: 1_000_000 }), EMPTY),
  ]);
  await store.putCodeState({ stkCd: '030200', lastDt: days[10]!, checkedAt: '2026-01-05T09:31:00.000Z', lastRunId: 'run-1' });

  const ledger = new AlertLedger(doc, tables.historyTable);
  const sent = await ledger.record(ledgerEntry('017670', days[3]!, CROSS_UP, 'SK텔레콤'));
  if (sent.created) await ledger.markSent('017670', days[3]!, CROSS_UP.rule, 'msg-1');
  await ledger.record(ledgerEntry('017670', days[1]!, CHG, 'SK텔레콤'));
  // Older than the report's 15 days: in the ledger, not on the chart.
  await ledger.record(ledgerEntry('017670', days[30]!, CHG, 'SK텔레콤'));
  // Kiwoom corrected these days: each crossing is withdrawn with a correction notice of its own
  // (for 030200 the newest entry of the code).
  await withdrawWithNotice(ledger, ledgerEntry('017670', days[3]!, CROSS_UP, 'SK텔레콤'));
  await withdrawWithNotice(ledger, ledgerEntry('030200', days[10]!, CROSS_UP, 'KT'), 'msg-2');

  const before = newestFinalWeekday(new Date(), CUTOFF);
  [statusJson, statusText, statusSome, report] = await Promise.all([
    kfa(['status', '--json']),
    kfa(['status']),
    kfa(['status', '--codes', '030200,035720', '--json']),
    kfa(['report', '--html', join(dir, 'report.html'), '--days', '15', '--images', join(dir, 'charts')]),
  ]);
  expectedBounds = [before, newestFinalWeekday(new Date(), CUTOFF)];
}, 60_000);

/** As the scan leaves a sent crossing a correction withdrew: withdrawn, and a sent notice recorded with it. */
async function withdrawWithNotice(ledger: AlertLedger, original: NewLedgerEntry, sendAs?: string): Promise<void> {
  if (sendAs !== undefined) {
    await ledger.record(original);
    await ledger.markSent(original.stkCd, original.dt, original.rule, sendAs);
  }
  const entry = await ledger.get(original.stkCd, original.dt, original.rule);
  if (entry === undefined) throw new Error(`no entry ${original.stkCd} ${original.dt}`);
  const notice = correctionEntry(original, correctedSnapshot(original.stkCd, original.dt, 4890), null);
  await ledger.withdraw(entry, { thresholdsBp: [4900], all: true, reason: 'corrected' }, notice);
  await ledger.markSent(notice.stkCd, notice.dt, notice.rule, 'msg-notice', notice.variant);
}

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Json = Record<string, unknown>;
function codes(result: CliResult): Json[] {
  return (JSON.parse(result.stdout) as { codes: Json[] }).codes;
}
function codeOf(result: CliResult, stkCd: string): Json {
  const found = codes(result).find((c) => c.stk_cd === stkCd);
  if (!found) throw new Error(`${stkCd} missing from ${result.stdout}`);
  return found;
}

describe('kfa status --json', () => {
  it('exits 0 with one object whose codes are sorted by the nearest threshold', () => {
    expect(statusJson.code).toBe(0);
    expect(codes(statusJson).map((c) => c.stk_cd)).toEqual(['017670', '005930', '030200', '000660']);
  });

  it('gives the newest stored day, the rate in percent and chg_qty in shares', () => {
    expect(codeOf(statusJson, '017670')).toMatchObject({ name: 'SK텔레콤', dt: days[0], limit_exh_rt: 97.95, chg_qty: -1000 });
  });

  it('gives each threshold\'s signed distance in percentage points and its pending confirmation', () => {
    expect(codeOf(statusJson, '017670').thresholds).toEqual([
      { direction: 'below', threshold: 98, distance_pp: -0.05, crossed: true, armed: true, rearm_at: null, pending: { days: 1, confirm_days: 2, since: days[0] } },
      { direction: 'above', threshold: 99, distance_pp: 1.05, crossed: false, armed: true, rearm_at: null, pending: null },
    ]);
  });

  it('says which thresholds hysteresis has disarmed and where they re-arm', () => {
    expect(codeOf(statusJson, '005930').thresholds).toEqual([
      { direction: 'above', threshold: 51, distance_pp: -0.1, crossed: true, armed: false, rearm_at: 51, pending: null },
      { direction: 'above', threshold: 52, distance_pp: 0.9, crossed: false, armed: true, rearm_at: null, pending: null },
    ]);
  });

  it('gives the days to exhaustion at the 20-day average net buying, and the snooze', () => {
    expect(codeOf(statusJson, '005930')).toMatchObject({
      days_to_exhaustion: 21,
      exhaustion_forecast: { days_left: 21, room_shares: 20_500_000, avg_daily_net_buying: 1_000_000, window_days: 20 },
      snooze_until: '20991231',
      snoozed: true,
    });
    expect(codeOf(statusJson, '017670')).toMatchObject({ days_to_exhaustion: null, snooze_until: null, snoozed: false });
  });

  it('gives the last alert from the ledger: the newest trading day\'s', () => {
    expect(codeOf(statusJson, '017670').last_alert).toEqual({
      alert_id: `017670-${days[1]}-chg_qty_abs`,
      dt: days[1],
      rule: 'chg_qty_abs',
      status: 'pending',
      sent_at: null,
    });
    expect(codeOf(statusJson, '005930').last_alert).toBeNull();
  });

  it('takes the last alert from the alerts, never from a correction notice, even the newest entry', () => {
    expect(codeOf(statusJson, '030200').last_alert).toMatchObject({
      alert_id: `030200-${days[10]}-limit_exh_rt_cross_up`,
      rule: 'limit_exh_rt_cross_up',
      status: 'sent',
    });
  });

  it('warns when the newest stored day is older than the last trading day that should be final', () => {
    const stale = codeOf(statusJson, '030200').stale as Json;
    expect(expectedBounds).toContain(stale.expected_dt);
    expect(stale.trading_days_behind).toBe(weekdaysBetween(days[10]!, stale.expected_dt as string).length);
    expect(stale.trading_days_behind).toBeGreaterThanOrEqual(9);
    expect(stale.last_checked_at).toBe('2026-01-05T09:31:00.000Z');
    for (const fresh of ['017670', '005930']) expect(codeOf(statusJson, fresh).stale).toBeNull();
  });

  it('shows a disabled code without a stale warning', () => {
    expect(codeOf(statusJson, '000660')).toMatchObject({ enabled: false, stale: null, thresholds: [] });
  });

  it('reports an invalid item with its reason, and --codes keeps to the codes given', () => {
    const all = JSON.parse(statusJson.stdout) as { invalid: Json[] };
    expect(all.invalid).toEqual([expect.objectContaining({ stk_cd: '035720', message: expect.stringContaining('more than two decimals') })]);
    expect(statusSome.code).toBe(0);
    expect(codes(statusSome).map((c) => c.stk_cd)).toEqual(['030200']);
    expect((JSON.parse(statusSome.stdout) as { invalid: Json[] }).invalid).toHaveLength(1);
  });
});

describe('kfa status', () => {
  it('prints one line per code, nearest threshold first, and one per invalid item', () => {
    expect(statusText.code).toBe(0);
    const lines = statusText.stdout.split('\n');
    const order = ['017670', '005930', '030200', '000660'].map((c) => lines.findIndex((l) => l.startsWith(c)));
    expect(order.every((i, n) => i > 0 && (n === 0 || i > (order[n - 1] ?? 0)))).toBe(true);
    expect(lines.find((l) => l.startsWith('017670'))).toContain('↓98% -0.05pp pending 1/2');
    expect(lines.find((l) => l.startsWith('030200'))).toMatch(/STALE: \d{4}-\d\d-\d\d should be stored by now, \d+ trading day\(s\) behind/);
    expect(lines.find((l) => l.startsWith('035720'))).toMatch(/^035720 {2}INVALID {2}watchlist item 035720: limit_exh_rt_above/);
  });
});

describe('kfa report --html', () => {
  let page: Node;
  beforeAll(async () => {
    page = parseHtml(await readFile(join(dir, 'report.html'), 'utf8'));
  });

  function section(stkCd: string): Node {
    return elements(page).find((e) => e.tagName === 'section' && hasClass(e, 'code') && attr(e, 'data-stk-cd') === stkCd)!;
  }

  it('writes the page and says where', () => {
    expect(report.code).toBe(0);
    expect(report.stderr).toContain(`report written to ${join(dir, 'report.html')} (4 codes, 4 charts)`);
  });

  it('draws one chart per code with its threshold lines', () => {
    for (const stkCd of ['017670', '005930', '030200', '000660']) expect(byTag(section(stkCd), 'svg')).toHaveLength(1);
    expect(markLabels(section('017670'), 'thresholds').sort()).toEqual(['threshold above 99%', 'threshold below 98%']);
    expect(markLabels(section('005930'), 'thresholds').sort()).toEqual(['threshold above 51%', 'threshold above 52%']);
  });

  it('puts one marker per alert of the period on the chart, and lists them', () => {
    expect(markLabels(section('017670'), 'alerts').sort()).toEqual([`alert ${days[1]} chg_qty_abs`, `alert ${days[3]} limit_exh_rt_cross_up`].sort());
    const listed = byTag(section('017670'), 'tr').map((r) => attr(r, 'data-alert-id')).filter(Boolean);
    expect(listed).toEqual([`017670-${days[1]}-chg_qty_abs`, `017670-${days[3]}-limit_exh_rt_cross_up`]);
  });

  it('draws no marker and lists no row for a correction notice', () => {
    for (const stkCd of ['017670', '030200']) {
      expect(markLabels(section(stkCd), 'alerts').filter((l) => l.includes('correction')), stkCd).toEqual([]);
      const listed = byTag(section(stkCd), 'tr').map((r) => attr(r, 'data-alert-id') ?? '');
      expect(listed.filter((id) => id.includes('-correction-')), stkCd).toEqual([]);
    }
    expect(markLabels(section('030200'), 'alerts')).toEqual([`alert ${days[10]} limit_exh_rt_cross_up`]);
  });

  it('refers to nothing outside the file', () => {
    const refs = elements(page).flatMap((e) => (e.attrs ?? []).filter((a) => /^(src|href|xlink:href)$/.test(a.name)).map((a) => a.value));
    expect(refs.every((r) => r.startsWith('#'))).toBe(true);
    expect(byTag(page, 'script')).toEqual([]);
  });

  it('writes each chart as a PNG twice the size of its SVG, not blank', async () => {
    const viewBox = attr(byTag(section('017670'), 'svg')[0]!, 'viewBox')!.split(' ').map(Number);
    const png = PNG.sync.read(await readFile(join(dir, 'charts', '017670.png')));
    expect([png.width, png.height]).toEqual([Math.ceil(viewBox[2]! * 2), Math.ceil(viewBox[3]! * 2)]);
    let inked = 0;
    for (let i = 0; i < png.data.length; i += 4) if ((png.data[i] ?? 255) < 200) inked += 1;
    expect(inked / (png.width * png.height)).toBeGreaterThan(0.01);
  });
});
