// The local parts a chaos run drives the scan against, and one Stage per
// scenario: fresh tables, a fresh alert topic with an SQS subscriber, its own
// Kiwoom simulator, and its own fault proxies in front of DynamoDB Local and
// the SNS endpoint. The harness itself reads and writes the local parts
// directly (never through the proxies), so its measurements see no faults.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RawRow } from '../functions/domain/types.ts';
import { AlertLedger, type LedgerEntry } from '../functions/store/alert-ledger.ts';
import { createTables, type TableNames } from '../functions/store/tables.ts';
import { WatchlistStore } from '../functions/store/watchlist-store.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../local/kiwoom-simulator/server.ts';
import {
  createAlertTopic,
  createLocalClients,
  localAwsEnv,
  subscribeQueue,
  type LocalAwsInfo,
  type LocalClients,
  type ReceivedAlert,
  type Subscriber,
} from '../local/local-aws.ts';
import { bundleLambdaContainer, type ContainerBundle } from './container-bundle.ts';
import { FaultPolicy, NO_FAULTS, startFaultProxy, type CallHooks, type FaultProxy, type FaultRates, type ProxiedCall } from './fault-proxy.ts';
import type { Seeded } from './random.ts';
import { ScanProcess, type ScanDriver, type ScanOutcome } from './scan-process.ts';

/** The simulator's app; the scan issues its own tokens from it, as a local run does. */
const SIM_APP = { appKey: 'sim-appkey', secretKey: 'sim-secretkey' } as const;
/** Kiwoom calls per second, allowed and used: high, so the limiter never paces the harness. */
const KIWOOM_RATE = 50;

export class ChaosWorld {
  private constructor(
    readonly aws: LocalAwsInfo,
    readonly clients: LocalClients,
    readonly container: ContainerBundle,
    /** One line per finished run, for a reader following along (`--verbose`). */
    readonly log: (line: string) => void,
  ) {}

  static async start(aws: LocalAwsInfo, log: (line: string) => void = () => undefined): Promise<ChaosWorld> {
    const container = await bundleLambdaContainer();
    return new ChaosWorld(aws, createLocalClients(aws), container, log);
  }

