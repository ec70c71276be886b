// The rate benchmark (DESIGN.md, "Bars every change is held to"): the Kiwoom
// client against the simulator with 100 ms added latency.
//
// Part 1: the pipelined client at its configured limit, allowance equal to
//   it, beside the naive loop of Kiwoom's own sample (one call, then sleep
//   0.2 s). Bar: ratio ≥ 0.95 of the configured limit with zero 1700s.
// Part 2: allowance 2/s while the client is configured for 5/s. Bars: at most
//   5 answers 1700 over 200 codes, and ≥ 0.9 of the allowance over the calls
//   after the last 1700. What it learns is kept in DynamoDB Local (the
//   History table's learned allowance).
// Part 3: a cold start against the same lower allowance: a new client (a new
//   Lambda container) with the same store. Bar: no 1700 at all.
// Part 4: ±40 ms of arrival jitter (the simulator's jitter fault) at the
//   allowance (5/s configured, 5/s allowed). Bar: no 1700 after the first.
//
// Rates are measured where the allowance bites: arrivals at the simulator,
// (requests − 1) / (last arrival − first arrival).
import { createKiwoomClient } from '../functions/kiwoom/client.ts';
import type { AllowanceMemory } from '../functions/kiwoom/types.ts';
import { DynamoAllowanceStore } from '../functions/store/allowance-store.ts';
import { createTables } from '../functions/store/tables.ts';
import { createLocalClients, startLocalAws } from '../local/local-aws.ts';
import { KiwoomHttp } from '../functions/kiwoom/http.ts';
import { LimiterRegistry } from '../functions/kiwoom/limiter.ts';
import { issueToken } from '../functions/kiwoom/token.ts';
import type { AppCredentials } from '../functions/kiwoom/types.ts';
import { syntheticHistory } from '../local/kiwoom-simulator/dataset.ts';
import { busiestSecond } from '../local/kiwoom-simulator/request-log.ts';
import { startKiwoomSimulator, type KiwoomSimulator } from '../local/kiwoom-simulator/server.ts';

const SIM_APP: AppCredentials = { appKey: 'bench-appkey', secretKey: 'bench-secretkey' };
const LATENCY_MS = 100;

export interface KiwoomBenchOptions {
  codes?: number;
  /** Part 1's configured limit and allowance (20/s keeps the run short). */
  pipelinedRate?: number;
  /** The naive loop's limit; its sleep is 1 / rate (Kiwoom's sample: 5/s, 0.2 s). */
  naiveRate?: number;
  learnAllowance?: number;
  learnConfigured?: number;
  /** Part 3's codes: the second container against the lower allowance. */
  coldStartCodes?: number;
  /** Part 4: allowance (= configured rate), jitter (± ms) and codes. */
  jitterRate?: number;
  jitterMs?: number;
  jitterCodes?: number;
  print?: (line: string) => void;
}

export interface BenchBar {
  name: string;
  measured: string;
  bar: string;
  pass: boolean;
}

export interface RunFigures {
  label: string;
  configuredPerSecond: number;
  allowancePerSecond: number;
  requests: number;
  failedCodes: number;
  requestsPerSecond: number;
  ratio: number;
  rateLimited: number;
  busiestSecond: number;
  wallSeconds: number;
}

export interface KiwoomBenchResult {
  pipelined: RunFigures;
  naive: RunFigures;
  learning: RunFigures & { rateAfterLast1700: number; ratioAfterLast1700: number; learnedRatePerSecond: number };
  coldStart: RunFigures & { startedAtPerSecond: number };
  jitter: RunFigures & { after1st1700: number; learnedMarginMs: number };
  bars: BenchBar[];
  pass: boolean;
}

