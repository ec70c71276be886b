// The alert pipeline against its real local parts: the Kiwoom simulator over
// HTTP, DynamoDB Local (fresh tables per harness) and fauxqs (a fresh topic
// with an SQS subscriber), wired through the same adapters the Lambda uses.
// Only the clock and the remaining time are injected. Each harness is closed
// when its test finishes.
import { onTestFinished } from 'vitest';
import type { RawRow, TradingDay } from '../../functions/domain/types.ts';
import { createKiwoomClient, type KiwoomClient } from '../../functions/kiwoom/client.ts';
import { LimiterRegistry } from '../../functions/kiwoom/limiter.ts';
import type { AppCredentials } from '../../functions/kiwoom/types.ts';
import { SnsAlertPublisher } from '../../functions/notify/sns-publisher.ts';
import type { Log, Publisher, ScanDeps, Ticker } from '../../functions/scan/ports.ts';
import { runScan, type ScanOptions, type ScanSummary } from '../../functions/scan/scan.ts';
import { AlertLedger, type LedgerEntry } from '../../functions/store/alert-ledger.ts';
import { HistoryStore, type StoredSnapshot } from '../../functions/store/history-store.ts';
import { DynamoLease } from '../../functions/store/lease.ts';
import type { TableNames } from '../../functions/store/tables.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { startKiwoomSimulator, type KiwoomSimulator, type RecordedRequest } from '../../local/kiwoom-simulator/server.ts';
import type { ReceivedAlert, Subscriber } from '../../local/local-aws.ts';
import { localClients, newTopicWithQueue, uniqueTables } from '../support/aws.ts';
import { eveningOf } from './story.ts';

/** The simulator's default app. */
export const SIM_APP: AppCredentials = { appKey: 'sim-appkey', secretKey: 'sim-secretkey' };
/** High enough that tests never wait on the limiter; the simulator allows the same. */
export const TEST_RATE = 50;
export const DAY_CUTOFF_KST = '18:00';
export const MAX_DAYS_PER_CODE = 20;
export const LEASE_TTL_MS = 120_000;

/** The scan's settings for a run against the simulator, the given tables and topic (as the CLI or the Lambda reads them). */
export function scanEnv(simulatorUrl: string, tables: TableNames, topicArn: string): Record<string, string> {
  return {
    KIWOOM_BASE_URL: simulatorUrl,
    KIWOOM_APPKEY: SIM_APP.appKey,
    KIWOOM_SECRETKEY: SIM_APP.secretKey,
    KIWOOM_RATE_LIMIT: String(TEST_RATE),
    WATCHLIST_TABLE: tables.watchlistTable,
    HISTORY_TABLE: tables.historyTable,
    ALERT_TOPIC_ARN: topicArn,
  };
}

export interface HarnessOptions {
  /** ka10008 rows per page (the simulator's default is 50). */
  pageSize?: number;
  /** The app credentials the client presents (default: the simulator's app). */
  credentials?: AppCredentials;
}

export interface EveningOptions
  extends Partial<
    Pick<
      ScanOptions,
      | 'codes'
      | 'runId'
      | 'runStartedAt'
      | 'leaseHolder'
      | 'leaseTtlMs'
      | 'delivery'
      | 'maxDaysPerCode'
      | 'reserveMs'
      | 'concurrency'
      | 'onProgress'
      | 'dryRun'
    >
  > {
  /** KST wall-clock time of the run on the evening's day (default 18:30). */
  timeKst?: string;
  /** Serve every story up to the evening's day first (default true). */
  serve?: boolean;
  publisher?: Publisher | null;
  kiwoom?: ScanDeps['kiwoom'];
  logger?: Log;
  remainingMs?: () => number;
  /** The lease renewal timer (default: a real interval); a ManualTicker freezes or steps it. */
  ticker?: Ticker;
}

