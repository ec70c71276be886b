// The scan's own cost per code beyond Kiwoom calls: DynamoDB and SNS round
// trips against the local parts (DynamoDB Local, fauxqs). Runs a typical
// evening for 200 watched codes (one new trading day each, some alerts) with
// one code at a time, so per-code time splits cleanly into the Kiwoom fetch
// and everything else.
import { performance } from 'node:perf_hooks';
import { createAwsClients } from '../functions/aws-clients.ts';
import { loadConfig } from '../functions/config.ts';
import type { Ka10008Page, Ka10008PageOptions, Ka10008Source } from '../functions/kiwoom/types.ts';
import type { KiwoomClient } from '../functions/kiwoom/client.ts';
import { LimiterRegistry } from '../functions/kiwoom/limiter.ts';
import { KiwoomClient as Client } from '../functions/kiwoom/client.ts';
import { IssuingTokenSource } from '../functions/kiwoom/token.ts';
import { runScan } from '../functions/scan/scan.ts';
import { buildScanDeps } from '../functions/scan/wiring.ts';
import { WatchlistStore } from '../functions/store/watchlist-store.ts';
import { syntheticHistory } from '../local/kiwoom-simulator/dataset.ts';
import { startLocalStack } from '../local/runtime.ts';

export interface Bar {
  name: string;
  pass: boolean;
}

const CODES = 200;
const BAR_MS_PER_CODE = 10;

/** Times each code's Kiwoom fetch, so the rest of the scan's time is what remains. */
class TimedSource implements Ka10008Source {
  fetchMs = 0;
  constructor(private readonly inner: KiwoomClient) {}
  stats() {
    return this.inner.stats();
  }
  async *ka10008Pages(stkCd: string, options?: Ka10008PageOptions): AsyncIterable<Ka10008Page> {
    const iterator = this.inner.ka10008Pages(stkCd, options)[Symbol.asyncIterator]();
    for (;;) {
      const started = performance.now();
      const next = await iterator.next();
      this.fetchMs += performance.now() - started;
      if (next.done) return;
      yield next.value;
    }
  }
}

