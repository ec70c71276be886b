// The scan Lambda. The Step Functions loop invokes it again and again with
// the previous invocation's output until `done`; each invocation works until
// its remaining time is short, then returns the run id so the next one skips
// the codes this run already finished. The first invocation gets the run id
// from the execution (its name), so a retried slice is the same lease holder.
// The answer carries counts only (Step Functions refuses more than 256 KB);
// the lists of codes go to the log.
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { createAwsClients } from '../aws-clients.ts';
import { fromPowertools } from '../logging.ts';
import { loadConfig, requireScanSettings, type Config } from '../config.ts';
import type { KiwoomClient } from '../kiwoom/client.ts';
import type { ScanDeps } from '../scan/ports.ts';
import { runScan, type ScanSummary } from '../scan/scan.ts';
import { buildScanDeps, createKiwoom, createTokenSource } from '../scan/wiring.ts';

const eventSchema = z
  .object({
    run_id: z.string().min(1).optional(),
    run_started_at: z.string().min(1).optional(),
  })
  .passthrough();

/** How an invocation ended; the state machine loops on `time_up` and fails the run on `stopped` and `lease_held`. */
export type ScanOutcome = 'finished' | 'time_up' | 'stopped' | 'lease_held';

/** The summary with each list replaced by its length (whatever lists the scan reports, now or later). */
export type ScanCounts = { [K in keyof ScanSummary]: ScanSummary[K] extends readonly unknown[] ? number : ScanSummary[K] };

export interface ScanResult {
  done: boolean;
  outcome: ScanOutcome;
  run_id: string;
  run_started_at: string;
  summary: ScanCounts;
}

/** Entries per log line when a list is logged: each line stays far below CloudWatch's event size limit. */
export const LOG_CHUNK = 200;

/** Leave this much of the Lambda's time for the code in hand, bookkeeping and the reply. */
export const RESERVE_MS = 90_000;

export async function run(
  deps: ScanDeps,
  config: Config,
  metrics: Pick<Metrics, 'addMetric'>,
  event: unknown,
): Promise<ScanResult> {
  // EventBridge Scheduler and the first state may pass {} or anything else;
  // only the loop's own fields matter.
  const input = eventSchema.safeParse(event ?? {});
  const { run_id: runId, run_started_at: runStartedAt } = input.success ? input.data : {};
  const summary = await runScan(deps, {
    dryRun: false,
    runId,
    runStartedAt,
    dayCutoffKst: config.dayCutoffKst,
    maxDaysPerCode: config.maxDaysPerCode,
    leaseTtlMs: config.leaseTtlMs,
    reserveMs: RESERVE_MS,
    delivery: config.alertDelivery,
  });
  metrics.addMetric('CodesScanned', MetricUnit.Count, summary.codes_scanned);
  metrics.addMetric('CodesFailed', MetricUnit.Count, summary.codes_failed.length);
  metrics.addMetric('InvalidItems', MetricUnit.Count, summary.invalid_items.length);
  metrics.addMetric('AlertsPublished', MetricUnit.Count, summary.alerts_published);
  metrics.addMetric('AlertsFailed', MetricUnit.Count, summary.alerts_failed);
  metrics.addMetric('AlertsSuppressed', MetricUnit.Count, summary.alerts_suppressed);
  metrics.addMetric('KiwoomCalls', MetricUnit.Count, summary.kiwoom?.calls ?? 0);
  metrics.addMetric('KiwoomRateLimited', MetricUnit.Count, summary.kiwoom?.rate_limited ?? 0);
  // One per finished run: the evenings' record on a dashboard (the alarms watch the state machine).
  if (outcomeOf(summary) === 'finished') {
    metrics.addMetric('ScanCompleted', MetricUnit.Count, 1);
  }
  const result: ScanResult = {
    done: summary.done,
    outcome: outcomeOf(summary),
    run_id: summary.run_id,
    run_started_at: summary.run_started_at,
    summary: countsOf(summary),
  };
  deps.logger.info('scan invocation finished', { ...result });
  logLists(deps.logger, summary);
  return result;
}

function outcomeOf(summary: ScanSummary): ScanOutcome {
  if (summary.lease_held) return 'lease_held';
  if (summary.stopped) return 'stopped';
  return summary.done ? 'finished' : 'time_up';
}

function countsOf(summary: ScanSummary): ScanCounts {
  return Object.fromEntries(
    Object.entries(summary).map(([key, value]) => [key, Array.isArray(value) ? value.length : value]),
  ) as ScanCounts;
}

/** Lists the answer leaves out, logged in numbered parts so no log line grows with the watchlist. */
function logLists(logger: ScanDeps['logger'], summary: ScanSummary): void {
  for (const [name, value] of Object.entries(summary)) {
    // The alerts themselves are in the ledger and on the topic.
    if (!Array.isArray(value) || name === 'alerts') continue;
    const parts = Math.ceil(value.length / LOG_CHUNK);
    for (let part = 0; part < parts; part += 1) {
      logger.warn(`scan ${name.replace(/_/g, ' ')}`, {
        run_id: summary.run_id,
        part: part + 1,
        parts,
        [name]: value.slice(part * LOG_CHUNK, (part + 1) * LOG_CHUNK),
      });
    }
  }
}

// ── wiring, once per cold start ──────────────────────────────────────────────

const config = loadConfig();
requireScanSettings(config, { publish: true });
const powertoolsLogger = new Logger({ logLevel: config.logLevel as LogLevel });
const logger = fromPowertools(powertoolsLogger);
const metrics = new Metrics();
const aws = createAwsClients(config);
// One client per container: its token cache and learned rate outlive an invocation.
const tokens = createTokenSource(config, aws, logger);
const kiwoom: KiwoomClient = createKiwoom(config, tokens, logger, aws);

export const handler = middy((event: unknown, context: Context) => {
  const deps = buildScanDeps(config, aws, kiwoom, {
    dryRun: false,
    logger,
    tokens,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  return run(deps, config, metrics, event);
})
  .use(injectLambdaContext(powertoolsLogger))
  .use(logMetrics(metrics));