export const silentLog: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A logger that keeps every line, to count what a run told its operator. */
export function capturingLog(): Log & { lines: { level: string; message: string; extra?: object }[] } {
  const lines: { level: string; message: string; extra?: object }[] = [];
  const keep = (level: string) => (message: string, extra?: object) => {
    lines.push({ level, message, ...(extra === undefined ? {} : { extra }) });
  };
  return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

export class PipelineHarness {
  /** The injected wall clock every run reads. */
  now: Date = eveningOf('20250303');
  readonly #stories = new Map<string, RawRow[]>();

  private constructor(
    readonly simulator: KiwoomSimulator,
    readonly tables: TableNames,
    readonly topicArn: string,
    readonly subscriber: Subscriber,
    readonly kiwoom: KiwoomClient,
    readonly credentials: AppCredentials,
  ) {}

  static async start(options: HarnessOptions = {}): Promise<PipelineHarness> {
    const simulator = await startKiwoomSimulator({
      allowance: { ka10008: TEST_RATE, au10001: TEST_RATE },
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    });
    try {
      const [tables, topic] = await Promise.all([uniqueTables(), newTopicWithQueue()]);
      const credentials = options.credentials ?? SIM_APP;
      const harness = new PipelineHarness(
        simulator,
        tables,
        topic.topicArn,
        topic.subscriber,
        PipelineHarness.client(simulator, credentials),
        credentials,
      );
      return harness;
    } catch (error) {
      await simulator.close();
      throw error;
    }
  }

  /** A Kiwoom client as a fresh Lambda container has one: its own token cache and limiters. */
  static client(simulator: KiwoomSimulator, credentials: AppCredentials = SIM_APP): KiwoomClient {
    return createKiwoomClient({
      baseUrl: simulator.url,
      credentials,
      rateLimit: TEST_RATE,
      limiters: new LimiterRegistry(),
    });
  }

  newKiwoomClient(): KiwoomClient {
    return PipelineHarness.client(this.simulator, this.credentials);
  }

  get watchlist(): WatchlistStore {
    return new WatchlistStore(localClients().doc, this.tables.watchlistTable);
  }

  get history(): HistoryStore {
    return new HistoryStore(localClients().doc, this.tables.historyTable);
  }

  get ledger(): AlertLedger {
    return new AlertLedger(localClients().doc, this.tables.historyTable, { now: () => this.now });
  }

  get publisher(): SnsAlertPublisher {
    return new SnsAlertPublisher(localClients().sns, this.topicArn);
  }

  /** Puts watchlist items as a user would type them. */
  async watch(...items: Record<string, unknown>[]): Promise<void> {
    for (const item of items) await this.watchlist.put(item);
  }

  /** Everything Kiwoom will ever have for `stkCd` (newest first); served day by day. */
  story(stkCd: string, rows: RawRow[]): void {
    this.#stories.set(stkCd, rows);
  }

  /** Kiwoom on the evening of `dt`: the story's rows up to that day. */
  serveUpTo(stkCd: string, dt: TradingDay): void {
    const rows = this.#stories.get(stkCd);
    if (rows === undefined) throw new Error(`no story for ${stkCd}`);
    this.simulator.setRows(stkCd, rows.filter((r) => r.dt <= dt));
  }

  deps(options: EveningOptions = {}): ScanDeps {
    const doc = localClients().doc;
    return {
      kiwoom: options.kiwoom ?? this.kiwoom,
      watchlist: this.watchlist,
      history: this.history,
      ledger: this.ledger,
      // Scoped like the deployed lease: one scan at a time per app key.
      lease: new DynamoLease(doc, this.tables.historyTable, 'pipeline-app'),
      publisher: options.publisher === undefined ? this.publisher : options.publisher,
      logger: options.logger ?? silentLog,
      now: () => this.now,
      remainingMs: options.remainingMs ?? (() => Number.POSITIVE_INFINITY),
      ...(options.ticker === undefined ? {} : { ticker: options.ticker }),
    };
  }

  /** The scheduled scan on the evening of `dt` (18:30 KST unless told otherwise). */
  async scanEvening(dt: TradingDay, options: EveningOptions = {}): Promise<ScanSummary> {
    this.atEvening(dt, options);
    return runScan(this.deps(options), this.scanOptions(options));
  }

  /** Sets the clock to the evening of `dt` and, unless told not to, serves every story up to it. */
  atEvening(dt: TradingDay, options: Pick<EveningOptions, 'timeKst' | 'serve'> = {}): void {
    this.now = eveningOf(dt, options.timeKst);
    if (options.serve !== false) for (const stkCd of this.#stories.keys()) this.serveUpTo(stkCd, dt);
  }

  scanOptions(options: EveningOptions = {}): ScanOptions {
    return {
      dryRun: options.dryRun ?? false,
      codes: options.codes,
      runId: options.runId,
      runStartedAt: options.runStartedAt,
      leaseHolder: options.leaseHolder,
      dayCutoffKst: DAY_CUTOFF_KST,
      maxDaysPerCode: options.maxDaysPerCode ?? MAX_DAYS_PER_CODE,
      leaseTtlMs: options.leaseTtlMs ?? LEASE_TTL_MS,
      ...(options.delivery === undefined ? {} : { delivery: options.delivery }),
      reserveMs: options.reserveMs ?? 0,
      concurrency: options.concurrency,
      onProgress: options.onProgress,
    };
  }

  /**
   * Messages the SQS subscriber got since the last call, unwrapped per
   * protocol the way SNS does. fauxqs delivers during the Publish call, so
   * after a run everything is already queued; the wait only bounds "nothing".
   */
  async received(): Promise<ReceivedAlert[]> {
    // One receive stops at its deadline even mid-queue (a loaded machine, many
    // alerts): ask again until a receive comes back empty.
    const all: ReceivedAlert[] = [];
    for (;;) {
      const batch = await this.subscriber.receive({ waitMs: 100 });
      if (batch.length === 0) return all;
      all.push(...batch);
    }
  }

  /** Every ledger entry, newest day first. */
  async ledgerEntries(): Promise<LedgerEntry[]> {
    return this.ledger.list();
  }

  /** Stored days of one code, newest first. */
  async storedDays(stkCd: string): Promise<StoredSnapshot[]> {
    return this.history.recentSnapshots(stkCd, 100);
  }

  /** ka10008 requests the simulator received (token calls excluded). */
  ka10008Requests(): RecordedRequest[] {
    return this.simulator.requests.filter((r) => r.apiId === 'ka10008');
  }

  /** The codes ka10008 was asked for, in request order. */
  requestedCodes(): string[] {
    return this.ka10008Requests().map((r) => String((r.body as { stk_cd?: unknown } | null)?.stk_cd));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber.close(), this.simulator.close()]);
  }
}