export async function runKiwoomBench(options: KiwoomBenchOptions = {}): Promise<KiwoomBenchResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const n = options.codes ?? 200;
  const pipelinedRate = options.pipelinedRate ?? 20;
  const naiveRate = options.naiveRate ?? 5;
  const learnAllowance = options.learnAllowance ?? 2;
  const learnConfigured = options.learnConfigured ?? 5;
  const coldStartCodes = options.coldStartCodes ?? 100;
  const jitterRate = options.jitterRate ?? 5;
  const jitterMs = options.jitterMs ?? 40;
  const jitterCodes = options.jitterCodes ?? 150;
  const codes = Array.from({ length: n }, (_, i) => String(100_000 + i));
  const data = Object.fromEntries(codes.map((c) => [c, syntheticHistory(c, { days: 20, lastDt: '20250630' })]));

  print(`Kiwoom ka10008 rate benchmark: simulator with +${LATENCY_MS} ms latency, ${n} codes, one page each`);
  print(`  part 1: pipelined client at ${pipelinedRate}/s (allowance ${pipelinedRate}/s) …`);
  const pipelined = await pipelinedRun('pipelined client', { codes, data, configured: pipelinedRate, allowance: pipelinedRate });

  const memory = await learnedAllowanceStore();
  let naive: RunFigures;
  let learning: KiwoomBenchResult['learning'];
  let coldStart: KiwoomBenchResult['coldStart'];
  let jitter: KiwoomBenchResult['jitter'];
  try {
    // Separate simulators and app keys, so runs side by side keep the whole
    // benchmark near three minutes.
    print(
      `  part 1: naive loop at ${naiveRate}/s (sleep ${1 / naiveRate} s) and part 2: client at ${learnConfigured}/s ` +
        `against allowance ${learnAllowance}/s, side by side …`,
    );
    [naive, learning] = await Promise.all([
      naiveRun(`naive loop (call, sleep ${1 / naiveRate} s)`, codes, data, naiveRate),
      learningRun({ codes, data, configured: learnConfigured, allowance: learnAllowance, allowances: memory.store }),
    ]);
    print(
      `  part 3: a new client (cold start) against allowance ${learnAllowance}/s with what part 2 learned, and ` +
        `part 4: ±${jitterMs} ms arrival jitter at ${jitterRate}/s, side by side …`,
    );
    [coldStart, jitter] = await Promise.all([
      coldStartRun({
        codes: codes.slice(0, coldStartCodes),
        data,
        configured: learnConfigured,
        allowance: learnAllowance,
        allowances: memory.store,
      }),
      jitterRun({ codes: codes.slice(0, jitterCodes), data, configured: jitterRate, allowance: jitterRate }, jitterMs),
    ]);
  } finally {
    await memory.stop();
  }

  const bars: BenchBar[] = [
    {
      name: 'part 1: pipelined ratio to the configured limit',
      measured: pipelined.ratio.toFixed(3),
      bar: '≥ 0.95',
      pass: pipelined.ratio >= 0.95,
    },
    {
      name: 'part 1: pipelined 1700 answers',
      measured: String(pipelined.rateLimited),
      bar: '= 0',
      pass: pipelined.rateLimited === 0,
    },
    {
      name: 'part 1: every code fetched',
      measured: `${n - pipelined.failedCodes}/${n}`,
      bar: `= ${n}`,
      pass: pipelined.failedCodes === 0,
    },
    {
      name: `part 2: 1700 answers (allowance ${learnAllowance}/s, configured ${learnConfigured}/s)`,
      measured: String(learning.rateLimited),
      bar: '≤ 5',
      pass: learning.rateLimited <= 5,
    },
    {
      name: 'part 2: rate after the last 1700, ratio to the allowance',
      measured: `${learning.rateAfterLast1700.toFixed(2)}/s = ${learning.ratioAfterLast1700.toFixed(3)}`,
      bar: '≥ 0.9',
      pass: learning.ratioAfterLast1700 >= 0.9,
    },
    {
      name: 'part 2: every code fetched',
      measured: `${n - learning.failedCodes}/${n}`,
      bar: `= ${n}`,
      pass: learning.failedCodes === 0,
    },
    {
      name: `part 3: cold start against allowance ${learnAllowance}/s, 1700 answers in the second run`,
      measured: String(coldStart.rateLimited),
      bar: '= 0',
      pass: coldStart.rateLimited === 0 && coldStart.failedCodes === 0,
    },
    {
      name: `part 4: ±${jitterMs} ms latency jitter at the allowance (${jitterRate}/s), 1700 answers after the first`,
      measured: `${jitter.after1st1700} (of ${jitter.rateLimited} in all)`,
      bar: '= 0',
      pass: jitter.after1st1700 === 0 && jitter.failedCodes === 0,
    },
  ];

  print('');
  print('Part 1: allowance equal to the configured limit');
  printFigures(print, [pipelined, naive]);
  print(`  (the naive loop's ratio is to its own limit, ${naiveRate}/s; its expected ratio is about ` +
    `${(1000 / naiveRate / (1000 / naiveRate + LATENCY_MS)).toFixed(2)})`);
  print('');
  print(`Part 2: allowance ${learnAllowance}/s, client configured for ${learnConfigured}/s`);
  printFigures(print, [learning]);
  print(
    `  learned rate ${learning.learnedRatePerSecond}/s; after the last 1700: ` +
      `${learning.rateAfterLast1700.toFixed(2)}/s (${learning.ratioAfterLast1700.toFixed(3)} of the allowance)`,
  );
  print('');
  print(`Part 3: cold start, allowance ${learnAllowance}/s, client configured for ${learnConfigured}/s, started from the learned allowance`);
  printFigures(print, [coldStart]);
  print(`  started at ${coldStart.startedAtPerSecond}/s (learned and kept in DynamoDB Local by part 2)`);
  print('');
  print(`Part 4: ±${jitterMs} ms arrival jitter, allowance = configured = ${jitterRate}/s`);
  printFigures(print, [jitter]);
  print(`  1700 answers after the first: ${jitter.after1st1700}; window margin learned: +${jitter.learnedMarginMs} ms`);
  print('');
  printBars(print, bars);
  return { pipelined, naive, learning, coldStart, jitter, bars, pass: bars.every((b) => b.pass) };
}

