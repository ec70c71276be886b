// The scan Lambda. The Step Functions loop invokes it again and again with
// the previous invocation's output until `done`; each invocation works until
// its remaining time is short, then returns the run id so the next one skips
// the codes this run already finished.
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

export interface ScanResult {
  done: boolean;
  run_id: string;
  run_started_at: string;
  summary: Omit<ScanSummary, 'alerts'> & { alerts: number };
}

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
  // The heartbeat alarm watches this: a weekday evening without it means no scan finished.
  if (summary.done && !summary.stopped && !summary.lease_held) {
    metrics.addMetric('ScanCompleted', MetricUnit.Count, 1);
  }
  deps.logger.info('scan invocation finished', {
    run_id: summary.run_id,
    done: summary.done,
    codes: summary.codes_scanned,
    alerts: summary.alerts_published,
    failed: summary.codes_failed,
    invalid_items: summary.invalid_items.length,
    not_reached: summary.codes_not_reached.length,
    stopped: summary.stopped,
  });
  const { alerts, ...rest } = summary;
  return {
    done: summary.done,
    run_id: summary.run_id,
    run_started_at: summary.run_started_at,
    summary: { ...rest, alerts: alerts.length },
  };
}

// ── wiring, once per cold start ──────────────────────────────────────────────

const config = loadConfig();
requireScanSettings(config, { publish: true });
const powertoolsLogger = new Logger({ logLevel: config.logLevel as LogLevel });
const logger = fromPowertools(powertoolsLogger);
const metrics = new Metrics();
const aws = createAwsClients(config);
// One client per container: its token cache and learned rate outlive an invocation.
const kiwoom: KiwoomClient = createKiwoom(config, createTokenSource(config, aws, logger), logger);

export const handler = middy((event: unknown, context: Context) => {
  const deps = buildScanDeps(config, aws, kiwoom, {
    dryRun: false,
    logger,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  return run(deps, config, metrics, event);
})
  .use(injectLambdaContext(powertoolsLogger))
  .use(logMetrics(metrics));
