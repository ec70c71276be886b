import type { Command } from 'commander';
import { requireScanSettings } from '../../functions/config.ts';
import { runScan, type CodeProgress, type ScanSummary } from '../../functions/scan/scan.ts';
import { buildScanDeps, createKiwoom, createTokenSource } from '../../functions/scan/wiring.ts';
import { cliContext, say } from '../context.ts';
import { cell, out } from '../print.ts';
import { EXIT, parseCodes, parseDuration } from '../exit.ts';
import { stderrLogger } from '../log.ts';

interface ScanCliOptions {
  dryRun?: boolean;
  json?: boolean;
  codes?: string[];
  deadline?: number;
  verbose?: boolean;
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('fetch ka10008 for the watched codes, evaluate each new trading day and publish alerts')
    .option('--dry-run', 'print the alerts it would send; write and publish nothing')
    .option('--json', 'print the run summary (with the alert payloads) as one JSON object on stdout')
    .option('--codes <codes>', 'only these codes, comma-separated (e.g. 005930,000660)', parseCodes)
    .option('--deadline <duration>', 'stop starting new codes when this much time has passed (e.g. 60s, 5m)', parseDuration)
    .option('--verbose', 'log more detail on stderr')
    .action(async (options: ScanCliOptions) => {
      const dryRun = options.dryRun === true;
      const { config, aws } = await cliContext({ require: (c) => requireScanSettings(c, { publish: !dryRun }) });
      const logger = stderrLogger(options.verbose === true);
      const started = Date.now();
      const deadline = options.deadline;
      const tokens = createTokenSource(config, aws, logger);
      const kiwoom = createKiwoom(config, tokens, logger, aws, { dryRun });
      const deps = buildScanDeps(config, aws, kiwoom, {
        dryRun,
        logger,
        tokens,
        remainingMs: () => (deadline === undefined ? Number.POSITIVE_INFINITY : started + deadline - Date.now()),
      });
      const summary = await runScan(deps, {
        dryRun,
        codes: options.codes,
        dayCutoffKst: config.dayCutoffKst,
        maxDaysPerCode: config.maxDaysPerCode,
        leaseTtlMs: config.leaseTtlMs,
        delivery: config.alertDelivery,
        reserveMs: deadline === undefined ? 0 : Math.min(2_000, deadline / 10),
        onProgress: (p) => {
          if (!p.notReached) say(progressLine(p));
        },
      });
      if (options.json) out(`${JSON.stringify(summary, null, 2)}\n`);
      else out(humanSummary(summary));
      process.exitCode = scanExitCode(summary);
    });
}

export function scanExitCode(summary: ScanSummary): number {
  if (summary.lease_held) return EXIT.ok;
  const incomplete =
    summary.codes_failed.length > 0 || summary.codes_not_reached.length > 0 || summary.stopped !== null;
  return incomplete ? EXIT.failed : EXIT.ok;
}

export function progressLine(p: CodeProgress): string {
  const head = p.stkCd.padEnd(10);
  if (p.error) return `${head}FAILED ${p.error}`;
  const parts = [`days ${p.days}`, `alerts ${p.alerts}`];
  if (p.noRows) parts.push('no rows from Kiwoom');
  if (p.revisions) parts.push(`revisions ${p.revisions}`);
  if (p.deferred) parts.push(`${p.deferred} more days next run`);
  if (p.rebaselinedFrom) parts.push(`started afresh (nothing stored since ${p.rebaselinedFrom})`);
  return `${head}${parts.join('  ')}`;
}

export function humanSummary(s: ScanSummary): string {
  const lines: string[] = [];
  if (s.lease_held) {
    lines.push(`another scan is running (lease held by ${s.lease_held.holder} until ${s.lease_held.expires_at}); nothing done`);
    return `${lines.join('\n')}\n`;
  }
  if (s.dry_run) {
    lines.push(`dry run: ${s.alerts.length} alert(s) would be sent`);
    for (const a of s.alerts) {
      lines.push(`  ${a.dt} ${a.stk_cd} ${cell(String(a.name ?? ''))} ${a.rule} ${a.direction}: ${a.previous_value} → ${a.value} (threshold ${a.threshold})`);
    }
  }
  lines.push(
    `scanned ${s.codes_scanned}/${s.codes_total} codes, ${s.days_processed} trading days, ${s.revisions} revisions; ` +
      `alerts published ${s.alerts_published} (retried ${s.alerts_retried}, failed ${s.alerts_failed}, already sent ${s.alerts_already_sent}, snoozed ${s.alerts_suppressed}, withdrawn ${s.alerts_withdrawn})`,
  );
  if (s.digests_published > 0) lines.push(`delivered as ${s.digests_published} digest message(s)`);
  if (s.kiwoom) {
    const rates = Object.entries(s.kiwoom.learned_rate_per_second).map(([api, r]) => `${api} ${r.toFixed(2)}/s`);
    lines.push(`kiwoom: ${s.kiwoom.calls} calls, ${s.kiwoom.rate_limited} rate-limited answers, rate ${rates.join(', ') || 'n/a'}`);
  }
  if (s.stopped) lines.push(`stopped: ${s.stopped.reason} (${s.stopped.error})`);
  for (const f of s.codes_failed) lines.push(`failed ${f.stk_cd}: ${f.reason}: ${f.error}`);
  for (const i of s.invalid_items) lines.push(`invalid item skipped: ${i.message}`);
  if (s.codes_without_rows.length > 0) lines.push(`no rows from Kiwoom (nothing to evaluate): ${s.codes_without_rows.join(', ')}`);
  for (const d of s.days_deferred) lines.push(`${d.stk_cd}: ${d.days.length} more trading day(s) left for the next run`);
  for (const r of s.codes_rebaselined) {
    lines.push(
      `${r.stk_cd}: re-baselined: nothing stored since ${r.last_stored_dt}, further back than the scan pages; ` +
        `started afresh as a first scan${r.dt ? ` (${r.dt} against ${r.baseline_dt})` : ''}`,
    );
  }
  if (s.codes_not_reached.length > 0) {
    lines.push(`not reached (the next run takes them first): ${s.codes_not_reached.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