/** A harness for the current test, closed when the test finishes. */
export async function pipeline(options: HarnessOptions = {}): Promise<PipelineHarness> {
  const harness = await PipelineHarness.start(options);
  onTestFinished(() => harness.close());
  return harness;
}

/** The `default` payload of each received alert. */
export function payloads(received: readonly ReceivedAlert[]): Record<string, unknown>[] {
  return received.map((r) => r.default as Record<string, unknown>);
}

/** `alert_id`s of received alerts, sorted. */
export function alertIds(received: readonly ReceivedAlert[]): string[] {
  return received.map((r) => r.attributes.alert_id ?? '').sort();
}

/**
 * The lease renewal timer under the test's hand: nothing fires until `tick()`
 * (a process frozen between two instructions never renews); `tick()` runs
 * every registered renewal and waits for it.
 */
export class ManualTicker implements Ticker {
  readonly #ticks = new Set<() => unknown>();

  every(_ms: number, tick: () => unknown): () => void {
    this.#ticks.add(tick);
    return () => this.#ticks.delete(tick);
  }

  async tick(): Promise<void> {
    await Promise.all([...this.#ticks].map((tick) => tick()));
  }

  /** Renewals still scheduled (0 once every scan that took a lease has finished). */
  get scheduled(): number {
    return this.#ticks.size;
  }
}

/**
 * Kiwoom that stalls on one code: its first page waits until `release()`
 * (a slow answer, a hung connection), everything else goes straight through.
 * `reached` resolves when the stalled request has begun.
 */
export function stallOn(inner: ScanDeps['kiwoom'], stalled: string) {
  let reachedIt!: () => void;
  let releaseIt!: () => void;
  const reached = new Promise<void>((resolve) => (reachedIt = resolve));
  const released = new Promise<void>((resolve) => (releaseIt = resolve));
  const source: ScanDeps['kiwoom'] = {
    stats: () => inner.stats?.() ?? { calls: 0, rateLimitedAnswers: 0, learnedRatePerSecond: {} },
    async *ka10008Pages(stkCd, options) {
      if (stkCd === stalled) {
        reachedIt();
        await released;
      }
      yield* inner.ka10008Pages(stkCd, options);
    },
  };
  return { source, reached, release: () => releaseIt() };
}