  /** A fresh, isolated set of resources for one scenario. */
  async stage(name: string, random: Seeded, options: StageOptions = {}): Promise<Stage> {
    // Table and topic names take letters, digits, '-' and '_' only.
    const id = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${randomUUID().slice(0, 8)}`;
    const tables = { watchlistTable: `chaos-watchlist-${id}`, historyTable: `chaos-history-${id}` };
    await createTables(this.clients.dynamo, tables);
    const topicArn = await createAlertTopic(this.clients.sns, `chaos-alerts-${id}`);
    const subscriber = await subscribeQueue(this.clients.sns, this.clients.sqs, topicArn);
    const simulator = await startKiwoomSimulator({
      apps: [{ ...SIM_APP }],
      allowance: { ka10008: KIWOOM_RATE, au10001: KIWOOM_RATE },
    });
    const policy = new FaultPolicy(random.fork('proxy'));
    const proxies = {
      dynamodb: await startFaultProxy('dynamodb', this.aws.endpoints.dynamodb, policy),
      sns: await startFaultProxy('sns', this.aws.endpoints.sns, policy),
    };
    return new Stage(name, this, tables, topicArn, subscriber, simulator, policy, proxies, options);
  }

  async close(): Promise<void> {
    this.clients.destroy();
    await this.container.remove();
  }
}

export interface StageOptions {
  /** SCAN_LEASE_TTL_SECONDS for every scan of the stage (default 2, so a killed scan's lease lapses quickly). */
  leaseTtlSeconds?: number;
  /** How scans run unless a run says otherwise (default the Lambda handler). */
  driver?: ScanDriver;
}

/** When to kill a run: at its n-th DynamoDB/SNS call (in one of three phases), or after a time. */
export type KillPlan =
  | { trigger: 'call'; index: number; phase: 'before-forward' | 'before-answer' | 'after-answer'; delayMs: number }
  | { trigger: 'timer'; afterMs: number };

export interface RunOptions {
  driver?: ScanDriver;
  faults?: FaultRates;
  kill?: KillPlan;
  /** Steps into this run's calls (a freeze, a held answer). */
  hooks?: (scan: ScanProcess) => CallHooks;
}

export interface RunRecord extends ScanOutcome {
  faultsOn: boolean;
}

export class Stage {
  readonly runs: RunRecord[] = [];
  readonly received: ReceivedAlert[] = [];
  readonly leaseTtlMs: number;
  #counter = 0;
  #warm: ScanProcess | null = null;
  readonly #live = new Set<ScanProcess>();

  constructor(
    readonly name: string,
    private readonly world: ChaosWorld,
    readonly tables: TableNames,
    readonly topicArn: string,
    private readonly subscriber: Subscriber,
    readonly simulator: KiwoomSimulator,
    readonly policy: FaultPolicy,
    private readonly proxies: Record<'dynamodb' | 'sns', FaultProxy>,
    private readonly options: StageOptions,
  ) {
    this.leaseTtlMs = (options.leaseTtlSeconds ?? 2) * 1000;
  }

  /**
   * Exactly what a scan process gets: the AWS SDK variables pointing at this
   * caller's proxy endpoints, dummy credentials, the simulator, the tables
   * and the topic. Nothing from the harness's own environment leaks in.
   */
  env(caller: string): Record<string, string> {
    return {
      ...localAwsEnv(this.world.aws),
      AWS_ENDPOINT_URL_DYNAMODB: this.proxies.dynamodb.endpointFor(caller),
      AWS_ENDPOINT_URL_SNS: this.proxies.sns.endpointFor(caller),
      AWS_EC2_METADATA_DISABLED: 'true',
      KIWOOM_BASE_URL: this.simulator.url,
      KIWOOM_APPKEY: SIM_APP.appKey,
      KIWOOM_SECRETKEY: SIM_APP.secretKey,
      KIWOOM_RATE_LIMIT: String(KIWOOM_RATE),
      WATCHLIST_TABLE: this.tables.watchlistTable,
      HISTORY_TABLE: this.tables.historyTable,
      ALERT_TOPIC_ARN: this.topicArn,
      SCAN_LEASE_TTL_SECONDS: String(this.leaseTtlMs / 1000),
      LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_NAMESPACE: 'KiwoomForeignAlerts',
    };
  }

  async watch(...items: Record<string, unknown>[]): Promise<void> {
    const watchlist = new WatchlistStore(this.world.clients.doc, this.tables.watchlistTable);
    for (const item of items) await watchlist.put(item);
  }

  serve(stkCd: string, rows: RawRow[]): void {
    this.simulator.setRows(stkCd, rows);
  }

  /**
   * A scan process, not yet started. Lambda containers are created one run
   * ahead, so a container's start-up overlaps the previous run, as a warm
   * pool would.
   */
  prepare(driver: ScanDriver = this.options.driver ?? 'lambda'): ScanProcess {
    let scan: ScanProcess;
    if (driver === 'lambda' && this.#warm) {
      scan = this.#warm;
      this.#warm = null;
    } else {
      scan = this.#create(driver);
    }
    if (driver === 'lambda') this.#warm = this.#create('lambda');
    return scan;
  }

  #create(driver: ScanDriver): ScanProcess {
    this.#counter += 1;
    const caller = `run-${this.#counter}`;
    const scan = ScanProcess.create(caller, driver, this.env(caller), this.world.container.path);
    this.#live.add(scan);
    return scan;
  }

  /** One scan from start to end, with faults on or off and an optional kill. */
  async run(options: RunOptions = {}): Promise<RunRecord> {
    const scan = this.prepare(options.driver);
    return (await this.start(scan, options)).done;
  }

  /** Starts `scan`; `done` settles when it ends (or is killed), so runs can overlap. */
  async start(scan: ScanProcess, options: RunOptions = {}): Promise<{ done: Promise<RunRecord> }> {
    const faults = options.faults ?? NO_FAULTS;
    const hooks: CallHooks = { ...(options.hooks?.(scan) ?? {}), ...(options.kill ? this.#killHooks(scan, options.kill) : {}) };
    this.policy.hooks.set(scan.caller, hooks);
    this.policy.rates = { ...faults };
    await scan.start();
    let timer: NodeJS.Timeout | undefined;
    if (options.kill?.trigger === 'timer') timer = setTimeout(() => void scan.kill(), options.kill.afterMs);
    const done = scan.finished().then((outcome) => {
      clearTimeout(timer);
      this.policy.hooks.delete(scan.caller);
      this.#live.delete(scan);
      const record: RunRecord = { ...outcome, faultsOn: Object.values(faults).some((rate) => rate > 0) };
      this.runs.push(record);
      this.world.log(`${this.name}: ${describeRun(record, this.policy.callsOf(scan.caller).length)}`);
      return record;
    });
    return { done };
  }

  #killHooks(scan: ScanProcess, plan: KillPlan): CallHooks {
    if (plan.trigger !== 'call') return {};
    let seen = 0;
    const due = (): boolean => (seen += 1) === plan.index;
    const killNow = async () => {
      await scan.kill();
      return 'drop' as const;
    };
    if (plan.phase === 'before-forward') return { beforeForward: () => (due() ? killNow() : 'continue') };
    if (plan.phase === 'before-answer') {
      let dueCall: ProxiedCall | null = null;
      return {
        beforeForward: (call) => {
          if (due()) dueCall = call;
          return 'continue';
        },
        beforeAnswer: (call) => (call === dueCall ? killNow() : 'continue'),
      };
    }
    return {
      afterAnswer: () => {
        if (due()) setTimeout(() => void scan.kill(), plan.delayMs);
      },
    };
  }

  /**
   * Clean runs (no faults, no kills) until one finishes everything: exit 0,
   * no code failed, not reached or left with days for later. Returns that
   * run, or null (and the runs say why) if `attempts` runs do not get there.
   */
  async settle(attempts = 4): Promise<RunRecord | null> {
    for (let i = 0; i < attempts; i++) {
      const run = await this.run();
      if (run.report?.leaseHeld) {
        await this.untilLeaseLapses();
        continue;
      }
      if (isComplete(run)) return run;
    }
    return null;
  }

  /**
   * Every code's first scan, complete: the oracle starts from the day before
   * each code's first evaluated day, so a first scan that slipped to a later
   * evening would make its figures wrong. Throws rather than measure that.
   */
  async firstScans(): Promise<RunRecord> {
    const run = await this.settle();
    if (!run) throw new Error(`${this.name}: the first scans did not complete (${this.runs.map((r) => describeRun(r, this.policy.callsOf(r.caller).length)).join('; ')})`);
    return run;
  }

  /** A killed scan's lease expires by itself within its TTL; the next scan waits that long, as the next schedule would. */
  async untilLeaseLapses(): Promise<void> {
    await sleep(this.leaseTtlMs + 250);
  }

  /** Everything the subscriber has received so far (fauxqs delivers during Publish). */
  async collect(): Promise<ReceivedAlert[]> {
    for (;;) {
      const batch = await this.subscriber.receive({ waitMs: 50 });
      if (batch.length === 0) return this.received;
      this.received.push(...batch);
    }
  }

  /** The ledger as it is now, read directly (no proxy, no faults). */
  async ledger(): Promise<{ entries: LedgerEntry[]; unsent: LedgerEntry[] }> {
    const ledger = new AlertLedger(this.world.clients.doc, this.tables.historyTable);
    return { entries: await ledger.list(), unsent: await ledger.unsent() };
  }

  get kills(): number {
    return this.runs.filter((r) => r.killed).length;
  }

  async close(): Promise<void> {
    const leftovers = [...this.#live, ...(this.#warm ? [this.#warm] : [])];
    this.#warm = null;
    await Promise.all(leftovers.map((scan) => scan.kill()));
    await Promise.allSettled([this.proxies.dynamodb.close(), this.proxies.sns.close(), this.simulator.close(), this.subscriber.close()]);
  }
}

/** The run did everything there was to do. */
export function isComplete(run: ScanOutcome): boolean {
  const r = run.report;
  return (
    !run.killed &&
    run.exitCode === 0 &&
    r !== null &&
    r.done !== false &&
    !r.leaseHeld &&
    r.stopped === null &&
    r.codesFailed === 0 &&
    r.codesNotReached === 0 &&
    r.daysDeferred === 0
  );
}

/** `run-3 lambda killed after 14 calls`, `run-4 cli exit 1 (stopped: lease lost)`. */
export function describeRun(run: RunRecord, calls: number): string {
  const head = `${run.caller} ${run.driver}${run.faultsOn ? ' with faults' : ''}`;
  if (run.killed) return `${head}: killed after ${calls} DynamoDB/SNS calls, ${run.finishedAt - run.startedAt} ms`;
  const r = run.report;
  const facts = [
    `exit ${run.exitCode}`,
    r?.leaseHeld ? 'lease held by another scan' : null,
    r?.stopped ? `stopped: ${r.stopped}` : null,
    r && r.codesFailed > 0 ? `${r.codesFailed} codes failed` : null,
    r && r.codesNotReached > 0 ? `${r.codesNotReached} not reached` : null,
    r?.alertsPublished ? `${r.alertsPublished} published` : null,
    run.error ? `error: ${run.error}` : null,
  ].filter((f) => f !== null);
  return `${head}: ${facts.join(', ')}, ${calls} calls, ${run.finishedAt - run.startedAt} ms`;
}