export async function runScanBench(): Promise<{ bars: Bar[] }> {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const stack = await startLocalStack();
  try {
    // The SDK takes endpoints and credentials from the environment, as deployed.
    Object.assign(process.env, stack.env);
    const config = loadConfig({ ...stack.env, KIWOOM_RATE_LIMIT: '1000' });
    stack.simulator.setAllowance('ka10008', 1000);
    const aws = createAwsClients(config);
    let dynamoCalls = 0;
    let snsCalls = 0;
    aws.dynamo.middlewareStack.add((next) => (args) => ((dynamoCalls += 1), next(args)), { step: 'initialize' });
    aws.sns.middlewareStack.add((next) => (args) => ((snsCalls += 1), next(args)), { step: 'initialize' });
    // Where the overhead goes: time per operation, so a change of the bar can be traced to a call.
    const operations = new Map<string, { calls: number; ms: number }>();
    const timed = (service: string) => ({
      middleware:
        (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: unknown) => {
          const started = performance.now();
          try {
            return await next(args);
          } finally {
            const name = `${service} ${(context.commandName ?? 'call').replace(/Command$/, '')}`;
            const entry = operations.get(name) ?? { calls: 0, ms: 0 };
            entry.calls += 1;
            entry.ms += performance.now() - started;
            operations.set(name, entry);
          }
        },
    });
    aws.dynamo.middlewareStack.add(timed('DynamoDB').middleware as never, { step: 'initialize' });
    aws.sns.middlewareStack.add(timed('SNS').middleware as never, { step: 'initialize' });

    const codes = Array.from({ length: CODES }, (_, i) => String(100_000 + i * 7).padStart(6, '0'));
    const histories = new Map(
      codes.map((code) => [code, syntheticHistory(code, { days: 60, lastDt: '20261120', startRateBp: 4990, maxDailyMoveBp: 15 })]),
    );
    const watchlist = new WatchlistStore(aws.doc, config.watchlistTable);
    for (const code of codes) {
      await watchlist.put({ stk_cd: code, limit_exh_rt_above: 50, limit_exh_rt_below: 49.8, chg_qty_abs: 30_000 });
    }
    const serve = (upTo: number) => {
      for (const code of codes) stack.simulator.setRows(code, (histories.get(code) ?? []).slice(upTo));
    };

    const tokens = new IssuingTokenSource({ http: { baseUrl: config.kiwoom.baseUrl }, credentials: { appKey: 'sim-appkey', secretKey: 'sim-secretkey' } });
    const client = new Client({ baseUrl: config.kiwoom.baseUrl, tokens, appKey: 'bench', rateLimit: 1000, limiters: new LimiterRegistry() });
    const evening = async (upTo: number, concurrency: number) => {
      serve(upTo);
      const source = new TimedSource(client);
      const deps = buildScanDeps(config, aws, client, { dryRun: false, logger: quiet, remainingMs: () => Number.POSITIVE_INFINITY });
      deps.kiwoom = source;
      const calls = { dynamo: dynamoCalls, sns: snsCalls };
      const started = performance.now();
      const summary = await runScan(deps, {
        dryRun: false,
        dayCutoffKst: '18:00',
        maxDaysPerCode: 20,
        leaseTtlMs: 120_000,
        concurrency,
      });
      const totalMs = performance.now() - started;
      await stack.subscriber.drain();
      return {
        summary,
        totalMs,
        fetchMs: source.fetchMs,
        dynamo: dynamoCalls - calls.dynamo,
        sns: snsCalls - calls.sns,
      };
    };

    await evening(5, 4); // first scan of every code: history starts here
    operations.clear();
    const typical = await evening(4, 1); // one new trading day per code, one code at a time
    const perOperation = [...operations].map(([name, o]) => [name, { ...o }] as const).sort((a, b) => b[1].ms - a[1].ms);
    const overheadPerCode = (typical.totalMs - typical.fetchMs) / CODES;
    const parallel = await evening(3, 4);

    console.log('');
    console.log(`scan overhead beyond Kiwoom calls (${CODES} codes, one new trading day each, local DynamoDB + SNS)`);
    console.log('');
    console.log('                              one code at a time   4 codes at a time');
    console.log(`  wall time                   ${fmt(typical.totalMs)} ms           ${fmt(parallel.totalMs)} ms`);
    console.log(`  of which Kiwoom fetches     ${fmt(typical.fetchMs)} ms`);
    console.log(`  alerts published            ${String(typical.summary.alerts_published).padStart(8)}              ${parallel.summary.alerts_published}`);
    console.log(`  DynamoDB calls per code     ${(typical.dynamo / CODES).toFixed(2).padStart(8)}              ${(parallel.dynamo / CODES).toFixed(2)}`);
    console.log(`  SNS calls per code          ${(typical.sns / CODES).toFixed(2).padStart(8)}              ${(parallel.sns / CODES).toFixed(2)}`);
    console.log(`  overhead per code           ${overheadPerCode.toFixed(2).padStart(8)} ms`);
    console.log(`  wall time per code          ${(parallel.totalMs / CODES).toFixed(2).padStart(8)} ms (4 at a time, Kiwoom fetch included)`);
    console.log('');
    console.log('  one code at a time, by operation    calls   ms per call   ms per code');
    for (const [name, { calls, ms }] of perOperation) {
      console.log(`    ${name.padEnd(32)}${String(calls).padStart(6)}${(ms / calls).toFixed(2).padStart(14)}${(ms / CODES).toFixed(2).padStart(14)}`);
    }
    console.log('    (the stored days are queried alongside the Kiwoom fetch, so their time overlaps it)');
    // What the Lambda's memory setting is sized from (the whole local stack's
    // JS side runs in this process, so the scan alone needs less).
    console.log(`  peak resident memory        ${(process.resourceUsage().maxRSS / 1024).toFixed(0).padStart(8)} MB (this process)`);
    const bar = { name: `scan overhead per code < ${BAR_MS_PER_CODE} ms`, pass: overheadPerCode < BAR_MS_PER_CODE };
    console.log('');
    console.log(`  ${bar.pass ? 'PASS' : 'FAIL'}  ${bar.name} (measured ${overheadPerCode.toFixed(2)} ms)`);
    return { bars: [bar] };
  } finally {
    await stack.stop();
  }
}

function fmt(ms: number): string {
  return ms.toFixed(0).padStart(8);
}