/** The History table's learned allowance on DynamoDB Local, for parts 2 and 3. */
async function learnedAllowanceStore(): Promise<{ store: AllowanceMemory; stop: () => Promise<void> }> {
  const aws = await startLocalAws();
  try {
    const clients = createLocalClients(aws);
    const tables = { watchlistTable: 'bench-watchlist', historyTable: 'bench-history' };
    await createTables(clients.dynamo, tables);
    const store = new DynamoAllowanceStore(clients.doc, tables.historyTable, 'bench-app-key-identity');
    return {
      store,
      stop: async () => {
        clients.destroy();
        await aws.stop();
      },
    };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}

type Data = Record<string, ReturnType<typeof syntheticHistory>>;

/** A run against its own simulator (fresh window, 100 ms latency), closed afterwards. */
async function onSimulator<T>(data: Data, allowance: number, run: (sim: KiwoomSimulator) => Promise<T>): Promise<T> {
  const sim = await startKiwoomSimulator({
    apps: [SIM_APP],
    allowance: { ka10008: allowance, au10001: 5 },
    latencyMs: LATENCY_MS,
    data,
  });
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

/** What a client run is given: the codes, the configured rate, the server's allowance, where learning is kept. */
interface ClientSetup {
  codes: string[];
  data: Data;
  configured: number;
  allowance: number;
  allowances?: AllowanceMemory;
}

function pipelinedRun(label: string, setup: ClientSetup): Promise<RunFigures> {
  return onSimulator(setup.data, setup.allowance, async (sim) => {
    const { failed, wall } = await clientRun(sim, setup);
    return figures(label, sim, setup.configured, setup.allowance, failed, wall);
  });
}

/**
 * Every code through the scan's client at `configured` requests a second, as
 * a fresh process has it (its own limiters): the client, failures and wall seconds.
 */
async function clientRun(sim: KiwoomSimulator, setup: ClientSetup) {
  const client = createKiwoomClient({
    baseUrl: sim.url,
    credentials: SIM_APP,
    rateLimit: setup.configured,
    limiters: new LimiterRegistry(),
    ...(setup.allowances === undefined ? {} : { allowances: setup.allowances }),
  });
  const started = performance.now();
  const failed = await fetchAll(setup.codes, (c) => client.ka10008Page(c));
  await client.saveLearned();
  return { client, failed, wall: (performance.now() - started) / 1000 };
}

/** Kiwoom's sample: one call, then sleep, one code after the other. */
function naiveRun(label: string, codes: string[], data: Data, rate: number): Promise<RunFigures> {
  return onSimulator(data, rate, async (sim) => {
    const http = new KiwoomHttp({ baseUrl: sim.url });
    const { token } = await issueToken(http, SIM_APP);
    const started = performance.now();
    let failed = 0;
    for (const stkCd of codes) {
      const answer = await http.post({
        path: '/api/dostk/frgnistt',
        apiId: 'ka10008',
        headers: { authorization: `Bearer ${token}` },
        body: { stk_cd: stkCd },
        secrets: [token],
      });
      if ((answer.body as { return_code?: unknown } | undefined)?.return_code !== 0) failed += 1;
      await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
    }
    const wall = (performance.now() - started) / 1000;
    return figures(label, sim, rate, rate, failed, wall);
  });
}

function learningRun(setup: ClientSetup): Promise<KiwoomBenchResult['learning']> {
  return onSimulator(setup.data, setup.allowance, async (sim) => {
    const { client, failed, wall } = await clientRun(sim, setup);
    const base = figures('client learning the allowance', sim, setup.configured, setup.allowance, failed, wall);
    const requests = sim.requests.filter((r) => r.apiId === 'ka10008');
    const last1700 = requests.map((r) => r.outcome?.detailCode).lastIndexOf('1700');
    const rateAfter = arrivalRate(requests.slice(last1700 + 1).map((r) => r.timeMs));
    return {
      ...base,
      rateAfterLast1700: rateAfter,
      ratioAfterLast1700: rateAfter / setup.allowance,
      learnedRatePerSecond: client.stats().learnedRatePerSecond['ka10008'] ?? setup.configured,
    };
  });
}

/** A new client (a new Lambda container) with the store part 2 filled: no burst of 1700s at the configured rate. */
function coldStartRun(setup: ClientSetup & { allowances: AllowanceMemory }): Promise<KiwoomBenchResult['coldStart']> {
  return onSimulator(setup.data, setup.allowance, async (sim) => {
    const startedAt = (await setup.allowances.load('ka10008'))?.ratePerSecond ?? setup.configured;
    const { failed, wall } = await clientRun(sim, setup);
    const base = figures('second container, cold start', sim, setup.configured, setup.allowance, failed, wall);
    return { ...base, startedAtPerSecond: startedAt };
  });
}

/** The allowance equals the configured rate, and arrivals jitter by ±`jitterMs`. */
function jitterRun(setup: ClientSetup, jitterMs: number): Promise<KiwoomBenchResult['jitter']> {
  return onSimulator(setup.data, setup.allowance, async (sim) => {
    sim.inject({ kind: 'jitter', ms: jitterMs });
    const { client, failed, wall } = await clientRun(sim, setup);
    const base = figures(`client under ±${jitterMs} ms jitter`, sim, setup.configured, setup.allowance, failed, wall);
    return {
      ...base,
      after1st1700: Math.max(0, base.rateLimited - 1),
      learnedMarginMs: client.stats().learnedMarginMs['ka10008'] ?? 0,
    };
  });
}

/** Fetches every code concurrently (the limiter paces them); returns how many failed. */
async function fetchAll(codes: string[], fetchOne: (stkCd: string) => Promise<unknown>): Promise<number> {
  const settled = await Promise.allSettled(codes.map(fetchOne));
  return settled.filter((s) => s.status === 'rejected').length;
}

function figures(
  label: string,
  sim: KiwoomSimulator,
  configured: number,
  allowance: number,
  failedCodes: number,
  wallSeconds: number,
): RunFigures {
  const arrivals = sim.requests.filter((r) => r.apiId === 'ka10008').map((r) => r.timeMs);
  const rate = arrivalRate(arrivals);
  return {
    label,
    configuredPerSecond: configured,
    allowancePerSecond: allowance,
    requests: arrivals.length,
    failedCodes,
    requestsPerSecond: rate,
    ratio: rate / Math.min(configured, allowance),
    rateLimited: sim.stats().rateLimited,
    busiestSecond: busiestSecond(arrivals),
    wallSeconds,
  };
}

function arrivalRate(times: number[]): number {
  if (times.length < 2) return 0;
  const span = (times.at(-1)! - times[0]!) / 1000;
  return span > 0 ? (times.length - 1) / span : 0;
}

function printFigures(print: (line: string) => void, rows: RunFigures[]): void {
  const header = ['', 'configured', 'allowance', 'requests', 'req/s', 'ratio*', '1700s', 'max in 1 s', 'wall'];
  const body = rows.map((r) => [
    r.label,
    `${r.configuredPerSecond}/s`,
    `${r.allowancePerSecond}/s`,
    String(r.requests),
    r.requestsPerSecond.toFixed(2),
    r.ratio.toFixed(3),
    String(r.rateLimited),
    String(r.busiestSecond),
    `${r.wallSeconds.toFixed(1)} s`,
  ]);
  printTable(print, header, body);
  print('  * req/s at the simulator over min(configured, allowance)');
}

function printBars(print: (line: string) => void, bars: BenchBar[]): void {
  printTable(
    print,
    ['bar', 'measured', 'required', 'result'],
    bars.map((b) => [b.name, b.measured, b.bar, b.pass ? 'PASS' : 'FAIL']),
  );
}

function printTable(print: (line: string) => void, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  print(line(header));
  print('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) print(line(row));
}
