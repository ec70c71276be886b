// A small world for replay tests: the Kiwoom simulator over HTTP, fresh
// DynamoDB Local tables, the real KiwoomClient, ReplayStore and scan
// adapters; only the clock is injected. Closed when the test finishes.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { onTestFinished } from 'vitest';
import type { RawRow, TradingDay, WatchSettings } from '../../functions/domain/types.ts';
import { resolveWatchSettings } from '../../functions/domain/watchlist.ts';
import { createKiwoomClient, type KiwoomClient } from '../../functions/kiwoom/client.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import type { ReplayDeps } from '../../functions/replay/replay.ts';
import { ReplayStore } from '../../functions/replay/replay-store.ts';
import type { LedgerMessage, Log, Publisher, ScanDeps } from '../../functions/scan/ports.ts';
import { runScan, type ScanSummary } from '../../functions/scan/scan.ts';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { DynamoLease } from '../../functions/store/lease.ts';
import type { TableNames } from '../../functions/store/tables.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { syntheticHistory } from '../../local/kiwoom-simulator/dataset.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../../local/kiwoom-simulator/server.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

export const APP = { appKey: 'replay-test-appkey', secretKey: 'replay-test-secretkey' };
export const CUTOFF = '18:00';
const RATE = 100;

export const silentLog: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * 90 trading days ending 2025-06-30 whose limit exhaustion rate wanders
 * around 49% (seed 3 crosses it four times in the last 40 days), newest first.
 */
export function wanderingHistory(stkCd: string): RawRow[] {
  return syntheticHistory(stkCd, { days: 90, lastDt: '20250630', startRateBp: 4890, maxDailyMoveBp: 20, seed: 3 });
}

/** The watchlist item the tests replay and scan with. */
export function wanderingItem(stkCd: string): Record<string, unknown> {
  return {
    stk_cd: stkCd,
    limit_exh_rt_above: 49,
    limit_exh_rt_below: 49,
    limit_exh_rt_move_pp: 0.15,
    chg_qty_abs: 40_000,
    hysteresis_pp: 0.1,
  };
}

export function settingsOf(item: Record<string, unknown>): WatchSettings {
  const resolved = resolveWatchSettings(item);
  if (!resolved.ok) throw new Error(`bad test item: ${JSON.stringify(resolved.problems)}`);
  return resolved.settings;
}

/** 19:00 KST on `dt`: after the 18:00 cut-off, so the day is final. */
export function eveningOf(dt: TradingDay, timeKst = '19:00'): Date {
  return new Date(`${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)}T${timeKst}:00+09:00`);
}

/** Trading days of a history, oldest first. */
export function daysOf(rows: readonly RawRow[]): TradingDay[] {
  return rows.map((r) => r.dt).reverse();
}

/** A publisher that keeps every message instead of sending it. */
export function recordingPublisher(): Publisher & { messages: LedgerMessage[] } {
  const messages: LedgerMessage[] = [];
  return {
    messages,
    publish: async (message) => {
      messages.push(message);
      return { messageId: `m-${messages.length}` };
    },
  };
}

/** The `default` payloads a recording publisher received. */
export function payloadsOf(messages: readonly LedgerMessage[]): Record<string, unknown>[] {
  return messages.map((m) => JSON.parse((JSON.parse(m.messageJson) as { default: string }).default) as Record<string, unknown>);
}

/** What the test compares between scan and replay: (dt, rule, threshold, value). */
export function alertKey(alert: Record<string, unknown>): string {
  return [alert.dt, alert.rule, alert.threshold, alert.value].join(' ');
}

export class ReplayWorld {
  now: Date = eveningOf('20250630');
  readonly #stories = new Map<string, RawRow[]>();

  private constructor(
    readonly simulator: KiwoomSimulator,
    readonly tables: TableNames,
    readonly kiwoom: KiwoomClient,
  ) {}

  static async start(options: { pageSize?: number } = {}): Promise<ReplayWorld> {
    const simulator = await startKiwoomSimulator({
      apps: [APP],
      allowance: { ka10008: RATE, au10001: RATE },
      pageSize: options.pageSize ?? 10,
    });
    onTestFinished(() => simulator.close());
    const tables = await uniqueTables();
    const kiwoom = createKiwoomClient({ baseUrl: simulator.url, credentials: APP, rateLimit: RATE, limiters: new LimiterRegistry() });
    return new ReplayWorld(simulator, tables, kiwoom);
  }

  get store(): ReplayStore {
    return new ReplayStore(localClients().doc, this.tables.historyTable);
  }

  get history(): HistoryStore {
    return new HistoryStore(localClients().doc, this.tables.historyTable);
  }

  get watchlist(): WatchlistStore {
    return new WatchlistStore(localClients().doc, this.tables.watchlistTable);
  }

  story(stkCd: string, rows: RawRow[]): void {
    this.#stories.set(stkCd, rows);
  }

  /** Kiwoom on the evening of `dt` serves every story up to that day; the clock reads 19:00 KST. */
  atEvening(dt: TradingDay): void {
    this.now = eveningOf(dt);
    for (const [stkCd, rows] of this.#stories) this.simulator.setRows(stkCd, rows.filter((r) => r.dt <= dt));
  }

  replayDeps(): ReplayDeps {
    return { kiwoom: this.kiwoom, store: this.store, now: () => this.now, dayCutoffKst: CUTOFF };
  }

  scanDeps(publisher: Publisher): ScanDeps {
    const doc = localClients().doc;
    return {
      kiwoom: this.kiwoom,
      watchlist: this.watchlist,
      history: this.history,
      ledger: new AlertLedger(doc, this.tables.historyTable, { now: () => this.now }),
      lease: new DynamoLease(doc, this.tables.historyTable, 'replay-test'),
      publisher,
      logger: silentLog,
      now: () => this.now,
      remainingMs: () => Number.POSITIVE_INFINITY,
    };
  }

  /** The scheduled scan on the evening of `dt`. */
  async scanEvening(dt: TradingDay, publisher: Publisher): Promise<ScanSummary> {
    this.atEvening(dt);
    return runScan(this.scanDeps(publisher), {
      dryRun: false,
      dayCutoffKst: CUTOFF,
      maxDaysPerCode: 20,
      leaseTtlMs: 120_000,
      reserveMs: 0,
    });
  }

  /** ka10008 requests the simulator has received since the last clear. */
  ka10008Calls(): number {
    return this.simulator.requests.filter((r) => r.apiId === 'ka10008').length;
  }

  /** Every History item, raw. */
  async historyItems(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await localClients().doc.send(
        new ScanCommand({ TableName: this.tables.historyTable, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Stored snapshot days of a code, oldest first. */
  async storedDays(stkCd: string): Promise<TradingDay[]> {
    return (await this.history.snapshotsBetween(stkCd, '00000000', '99999999')).map((s) => s.snapshot.dt);
  }
}

