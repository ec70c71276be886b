// `kfa replay` and `kfa backfill` as a user runs them: `node bin/kfa.js …` in
// a child process pointed at the simulator and DynamoDB Local. Each spawn
// costs a second or two of tsx start-up, so the commands run once, in
// parallel where they do not interfere, and the tests assert on the results.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kstDay } from '../../functions/domain/calendar.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { syntheticHistory } from '../../local/kiwoom-simulator/dataset.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa, type CliResult } from '../support/cli.ts';
import { APP, wanderingItem } from './support.ts';
import { markGroup, markLabels, parseXml } from './svg.ts';

const CODE = 'CL0001';
const OTHER = 'CL0002';

let simulator: KiwoomSimulator;
let tables: { watchlistTable: string; historyTable: string };
let dir: string;

function kfa(args: string[]): Promise<CliResult> {
  return spawnKfa(
    args,
    kfaEnv({
      KIWOOM_BASE_URL: simulator?.url ?? 'http://127.0.0.1:9',
      KIWOOM_APPKEY: APP.appKey,
      KIWOOM_SECRETKEY: APP.secretKey,
      KIWOOM_RATE_LIMIT: '100',
      WATCHLIST_TABLE: tables?.watchlistTable,
      HISTORY_TABLE: tables?.historyTable,
    }),
  );
}

let replayJson: CliResult;
let replayAgain: CliResult;
let chart: CliResult;
let png: CliResult;
let badOption: CliResult;
let unknown: CliResult;
let backfill: CliResult;

beforeAll(async () => {
  simulator = await startKiwoomSimulator({ apps: [APP], allowance: { ka10008: 100, au10001: 100 }, pageSize: 20 });
  tables = await uniqueTables();
  dir = await mkdtemp(join(tmpdir(), 'kfa-replay-'));
  // The CLI reads the real clock: the history runs up to today in Korea, whose
  // row is provisional before the 18:00 cut-off, like Kiwoom's.
  const lastDt = kstDay(new Date());
  simulator.setRows(CODE, syntheticHistory(CODE, { days: 90, lastDt, startRateBp: 4890, maxDailyMoveBp: 20, seed: 3 }));
  simulator.setRows(OTHER, syntheticHistory(OTHER, { days: 90, lastDt }));
  const watchlist = new WatchlistStore(localClients().doc, tables.watchlistTable);
  await watchlist.put(wanderingItem(CODE));
  await watchlist.put({ stk_cd: OTHER, limit_exh_rt_above: 30 });

  // Runs that call Kiwoom at the same time would issue tokens that invalidate
  // each other's (one app key): at most one such run per batch, beside runs
  // that the History table answers or that stop before calling Kiwoom.
  [badOption, replayJson] = await Promise.all([
    kfa(['replay', CODE, '--above', '49.123']),
    kfa(['replay', CODE, '--json']),
  ]);
  [backfill, replayAgain, chart, png] = await Promise.all([
    kfa(['backfill', '--codes', OTHER, '--days', '30', '--json']),
    kfa(['replay', CODE, '--json', '--hysteresis-pp', '0']),
    kfa(['replay', CODE, '--chart', join(dir, 'replay.svg')]),
    kfa(['replay', CODE, '--chart', join(dir, 'replay.png')]),
  ]);
  unknown = await kfa(['replay', 'ZZ9999']);
}, 60_000);

afterAll(async () => {
  await simulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kfa replay', () => {
  it('prints the alerts, counts and verdict as JSON and exits 0', () => {
    expect(replayJson.code).toBe(0);
    const out = JSON.parse(replayJson.stdout) as { alerts: unknown[]; verdict: string; alerts_by_rule: object; stk_cd: string };
    expect(out.stk_cd).toBe(CODE);
    expect(out.alerts.length).toBeGreaterThan(0);
    expect(out.verdict).toMatch(/^\d+ alerts? in \d+ trading days?; /);
  });

  it('answers a second replay from the History table, with the options given', () => {
    expect(replayAgain.code).toBe(0);
    expect(replayAgain.stderr).toContain('no Kiwoom call');
    expect((JSON.parse(replayAgain.stdout) as { settings: { hysteresis_pp: number } }).settings.hysteresis_pp).toBe(0);
  });

  it('writes the chart as SVG with a marker per alert, instead of the text sparkline', async () => {
    expect(chart.code).toBe(0);
    const svg = parseXml(await readFile(join(dir, 'replay.svg'), 'utf8'));
    const alerts = (JSON.parse(replayJson.stdout) as { alerts: unknown[] }).alerts;
    expect(markLabels(markGroup(svg, 'alerts'))).toHaveLength(alerts.length);
    expect(chart.stdout).not.toContain('limit exhaustion rate');
  });

  it('writes the chart as PNG when the path ends in .png', async () => {
    expect(png.code).toBe(0);
    const image = PNG.sync.read(await readFile(join(dir, 'replay.png')));
    // The replay chart's SVG is over 700 units wide; the PNG is drawn at twice that.
    expect(image.width).toBeGreaterThan(1400);
    expect(image.height).toBeGreaterThan(600);
    expect(png.stderr).toContain(`chart written to ${join(dir, 'replay.png')}`);
  });

  it('rejects a threshold the watchlist schema rejects with exit 2', () => {
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('more than two decimals');
  });

  it('exits 1 when Kiwoom fails for the code', () => {
    expect(unknown.code).toBe(1);
  });
});

describe('kfa backfill', () => {
  it('stores the days of the codes given and exits 0', () => {
    expect(backfill.code).toBe(0);
    const out = JSON.parse(backfill.stdout) as { codes: { stk_cd: string; days_stored: number }[] };
    expect(out.codes).toEqual([expect.objectContaining({ stk_cd: OTHER, days_stored: 30 })]);
  });
});
